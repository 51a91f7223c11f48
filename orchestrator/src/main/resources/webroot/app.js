// RadFlow operator dashboard: vanilla JavaScript, no build step, no network beyond this origin.
// Research use only. NOT FOR DIAGNOSTIC USE.
//
// Views are chosen by the URL hash (#/live, #/jobs, #/job/<id>, ...). A view has a static part
// (filters, forms: built once) and a live part refreshed every 2 s while the tab is visible.
// Endpoints that an older server lacks answer 404: the section then says "not available".

const POLL_MS = 2000;
const TOKEN_KEY = 'radflow.apiToken';

const app = {
  settings: { viewerPort: null },
  view: null,        // {refresh: async () => void}
  busy: false,
  timer: null,
};

// ------------------------------------------------------------------ helpers

/** Creates an element: h('a', {href: '#'}, 'text', child...). Text is always set as text, never as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the API; resolves the JSON body, rejects with ApiError (status 0: no answer). */
async function api(path, options = {}) {
  const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
  if (token()) headers.Authorization = 'Bearer ' + token();
  let body = options.body;
  if (body !== undefined && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, { method: options.method || 'GET', headers, body, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'RadFlow does not answer (' + e.message + ')');
  }
  if (options.raw) {
    if (!res.ok) throw new ApiError(res.status, res.status + ' ' + res.statusText);
    return res;
  }
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    const msg = (data && data.error) || (res.status + ' ' + res.statusText);
    if (res.status === 401 || res.status === 403) {
      setStatus('The API refused the request (' + res.status + '): paste a valid token at the top.', 'error');
    }
    throw new ApiError(res.status, msg);
  }
  return data;
}

/** A section body that says why it is empty: not available (404 endpoint), refused, or an error. */
function problem(e, what) {
  if (e instanceof ApiError && e.status === 404 && /no such endpoint|not found|404/i.test(e.message)) {
    return h('p', { class: 'na' }, what + ': not available on this RadFlow server.');
  }
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
    return h('p', { class: 'na' }, what + ': the API needs a token with access (' + e.status + ').');
  }
  return h('p', { class: 'error' }, what + ': ' + e.message);
}

function setStatus(text, kind) {
  const s = document.getElementById('status');
  s.textContent = text || '';
  s.className = 'status' + (kind ? ' ' + kind : '');
}

function shortUid(uid) {
  if (!uid) return '—';
  return uid.length > 22 ? '…' + uid.slice(-18) : uid;
}

function uidCell(uid) {
  return h('code', { class: 'uid', title: uid || '' }, shortUid(uid));
}

/** Time of day for today, date and time otherwise. */
function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function duration(ms) {
  if (ms === null || ms === undefined || isNaN(ms) || ms < 0) return '—';
  if (ms < 1000) return ms + ' ms';
  const s = ms / 1000;
  if (s < 60) return s.toFixed(1) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + Math.round(s % 60) + ' s';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

function between(a, b) {
  if (!a) return null;
  const end = b ? Date.parse(b) : Date.now();
  return end - Date.parse(a);
}

const FINAL = ['SUCCEEDED', 'NOT_APPLICABLE', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
const RETRYABLE = ['FAILED', 'TIMED_OUT', 'CANCELLED', 'NOT_APPLICABLE', 'SUCCEEDED'];

/** A DICOM person name (Family^Given^Middle^Prefix^Suffix) as people write it: "Family, Given". */
function personName(pn) {
  if (!pn) return '—';
  const [family, given] = String(pn).split('=')[0].split('^');
  return given ? family + ', ' + given : family;
}

function stateBadge(state) {
  const s = (state || 'UNKNOWN').toUpperCase();
  return h('span', { class: 'badge s-' + s.toLowerCase() }, s.replace('_', ' ').toLowerCase());
}

function progressCell(job) {
  const p = typeof job.progress === 'number' ? job.progress : null;
  const done = job.state === 'SUCCEEDED';
  const value = done ? 1 : (p === null ? null : Math.max(0, Math.min(1, p > 1 ? p / 100 : p)));
  const label = value === null ? (job.state === 'RUNNING' ? 'running' : '—') : Math.round(value * 100) + '%';
  return h('span', { class: 'progress' },
    value === null ? null : h('progress', { max: '100', value: String(Math.round(value * 100)), 'aria-label': 'progress ' + label }),
    h('span', { class: 'muted' }, label),
    job.progressMessage && job.state === 'RUNNING' ? h('span', { class: 'muted small' }, ' ' + job.progressMessage) : null);
}

function viewerUrl(studyUid) {
  if (!app.settings.viewerPort || !studyUid) return null;
  return location.protocol + '//' + location.hostname + ':' + app.settings.viewerPort
    + '/viewer?StudyInstanceUIDs=' + encodeURIComponent(studyUid);
}

function viewerLink(studyUid) {
  const url = viewerUrl(studyUid);
  if (!url) return h('span', { class: 'muted', title: 'the OHIF viewer is off (viewer.enabled)' }, 'no viewer');
  return h('a', { href: url, target: '_blank', rel: 'noopener', class: 'viewer-link', dataset: { study: studyUid } }, 'Open in viewer');
}

function button(label, onclick, attrs = {}) {
  return h('button', Object.assign({ type: 'button', onclick }, attrs), label);
}

/** Runs an operator action (POST), reports the answer, and refreshes the view at once. */
async function act(label, path, body) {
  try {
    await api(path, { method: 'POST', body: body === undefined ? {} : body });
    setStatus(label + ': done.', 'ok');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && /no such endpoint/i.test(e.message)) {
      setStatus(label + ': not available on this RadFlow server.', 'error');
    } else {
      setStatus(label + ' failed: ' + e.message, 'error');
    }
  }
  refreshNow();
}

function jobActions(job) {
  const out = [];
  if (RETRYABLE.includes(job.state)) {
    out.push(button('Retry', () => act('Retry job ' + job.id, '/api/jobs/' + encodeURIComponent(job.id) + '/retry'),
      { class: job.state === 'FAILED' || job.state === 'TIMED_OUT' ? 'primary retry' : 'retry', dataset: { job: job.id },
        'aria-label': 'Retry job ' + job.id }));
  }
  if (job.state === 'QUEUED' || job.state === 'RUNNING') {
    out.push(button('Cancel', () => act('Cancel job ' + job.id, '/api/jobs/' + encodeURIComponent(job.id) + '/cancel'),
      { class: 'cancel', 'aria-label': 'Cancel job ' + job.id }));
  }
  return out;
}

function table(caption, headers, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty || 'Nothing yet.');
  return h('table', {},
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, headers.map(t => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows));
}

