#!/usr/bin/python3
"""Helpers of bench/throughput.sh (Debian's /usr/bin/python3 with pydicom; standard library otherwise).

  studies BASE_FILE OUT_DIR COUNT      COUNT copies of one generated radiograph, each its own study: new Study,
                                       Series and SOP Instance UIDs (deterministic), accession and patient ID
  monitor SERVER_PID OUT_JSON          samples the CPU time (utime + stime) and VmHWM of the server and every
                                       process below it every 0.2 s (their threads' CPU every 1 s) until SIGTERM,
                                       then writes per-process figures; OUT_JSON.ready after the first sample
  warm ORTHANC_URL API_URL COUNT TIMEOUT
                                       waits until COUNT jobs succeeded and Orthanc holds all their objects; prints
                                       the number of objects per job
  wait ORTHANC_URL API_URL EXPECTED TIMEOUT
                                       waits until Orthanc holds EXPECTED instances; exits 1 at once when RadFlow has a
                                       FAILED / TIMED_OUT job, or when TIMEOUT seconds pass
  report API_URL UIDS_FILE T0 MONITOR_JSON LABEL
                                       one result line (JSON) for the studies in UIDS_FILE, sent from T0 (epoch s);
                                       with THREADS=1 also the CPU per study by thread name
"""
import json
import math
import re
import os
import signal
import sys
import time
import urllib.request
import uuid
from datetime import datetime

TICK = os.sysconf("SC_CLK_TCK")


def uid(name):
    return "2.25." + str(uuid.uuid5(uuid.NAMESPACE_OID, "radflow-throughput-" + name).int)


def studies(base, out, count):
    import pydicom
    ds = pydicom.dcmread(base)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "uids.txt"), "w") as uids:
        for i in range(count):
            ds.StudyInstanceUID = uid(f"study-{i}")
            ds.SeriesInstanceUID = uid(f"series-{i}")
            ds.SOPInstanceUID = uid(f"sop-{i}")
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.AccessionNumber = f"TP{i:06d}"
            ds.PatientID = f"TP{i:06d}"
            ds.save_as(os.path.join(out, f"study-{i:05d}.dcm"), write_like_original=True)
            uids.write(ds.StudyInstanceUID + "\n")


