package org.radflow.report;

import com.pixelmed.dicom.AttributeList;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.dicom.OutputUids;
import org.radflow.jobs.Job;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything a writer needs to make the output objects of one completed job.
 *
 * @param sources                  the header attributes (up to Pixel Data) of each input instance, by SOP Instance UID,
 *                                 in the order of {@code job.inputFiles()}
 * @param first                    the first input instance's attributes: patient, study and (for single-series units)
 *                                 series and frame of reference come from here
 * @param createdAt                when the objects are made (content date/time)
 * @param supersededSrInstanceUid  the SR of the job this job supersedes (a re-opened unit), or null
 */
public record ReportInput(Job job, ModuleDescriptor module, ModuleResult result, Map<String, AttributeList> sources,
                          AttributeList first, Instant createdAt, String supersededSrInstanceUid) {

    /** Output UID for a role such as {@code "sr.series"}, {@code "sc.instance"}: same inputs, module and version, same UID. */
    public String uid(String role) {
        return OutputUids.derive(job.inputHash(), job.moduleId(), job.moduleVersion(), role);
    }

    public List<Path> inputFiles() {
        return job.inputFiles();
    }

    /** True for the small demonstration models: every output says DEMO MODEL. */
    public boolean demoModel() {
        return module.model().demo();
    }
}