function jobsTable(caption, jobs, empty) {
  return table(caption, ['State', 'Module', 'Rule', 'Study', 'Unit', 'Progress', 'Waited', 'Ran', 'Attempts', 'Received', 'Actions'],
    jobs.map(j => h('tr', { dataset: { job: j.id, state: j.state, module: j.module, study: j.studyInstanceUid || '' } },
      h('td', {}, stateBadge(j.state)),
      h('td', {}, j.module, j.moduleVersion ? h('span', { class: 'muted small' }, ' ' + j.moduleVersion) : null),
      h('td', {}, j.rule || '—'),
      h('td', {}, uidCell(j.studyInstanceUid)),
      h('td', {}, (j.trigger || '').toLowerCase()),
      h('td', {}, progressCell(j)),
      h('td', {}, duration(between(j.createdAt, j.startedAt || (FINAL.includes(j.state) ? j.finishedAt : null)))),
      h('td', {}, j.startedAt ? duration(between(j.startedAt, j.finishedAt)) : '—'),
      h('td', {}, j.attempts ?? '—'),
      h('td', {}, time(j.createdAt)),
      h('td', { class: 'actions' },
        h('a', { href: '#/job/' + encodeURIComponent(j.id), 'aria-label': 'Details of job ' + j.id }, 'Details'),
        jobActions(j),
        viewerLink(j.studyInstanceUid)),
    )), empty);
}

function list(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  return [];
}

function section(title, ...body) {
  const id = 'h-' + title.toLowerCase().replace(/[^a-z]+/g, '-');
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

// ------------------------------------------------------------------ views

/** Live: studies received and jobs, newest first. */
function liveView(root) {
  const studies = h('div', { id: 'studies' });
  const jobs = h('div', { id: 'live-jobs' });
  const counts = h('p', { class: 'counts', id: 'counts' });
  replace(root, h('h1', {}, 'Live'), counts,
    section('Studies', studies),
    section('Jobs', jobs));
  return {
    async refresh() {
      let jobList = [];
      try {
        jobList = list(await api('/api/jobs?limit=50'), 'jobs');
        replace(jobs, jobsTable('Recent jobs', jobList, 'No jobs yet: send a study to RadFlow\'s DICOM listener.'));
        const by = {};
        jobList.forEach(j => { by[j.state] = (by[j.state] || 0) + 1; });
        replace(counts, Object.entries(by).map(([s, n]) => h('span', { class: 'count' }, stateBadge(s), ' ' + n)));
      } catch (e) {
        replace(jobs, problem(e, 'Jobs'));
      }
      try {
        const data = await api('/api/studies?limit=50');
        replace(studies, studiesTable(list(data, 'studies')));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          // older servers: the studies the jobs name
          replace(studies, h('p', { class: 'na' }, 'Study list: not available on this RadFlow server; showing the studies of recent jobs.'),
            studiesTable(studiesFromJobs(jobList)));
        } else {
          replace(studies, problem(e, 'Studies'));
        }
      }
    },
  };
}

function studiesFromJobs(jobs) {
  const m = new Map();
  for (const j of jobs) {
    if (!j.studyInstanceUid) continue;
    const s = m.get(j.studyInstanceUid) || { studyInstanceUid: j.studyInstanceUid, jobs: [], receivedAt: j.createdAt };
    s.jobs.push(j);
    if (j.createdAt < s.receivedAt) s.receivedAt = j.createdAt;
    m.set(j.studyInstanceUid, s);
  }
  return [...m.values()];
}