def tree(root):
    """The pid and every process below it."""
    children = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def sample(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (this process's threads; children apart)
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) // 1024
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    kind = "worker" if "WorkerMain" in cmd else ("server" if "org.radflow.Main" in cmd else "other")
    return cpu, hwm, kind


def threads(pid):
    """CPU seconds per thread of a process: {tid: (name, cpu)}."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[tid] = (name, (int(fields[11]) + int(fields[12])) / TICK)
        except (OSError, IndexError, ValueError):
            pass
    return out


def monitor(server, out):
    procs = {}  # pid -> {kind, cpu0, cpu, hwm, threads: {tid: [name, cpu0, cpu]}}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    rounds = 0
    while True:
        for pid in tree(server):
            try:
                cpu, hwm, kind = sample(pid)
            except (OSError, IndexError, ValueError):
                continue
            p = procs.get(pid)
            if p is None:  # present at the start: counted from now; started later: from its beginning
                p = procs[pid] = {"kind": kind, "cpu0": cpu if rounds == 0 else 0.0, "cpu": cpu, "hwm": hwm,
                                  "threads": {}}
            p["cpu"], p["hwm"] = cpu, max(p["hwm"], hwm)
            if kind != "other":
                p["kind"] = kind
            if rounds % 5 == 0 or stop:  # threads once a second (and at the end): the split of a process's CPU
                try:
                    for tid, (name, tcpu) in threads(pid).items():
                        t = p["threads"].setdefault(tid, [name, tcpu if rounds == 0 else 0.0, tcpu])
                        t[0], t[2] = name, tcpu
                except OSError:
                    pass
        if rounds == 0:  # the script starts the burst after this: everything it costs is counted
            open(out + ".ready", "w").close()
        rounds += 1
        if stop:
            break
        time.sleep(0.2)
    with open(out, "w") as f:
        json.dump(procs, f)


def by_thread(procs, kind, n):
    """CPU ms per study by thread name (numbers stripped) in the processes of one kind; the rest as 'other'."""
    groups = {}
    for p in procs:
        if p["kind"] != kind:
            continue
        for name, cpu0, cpu in p.get("threads", {}).values():
            g = re.sub(r"[-#_ ]*[0-9]+$", "", name) or name
            groups[g] = groups.get(g, 0.0) + cpu - cpu0
        # threads that came and went between two samples: the process's total minus what the samples saw
        seen = sum(cpu - cpu0 for _, cpu0, cpu in p.get("threads", {}).values())
        groups["(short-lived threads)"] = groups.get("(short-lived threads)", 0.0) + max(0.0, p["cpu"] - p["cpu0"] - seen)
    top = sorted(groups.items(), key=lambda kv: -kv[1])
    return {k: round(v * 1000 / n, 1) for k, v in top if v * 1000 / n >= 0.5}


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def wait(orthanc, api, expected, timeout):
    deadline = time.time() + timeout
    n = 0
    while time.time() < deadline:
        n = get(orthanc + "/statistics")["CountInstances"]
        if n >= expected:
            return 0
        bad = sum(get(f"{api}/api/jobs?state={s}&limit=1")["count"] for s in ("FAILED", "TIMED_OUT"))
        if bad:
            print(f"RadFlow has {bad} failed or timed out job(s); Orthanc holds {n} of {expected}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    print(f"timed out after {timeout} s: Orthanc holds {n} of {expected} instances", file=sys.stderr)
    return 1


def warm(orthanc, api, count, timeout):
    """Waits until COUNT jobs SUCCEEDED with every delivery sent and Orthanc holds them all; prints objects per job."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        jobs = get(f"{api}/api/jobs?limit={max(100, count)}")["jobs"]  # all of them: a warm-up may exceed one page
        if any(j["state"] in ("FAILED", "TIMED_OUT", "CANCELLED") for j in jobs):
            print("a warm-up job failed: " + str([j.get("reason") for j in jobs if j["state"] != "SUCCEEDED"]), file=sys.stderr)
            return 1
        done = [j for j in jobs if j["state"] == "SUCCEEDED"]
        if len(done) >= count:
            objects = [len(get(f"{api}/api/jobs/{j['id']}")["deliveries"]) for j in done]
            sent = sum(1 for j in done for d in get(f"{api}/api/jobs/{j['id']}")["deliveries"] if d["state"] == "SENT")
            if sent == sum(objects) and get(orthanc + "/statistics")["CountInstances"] == sent:
                if len(set(objects)) != 1:
                    print(f"warm-up jobs delivered different numbers of objects: {objects}", file=sys.stderr)
                    return 1
                print(objects[0])
                return 0
        time.sleep(0.5)
    print(f"warm-up: not all {count} jobs delivered within {timeout} s", file=sys.stderr)
    return 1


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def pct(values, p):
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]  # nearest rank