function studiesTable(studies) {
  return table('Studies', ['Study', 'Patient', 'Description', 'Modalities', 'Series', 'Instances', 'Received', 'Jobs', ''],
    studies.map(s => {
      const uid = s.studyInstanceUid || s.uid;
      const series = Array.isArray(s.series) ? s.series.length : (s.seriesCount ?? s.series);
      const modalities = s.modalities || (Array.isArray(s.series) ? [...new Set(s.series.map(x => x.modality).filter(Boolean))] : null);
      const jobs = Array.isArray(s.jobs) ? s.jobs : [];
      // /api/studies gives job counts by state; the fallback (built from /api/jobs) gives the jobs themselves
      const counts = s.jobs && !Array.isArray(s.jobs) && typeof s.jobs === 'object'
        ? Object.entries(s.jobs).filter(([, n]) => n > 0) : [];
      return h('tr', { dataset: { study: uid } },
        h('td', {}, h('a', { href: '#/study/' + encodeURIComponent(uid), 'aria-label': 'Study ' + uid }, uidCell(uid))),
        h('td', {}, personName(s.patientName)),
        h('td', {}, s.studyDescription || '—'),
        h('td', {}, Array.isArray(modalities) ? modalities.join(', ') : (modalities || '—')),
        h('td', {}, series ?? '—'),
        h('td', {}, s.instances ?? s.instanceCount ?? '—'),
        h('td', {}, time(s.lastReceived || s.lastInstanceAt || s.receivedAt || s.firstReceived)),
        h('td', {}, jobs.length ? jobs.map(j => h('a', { href: '#/job/' + encodeURIComponent(j.id), class: 'job-chip' },
          stateBadge(j.state), ' ' + j.module))
          : counts.length ? counts.map(([state, n]) => h('a', { href: '#/study/' + encodeURIComponent(uid), class: 'job-chip' },
            stateBadge(state), ' ' + n))
          : (typeof s.jobs === 'number' ? s.jobs : '—')),
        h('td', { class: 'actions' },
          h('a', { href: '#/rules?study=' + encodeURIComponent(uid) }, 'Test rules'),
          viewerLink(uid)));
    }), 'No studies received yet.');
}

/** One study: its series and its jobs (older servers: its jobs only). */
function studyView(root, uid) {
  const seriesOut = h('div', {});
  const jobsOut = h('div', {});
  replace(root, h('p', {}, h('a', { href: '#/live' }, '← Live')), h('h1', {}, 'Study ', h('code', { class: 'uid' }, uid)),
    h('p', { class: 'actions' }, viewerLink(uid), h('a', { href: '#/rules?study=' + encodeURIComponent(uid) }, 'Test rules / reprocess')),
    section('Series', seriesOut), section('Jobs', jobsOut));
  return {
    async refresh() {
      let study = null;
      try {
        study = await api('/api/studies/' + encodeURIComponent(uid));
      } catch (e) {
        replace(seriesOut, problem(e, 'Series'));
      }
      if (study) {
        const series = Array.isArray(study.series) ? study.series : [];
        replace(seriesOut, table('Series', ['Series', 'Modality', 'Description', 'Instances', 'Last instance'],
          series.map(x => h('tr', {}, h('td', {}, uidCell(x.seriesInstanceUid || x.uid)), h('td', {}, x.modality || '—'),
            h('td', {}, x.seriesDescription || x.description || '—'), h('td', {}, x.instances ?? x.instanceCount ?? '—'),
            h('td', {}, time(x.lastReceived || x.lastInstanceAt || x.receivedAt)))), 'No series.'));
      }
      try {
        const jobs = study && Array.isArray(study.jobs) ? study.jobs
          : list(await api('/api/jobs?limit=200&study=' + encodeURIComponent(uid)), 'jobs');
        replace(jobsOut, jobsTable('Jobs of the study', jobs, 'No jobs for this study.'));
      } catch (e) {
        replace(jobsOut, problem(e, 'Jobs'));
      }
    },
  };
}

function hashParams() {
  const q = location.hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : location.hash.slice(q + 1));
}

/** Jobs with filters and paging. */
function jobsView(root) {
  const p = hashParams();
  const states = ['', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'NOT_APPLICABLE', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
  const state = h('select', { id: 'f-state', name: 'state' }, states.map(s => h('option', { value: s, selected: s === (p.get('state') || '') }, s || 'any')));
  const module = h('input', { id: 'f-module', name: 'module', value: p.get('module') || '', placeholder: 'module id' });
  const study = h('input', { id: 'f-study', name: 'study', value: p.get('study') || '', placeholder: 'Study Instance UID', size: 40 });
  let offset = 0;
  const limit = 50;
  const out = h('div', {});
  const pager = h('p', { class: 'pager' });
  const form = h('form', { class: 'filters', onsubmit: e => { e.preventDefault(); offset = 0; refreshNow(); } },
    h('label', { for: 'f-state' }, 'State'), state,
    h('label', { for: 'f-module' }, 'Module'), module,
    h('label', { for: 'f-study' }, 'Study'), study,
    h('button', { type: 'submit' }, 'Filter'));
  replace(root, h('h1', {}, 'Jobs'), form, out, pager);
  return {
    async refresh() {
      const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
      if (state.value) q.set('state', state.value);
      if (module.value.trim()) q.set('module', module.value.trim());
      if (study.value.trim()) q.set('study', study.value.trim());
      try {
        const jobs = list(await api('/api/jobs?' + q), 'jobs');
        replace(out, jobsTable('Jobs', jobs, 'No jobs match.'));
        replace(pager,
          offset > 0 ? button('Newer', () => { offset = Math.max(0, offset - limit); refreshNow(); }) : null,
          h('span', { class: 'muted' }, ' jobs ' + (jobs.length ? (offset + 1) + '–' + (offset + jobs.length) : 'none') + ' '),
          jobs.length === limit ? button('Older', () => { offset += limit; refreshNow(); }) : null);
      } catch (e) {
        replace(out, problem(e, 'Jobs'));
      }
    },
  };
}

/** Failed and timed-out jobs, each with Retry. */
function failedView(root) {
  const out = h('div', {});
  replace(root, h('h1', {}, 'Failed jobs'),
    h('p', { class: 'muted' }, 'Jobs that failed or timed out. Retry queues a job again at once (transient failures are already retried automatically).'),
    out);
  return {
    async refresh() {
      try {
        const [failed, timedOut] = await Promise.all([api('/api/jobs?state=FAILED&limit=100'), api('/api/jobs?state=TIMED_OUT&limit=100')]);
        const jobs = list(failed, 'jobs').concat(list(timedOut, 'jobs'))
          .sort((a, b) => (b.finishedAt || b.createdAt || '').localeCompare(a.finishedAt || a.createdAt || ''));
        replace(out, table('Failed jobs', ['State', 'Module', 'Study', 'Reason', 'Attempts', 'Finished', 'Actions'],
          jobs.map(j => h('tr', { dataset: { job: j.id, state: j.state, module: j.module, study: j.studyInstanceUid || '' } },
            h('td', {}, stateBadge(j.state)),
            h('td', {}, j.module),
            h('td', {}, uidCell(j.studyInstanceUid)),
            h('td', { class: 'reason' }, j.reason || '—'),
            h('td', {}, j.attempts ?? '—'),
            h('td', {}, dateTime(j.finishedAt)),
            h('td', { class: 'actions' }, h('a', { href: '#/job/' + encodeURIComponent(j.id) }, 'Details'), jobActions(j)))),
          'No failed jobs.'));
      } catch (e) {
        replace(out, problem(e, 'Failed jobs'));
      }
    },
  };
}

/** One job: fields, timeline, outputs, deliveries, report page preview. */
function jobView(root, id) {
  const head = h('div', {});
  const timeline = h('div', {});
  const outputs = h('div', {});
  const deliveries = h('div', {});
  const preview = h('div', { class: 'preview' }, h('p', { class: 'muted' }, 'Loading the report page…'));
  replace(root, h('p', {}, h('a', { href: '#/live' }, '← Live')), h('h1', {}, 'Job ', h('code', {}, id)), head,
    h('div', { class: 'cols' },
      h('div', {}, section('Timeline', timeline), section('Result', outputs), section('Deliveries', deliveries)),
      section('Report page', preview)));
  let previewState = null; // the job state the preview was loaded for
  let previewUrl = null;
  async function loadPreview(job) {
    if (previewState === job.state + ':' + (job.revision ?? '')) return;
    previewState = job.state + ':' + (job.revision ?? '');
    try {
      const res = await api('/api/jobs/' + encodeURIComponent(id) + '/report.png', { raw: true, headers: { Accept: 'image/png' } });
      const blob = await res.blob();
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(blob);
      replace(preview, h('figure', {},
        h('img', { src: previewUrl, id: 'report-image', alt: 'Report page of job ' + id + ' (research use only, not for diagnostic use)' }),
        h('figcaption', { class: 'muted' }, 'The Secondary Capture report page RadFlow wrote for this job. NOT FOR DIAGNOSTIC USE.')));
    } catch (e) {
      const msg = e instanceof ApiError && e.status === 404
        ? (job.state === 'SUCCEEDED' ? 'No report page image available for this job (this RadFlow server may not offer report.png).'
          : 'No report page: the job has not succeeded.')
        : 'Report page: ' + e.message;
      replace(preview, h('p', { class: 'na' }, msg));
    }
  }
  return {
    async refresh() {
      let job;
      try {
        job = await api('/api/jobs/' + encodeURIComponent(id));
      } catch (e) {
        replace(head, problem(e, 'Job'));
        return;
      }
      replace(head, h('dl', { class: 'facts' },
        fact('State', stateBadge(job.state)),
        fact('Module', job.module + (job.moduleVersion ? ' ' + job.moduleVersion : '')
          + (job.generation !== null && job.generation !== undefined ? ' (generation ' + job.generation + ')' : '')
          + (job.plannedVersion && job.plannedVersion !== job.moduleVersion ? ', planned with ' + job.plannedVersion : '')),
        fact('Rule', job.rule || '—'),
        fact('Study', uidCell(job.studyInstanceUid)),
        fact('Series', uidCell(job.seriesInstanceUid)),
        fact('Unit', (job.trigger || '').toLowerCase() + (job.inputs !== undefined ? ', ' + job.inputs + ' instances' : '')),
        fact('Priority', job.priority || '—'),
        fact('Progress', progressCell(job)),
        fact('Attempts', job.attempts ?? '—'),
        fact('Waited', duration(between(job.createdAt, job.startedAt))),
        fact('Ran', job.startedAt ? duration(between(job.startedAt, job.finishedAt))
          + (job.moduleRunMs !== null && job.moduleRunMs !== undefined ? ' (module ' + job.moduleRunMs + ' ms)' : '') : '—'),
        fact('Reason', job.reason || '—'),
        job.supersedes ? fact('Supersedes', h('a', { href: '#/job/' + encodeURIComponent(job.supersedes) }, job.supersedes)) : null,
        job.nextAttemptAt && job.state === 'QUEUED' ? fact('Next attempt', dateTime(job.nextAttemptAt)) : null),
        h('p', { class: 'actions' }, jobActions(job), viewerLink(job.studyInstanceUid)));
      const events = Array.isArray(job.timeline) ? job.timeline : [];
      replace(timeline, table('Timeline', ['When', 'State', 'Message'],
        events.map(ev => h('tr', {}, h('td', {}, dateTime(ev.at)), h('td', {}, stateBadge(ev.state)), h('td', {}, ev.message || ''))),
        'No events.'));
      const o = job.outputs;
      if (!o) {
        replace(outputs, h('p', { class: 'muted' }, 'No result yet.'));
      } else {
        replace(outputs,
          o.summary ? h('p', { class: 'summary' }, o.summary) : null,
          Array.isArray(o.findings) && o.findings.length ? h('ul', { class: 'findings' }, o.findings.map(findingItem)) : null,
          Array.isArray(o.objects) && o.objects.length ? h('p', { class: 'muted' }, o.objects.length + ' report object(s) written: '
            + o.objects.map(x => sopClassName(x.sopClassUid)).join(', ')) : null);
      }
      const d = Array.isArray(job.deliveries) ? job.deliveries : [];
      replace(deliveries, table('Deliveries', ['Destination', 'Object', 'State', 'Attempts', 'Sent', 'Last error'],
        d.map(x => h('tr', {}, h('td', {}, x.destination), h('td', {}, uidCell(x.sopInstanceUid)), h('td', {}, stateBadge(x.state)),
          h('td', {}, x.attempts ?? '—'), h('td', {}, dateTime(x.sentAt)), h('td', { class: 'reason' }, x.lastError || ''))),
        'Nothing to deliver (yet, or the rule has no destinations).'));
      loadPreview(job);
    },
  };
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function findingItem(f) {
  if (typeof f !== 'object' || f === null) return h('li', {}, String(f));
  const name = f.name || f.label || (f.concept && (f.concept.meaning || f.concept.name)) || f.type || 'finding';
  let value = '';
  if (f.type === 'qualitative' && f.answer) value = f.answer.meaning || f.answer.code || '';
  else if (f.value !== undefined) value = f.value + (f.unit ? ' ' + (f.unit.meaning || f.unit.code || f.unit) : '');
  else if (f.probability !== undefined) value = (f.probability * 100).toFixed(1) + '%';
  else if (f.classes) value = Object.entries(f.classes).map(([k, v]) => k + ' ' + (v * 100).toFixed(1) + '%').join(', ');
  return h('li', {}, String(name), value ? ': ' + value : '');
}

function sopClassName(uid) {
  return {
    '1.2.840.10008.5.1.4.1.1.88.33': 'SR',
    '1.2.840.10008.5.1.4.1.1.88.22': 'SR',
    '1.2.840.10008.5.1.4.1.1.7': 'report page (SC)',
    '1.2.840.10008.5.1.4.1.1.66.4': 'SEG',
  }[uid] || uid;
}

/** Modules: version, model, status, counters, load errors, recent failures; enable/disable/reload. */
function modulesView(root) {
  const out = h('div', {});
  replace(root, h('h1', {}, 'Modules'), out);
  return {
    async refresh() {
      let modules;
      try {
        modules = list(await api('/api/modules'), 'modules');
      } catch (e) {
        replace(out, problem(e, 'Modules'));
        return;
      }
      let failures = [];
      try {
        failures = list(await api('/api/jobs?state=FAILED&limit=100'), 'jobs');
      } catch (e) { /* shown per module as none */ }
      replace(out, modules.length ? modules.map(m => moduleCard(m, failures.filter(j => j.module === m.id).slice(0, 5)))
        : h('p', { class: 'muted' }, 'No modules loaded. Drop a module folder into modules.dir.'));
    },
  };
}

function moduleCard(m, failures) {
  const id = m.id;
  const enc = encodeURIComponent(id);
  if (m.loadError && !m.version) {
    return h('article', { class: 'card bad', dataset: { module: id } },
      h('h2', {}, id, ' ', h('span', { class: 'badge s-failed' }, 'not loaded')),
      h('p', { class: 'error' }, m.loadError), h('p', { class: 'muted' }, (m.source || '') + ' ' + dateTime(m.at)));
  }
  const model = m.model || {};
  const counters = Object.assign({}, m.lane || {}, m.counters || {});
  const status = m.status || (m.enabled === false ? 'disabled' : counters.paused ? 'paused' : 'ready');
  return h('article', { class: 'card', dataset: { module: id } },
    h('h2', {}, m.displayName || id, ' ', h('span', { class: 'badge st-' + String(status).toLowerCase() }, String(status).toLowerCase())),
    h('p', {}, h('code', {}, id), ' ', m.version || '', ' · model ', model.name || '—', ' ', model.version || '',
      model.demo ? h('span', { class: 'badge demo', title: 'a demonstration model, not a trained clinical model' }, 'DEMO MODEL') : null,
      m.trigger ? ' · trigger ' + m.trigger : '', m.isolation ? ' · runs ' + (m.isolation === 'process' ? 'in worker processes' : 'in the server process') : ''),
    m.pausedReason ? h('p', { class: 'error' }, 'Paused by RadFlow: ' + m.pausedReason) : null,
    // loaded, but it could not be created (checked when it was loaded, and at each job): the reason, not a silent "enabled"
    m.loadError ? h('p', { class: 'error load-error' }, 'Cannot start: ' + m.loadError,
      m.loadErrorAt ? ' (' + dateTime(m.loadErrorAt) + ')' : '') : null,
    m.workers ? workersLine(m.workers) : null,
    h('dl', { class: 'counters' }, Object.entries(counters).filter(([, v]) => typeof v !== 'object')
      .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, String(v))))),
    h('p', { class: 'actions' },
      m.enabled === false
        ? button('Enable', () => act('Enable ' + id, '/api/modules/' + enc + '/enable'))
        : button('Disable', () => act('Disable ' + id, '/api/modules/' + enc + '/disable')),
      button('Reload', () => act('Reload ' + id, '/api/modules/' + enc + '/reload')),
      h('a', { href: '#/jobs?module=' + enc }, 'Jobs')),
    h('h3', {}, 'Recent failures'),
    failures.length ? h('ul', { class: 'failures' }, failures.map(j => h('li', {},
      h('a', { href: '#/job/' + encodeURIComponent(j.id) }, time(j.finishedAt)), ' ', j.reason || '')))
      : h('p', { class: 'muted' }, 'None.'),
    m.source ? h('p', { class: 'muted small' }, 'from ' + m.source + (m.loadedAt ? ', loaded ' + dateTime(m.loadedAt) : '')) : null);
}