def report(api, uids_file, t0, monitor_json, label):
    with open(uids_file) as f:
        wanted = {line.strip() for line in f if line.strip()}
    jobs, offset = [], 0
    while True:
        page = get(f"{api}/api/jobs?limit=100&offset={offset}")["jobs"]
        jobs += page
        offset += len(page)
        if not page:
            break
    jobs = [j for j in jobs if j["studyInstanceUid"] in wanted]
    latency, delivered, module_ms, run_ms, queue_ms = [], [], [], [], []
    failures = [j for j in jobs if j["state"] != "SUCCEEDED"]
    for j in jobs:
        if j["state"] != "SUCCEEDED":
            continue
        d = get(f"{api}/api/jobs/{j['id']}")
        sent = [ts(x["sentAt"]) for x in d["deliveries"] if x["sentAt"]]
        if not sent or any(x["state"] not in ("SENT", "COMMITTED") for x in d["deliveries"]):
            failures.append(j)
            continue
        received = ts(get(f"{api}/api/studies/{j['studyInstanceUid']}")["firstReceived"])
        delivered.append(max(sent))
        latency.append((max(sent) - received) * 1000)
        run_ms.append((ts(d["finishedAt"]) - ts(d["startedAt"])) * 1000)
        queue_ms.append((ts(d["startedAt"]) - ts(d["createdAt"])) * 1000)
        module_ms.append(d["moduleRunMs"] or 0)
    with open(monitor_json) as f:
        procs = json.load(f).values()
    cpu = {k: sum(p["cpu"] - p["cpu0"] for p in procs if p["kind"] == k) for k in ("server", "worker")}
    total_cpu = cpu["server"] + cpu["worker"]
    module_cpu = sum(module_ms) / 1000
    n = len(wanted)
    span = (max(delivered) - t0) if delivered else float("nan")
    r = {
        "label": label, "studies": n, "jobs": len(jobs), "failures": len(failures) + (n - len(jobs)),
        "seconds": round(span, 2), "studies_per_hour": round(len(delivered) / span * 3600) if delivered else 0,
        "latency_p50_ms": round(pct(latency, 50)) if latency else None,
        "latency_p95_ms": round(pct(latency, 95)) if latency else None,
        "run_p50_ms": round(pct(run_ms, 50)) if run_ms else None,
        "module_p50_ms": round(pct(module_ms, 50)) if module_ms else None,
        "queue_p50_ms": round(pct(queue_ms, 50)) if queue_ms else None,
        "cpu_server_s": round(cpu["server"], 1), "cpu_workers_s": round(cpu["worker"], 1),
        "module_s": round(module_cpu, 1),
        # the brief's split: the module's own process() time (wall clock, in its worker) over the CPU time of server
        # and workers; on a busy machine process() waits for a core too, so this overstates the module
        "module_share": round(module_cpu / total_cpu, 3) if total_cpu else None,
        "platform_share": round(1 - module_cpu / total_cpu, 3) if total_cpu else None,
        # the same split by process: the workers run the module (and read its inputs), the server everything else
        "worker_cpu_share": round(cpu["worker"] / total_cpu, 3) if total_cpu else None,
        # the module's part of the jobs' run time (both wall clock, so alike under load)
        "module_share_of_run": round(sum(module_ms) / sum(run_ms), 3) if run_ms else None,
        "cpu_ms_per_study": round(total_cpu * 1000 / n),
        "server_cpu_ms_per_study": round(cpu["server"] * 1000 / n),
        "worker_cpu_ms_per_study": round(cpu["worker"] * 1000 / n),
        "cpu_busy": round(total_cpu / span / os.cpu_count(), 3) if delivered else None,
        "rss_server_mb": max((p["hwm"] for p in procs if p["kind"] == "server"), default=0),
        "rss_workers_mb": sum(p["hwm"] for p in procs if p["kind"] == "worker"),
        "workers": sum(1 for p in procs if p["kind"] == "worker"),
    }
    print(json.dumps(r))
    if os.environ.get("THREADS"):  # CPU ms per study by thread, server and workers
        for kind in ("server", "worker"):
            print(f"# {label} {kind} CPU ms per study by thread: " + json.dumps(by_thread(procs, kind, n)))
    for j in failures[:5]:
        print(f"not delivered: job {j['id']} {j['state']}: {j.get('reason')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "studies":
        studies(args[0], args[1], int(args[2]))
    elif cmd == "monitor":
        monitor(int(args[0]), args[1])
    elif cmd == "wait":
        sys.exit(wait(args[0], args[1], int(args[2]), float(args[3])))
    elif cmd == "warm":
        sys.exit(warm(args[0], args[1], int(args[2]), float(args[3])))
    elif cmd == "report":
        sys.exit(report(args[0], args[1], float(args[2]), args[3], args[4]))
    else:
        sys.exit(__doc__)