/** A module's worker processes: health, and each worker's pid, state and jobs served. */
function workersLine(w) {
  const list = (w.workers || []).map(x => 'pid ' + x.pid + ' ' + x.state + ' (' + x.jobs + ' jobs, heap ' + x.heapMb + ' MB)');
  return h('p', { class: w.health === 'unhealthy' ? 'error workers' : 'muted small workers' },
    'Workers: ' + (w.health || '—') + (list.length ? ' · ' + list.join(', ') : ''),
    w.problem ? ' · ' + w.problem + (w.problemAt ? ' (' + dateTime(w.problemAt) + ')' : '') : '');
}

/** Destinations: backlog, sent, committed (storage commitment), dead letters, last error; retry dead letters. */
function destinationsView(root) {
  const out = h('div', {});
  replace(root, h('h1', {}, 'Destinations'), out);
  return {
    async refresh() {
      let data;
      try {
        data = await api('/api/destinations');
      } catch (e) {
        replace(out, problem(e, 'Destinations'));
        return;
      }
      const rows = Array.isArray(data) ? data : Array.isArray(data && data.destinations) ? data.destinations
        : Object.entries(data || {}).map(([name, v]) => Object.assign({ name }, v));
      replace(out, table('Destinations', ['Destination', 'Backlog', 'Sent', 'Committed', 'Dead letters', 'Sending', 'Last error', ''],
        rows.map(d => {
          const backlog = d.backlog ?? d.pending ?? 0;
          return h('tr', { dataset: { destination: d.name } },
            h('td', {}, h('strong', {}, d.name), d.type ? h('span', { class: 'muted small' }, ' ' + d.type) : null),
            h('td', { class: backlog > 0 ? 'warn' : '' }, String(backlog)),
            h('td', {}, String(d.sent ?? '—')),
            // storage commitment: committed, and how many stored objects still await the PACS's report
            h('td', { class: d.awaitingCommitment > 0 ? 'warn' : '' }, d.commitment
              ? String(d.committed ?? 0) + (d.awaitingCommitment > 0 ? ' (' + d.awaitingCommitment + ' awaiting)' : '')
              : h('span', { class: 'muted small' }, 'not requested')),
            h('td', { class: d.dead > 0 ? 'warn' : '' }, String(d.dead ?? '—')),
            h('td', {}, d.sending ? 'yes' : 'no'),
            h('td', { class: 'reason' }, d.lastError || '—'),
            h('td', {}, d.dead > 0 ? button('Retry dead letters', () => act('Retry ' + d.name, '/api/destinations/' + encodeURIComponent(d.name) + '/retry'))
              : null));
        }), 'No destinations configured: results stay in the data directory.'));
    },
  };
}

/** Cluster: this node and its members, whether it claims work and why not; drain and resume. */
function clusterView(root) {
  const out = h('div', {});
  replace(root, h('h1', {}, 'Cluster'), out);
  return {
    async refresh() {
      let c;
      try {
        c = await api('/api/cluster');
      } catch (e) {
        replace(out, problem(e, 'Cluster'));
        return;
      }
      const clustered = c.role === 'cluster';
      // ready: the node places studies on it and copies to it; modules and jobs are what the member published last
      const members = (c.members || []).map(m => h('tr', { dataset: { member: m.nodeName || m.nodeId || '' } },
        h('td', {}, h('strong', {}, m.nodeName || m.nodeId || '—'), m.local ? h('span', { class: 'muted small' }, ' this node') : null),
        h('td', {}, m.address || '—'),
        h('td', { class: m.ready === false ? 'error' : '' }, m.ready === undefined ? '—' : (m.ready ? 'ready' : 'starting')
          + (m.draining ? ', draining' : '')),
        h('td', {}, (m.modules || []).join(', ') || '—'),
        h('td', {}, m.runningJobs === undefined ? '—' : String(m.runningJobs)),
        h('td', { class: 'muted small' }, m.version || m.id || '')));
      replace(out,
        h('p', { id: 'cluster-summary' }, clustered
          ? 'Cluster ' + c.name + ': ' + c.size + ' member(s), minimum ' + c.minSize + ', each instance on '
            + (c.replicationFactor || 1) + ' node(s).'
          : 'This node works alone (cluster.enabled is false).'),
        h('p', { id: 'cluster-claiming', class: c.claiming ? '' : 'error' }, c.claiming
          ? 'This node claims work.' : 'This node claims no work: ' + (c.notClaimingBecause || '')),
        h('p', { class: 'actions' }, c.draining
          ? button('Resume', () => act('Resume this node', '/api/cluster/resume'))
          : button('Drain', () => act('Drain this node', '/api/cluster/drain'))),
        table('Members', ['Node', 'Address', 'State', 'Modules it runs', 'Running jobs', 'Version'], members, 'No members.'));
    },
  };
}

/** Rule tester: a received study against the active rules; which match, and why the others do not. */
function rulesView(root) {
  const p = hashParams();
  const picker = h('select', { id: 'rt-pick', 'aria-describedby': 'rt-help' }, h('option', { value: '' }, 'recent studies…'));
  const uid = h('input', { id: 'rt-study', name: 'study', size: 64, value: p.get('study') || '', placeholder: 'Study Instance UID', spellcheck: 'false' });
  picker.addEventListener('change', () => { if (picker.value) uid.value = picker.value; });
  const result = h('div', { id: 'rt-result', 'aria-live': 'polite' });
  const active = h('div', {});
  const form = h('form', { class: 'filters', onsubmit: async e => { e.preventDefault(); await runTest(uid.value.trim(), result); } },
    h('label', { for: 'rt-pick' }, 'Received study'), picker,
    h('label', { for: 'rt-study' }, 'or UID'), uid,
    h('button', { type: 'submit', class: 'primary' }, 'Test rules'));
  const moduleSel = h('select', { id: 'rp-module' });
  const reprocess = h('form', { class: 'filters', onsubmit: e => {
    e.preventDefault();
    const study = uid.value.trim();
    if (!study || !moduleSel.value) { setStatus('Reprocess: pick a study and a module.', 'error'); return; }
    act('Reprocess study with ' + moduleSel.value, '/api/studies/' + encodeURIComponent(study) + '/reprocess', { module: moduleSel.value });
  } },
    h('label', { for: 'rp-module' }, 'Run this study again with module'), moduleSel,
    h('button', { type: 'submit' }, 'Reprocess'));
  replace(root, h('h1', {}, 'Rule tester'),
    h('p', { id: 'rt-help', class: 'muted' }, 'Checks a study RadFlow has received against the active routing rules: each rule says MATCH or the first condition that failed, and whether its module would accept the unit. Nothing is run.'),
    form, result, section('Reprocess', h('p', { class: 'muted' }, 'Queues a new job for the study with the module you choose, whatever the rules say.'), reprocess),
    section('Active rules', active));
  (async () => {
    try {
      list(await api('/api/modules'), 'modules').filter(m => !m.loadError)
        .forEach(m => moduleSel.append(h('option', { value: m.id }, m.id)));
    } catch (e) { /* the form then says to pick a module */ }
  })();
  (async () => {
    let studies = [];
    try {
      studies = list(await api('/api/studies?limit=100'), 'studies').map(s => s.studyInstanceUid || s.uid);
    } catch (e) {
      try {
        studies = [...new Set(list(await api('/api/jobs?limit=200'), 'jobs').map(j => j.studyInstanceUid).filter(Boolean))];
      } catch (e2) { /* the UID field still works */ }
    }
    studies.forEach(s => picker.append(h('option', { value: s }, s)));
    if (uid.value) runTest(uid.value, result);
  })();
  (async () => {
    try {
      const rules = await api('/api/rules');
      const rs = list(rules, 'rules');
      replace(active, rs.length ? h('pre', { class: 'rules' }, JSON.stringify(rs, null, 2)) : h('p', { class: 'muted' }, 'No rules.'));
    } catch (e) {
      replace(active, problem(e, 'Active rules'));
    }
  })();
  return null; // nothing live: the tester runs on demand
}

async function runTest(studyUid, out) {
  if (!studyUid) {
    replace(out, h('p', { class: 'error' }, 'Pick or type a Study Instance UID.'));
    return;
  }
  replace(out, h('p', { class: 'muted' }, 'Testing…'));
  let report;
  try {
    report = await api('/api/rules/test', { method: 'POST', body: { studyInstanceUid: studyUid } });
  } catch (e) {
    replace(out, problem(e, 'Rule test'));
    return;
  }
  const series = Array.isArray(report.series) ? report.series : [];
  replace(out,
    h('p', {}, 'Rules: ' + (report.rules || []).join(', ') + ' · ' + (report.filesExamined ?? '?') + ' files examined'
      + (report.basis ? ' · ' + report.basis : '')),
    (report.notes || []).map(n => h('p', { class: 'muted' }, n)),
    series.map(s => h('article', { class: 'card rt-series', dataset: { series: s.seriesInstanceUid } },
      h('h3', {}, (s.modality || '?') + ' series ', uidCell(s.seriesInstanceUid), s.seriesDescription ? ' — ' + s.seriesDescription : '',
        h('span', { class: 'muted small' }, ' ' + (s.instances ?? '?') + ' instances')),
      table('Rules for this series', ['Rule', 'Module', 'Outcome', 'Runs?', 'Why'],
        (s.rules || []).map(r => h('tr', { dataset: { rule: r.rule, outcome: r.outcome } },
          h('td', {}, r.rule), h('td', {}, r.module),
          h('td', {}, h('span', { class: 'badge o-' + (r.outcome || '').replace(/[^a-z_]/g, '') }, r.outcome)),
          h('td', {}, r.willRun ? 'yes' : 'no'),
          h('td', { class: 'reason' }, r.reason || r.moduleRefusal || r.text || ''))),
        'No rules configured.'),
      (s.notes || []).map(n => h('p', { class: 'muted' }, n)))),
    (report.skipped || []).length ? h('p', { class: 'muted' }, (report.skipped.length) + ' file(s) skipped') : null);
}

// ------------------------------------------------------------------ routing and polling

const VIEWS = {
  live: liveView,
  jobs: jobsView,
  failed: failedView,
  modules: modulesView,
  destinations: destinationsView,
  rules: rulesView,
  cluster: clusterView,
};

function route() {
  const hash = location.hash || '#/live';
  const path = hash.slice(2).split('?')[0];
  const [name, ...rest] = path.split('/');
  const root = document.getElementById('view');
  setStatus('');
  document.querySelectorAll('nav.tabs a').forEach(a => {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  if (name === 'study' && rest.length) {
    app.view = studyView(root, decodeURIComponent(rest.join('/')));
    document.title = 'Study — RadFlow (research use only)';
  } else if (name === 'job' && rest.length) {
    app.view = jobView(root, decodeURIComponent(rest.join('/')));
    document.title = 'Job — RadFlow (research use only)';
  } else {
    const make = VIEWS[name] || liveView;
    app.view = make(root);
    document.title = (name ? name[0].toUpperCase() + name.slice(1) : 'Live') + ' — RadFlow (research use only)';
  }
  refreshNow();
}

async function refreshNow() {
  if (!app.view || app.busy) return;
  app.busy = true;
  try {
    await app.view.refresh();
    document.getElementById('updated').textContent = 'Updated ' + new Date().toLocaleTimeString() + '.';
  } catch (e) {
    setStatus('Refresh failed: ' + e.message, 'error');
  } finally {
    app.busy = false;
  }
}

async function refreshHealth() {
  const node = document.getElementById('node');
  try {
    const hl = await api('/api/health');
    const l = hl.listener || {};
    node.textContent = (hl.node || '') + ' · ' + (hl.status || '?') + (l.instancesReceived !== undefined ? ' · ' + l.instancesReceived + ' instances received' : '');
    node.className = 'node ' + (hl.status === 'UP' ? 'up' : 'down');
  } catch (e) {
    node.textContent = e.status === 0 ? 'RadFlow does not answer' : 'health: ' + e.message;
    node.className = 'node down';
  }
}

function tick() {
  if (document.visibilityState !== 'visible') return;
  refreshNow();
  refreshHealth();
}

function setupToken() {
  const form = document.getElementById('token-form');
  const input = document.getElementById('token');
  const state = document.getElementById('token-state');
  const show = () => { state.textContent = token() ? 'token set for this tab' : 'no token'; };
  form.addEventListener('submit', e => {
    e.preventDefault();
    if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    show();
    refreshNow();
  });
  document.getElementById('token-clear').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    show();
    refreshNow();
  });
  show();
}

async function main() {
  setupToken();
  try {
    const r = await fetch('settings.json', { cache: 'no-store' });
    if (r.ok) app.settings = await r.json();
  } catch (e) { /* no viewer links */ }
  if (app.settings.viewerPort) {
    document.querySelector('nav.tabs').append(h('a', { href: location.protocol + '//' + location.hostname + ':' + app.settings.viewerPort + '/',
      target: '_blank', rel: 'noopener', class: 'external' }, 'Viewer (OHIF) ↗'));
  }
  window.addEventListener('hashchange', route);
  route();
  refreshHealth();
  app.timer = setInterval(tick, POLL_MS);
}

main();
