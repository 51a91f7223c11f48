import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * For bench/studies-api.sh: writes STUDIES synthetic studies straight into a RadFlow spool's layout,
 * {@code <incoming>/<study>/<series>/<sop>.dcm}, as the listener leaves them: one CT series of INSTANCES 16x16 8-bit
 * images each, with patient and study attributes, file times one second apart (study i received at base + i s).
 * Usage: java -cp 'deploy/target/radflow/lib/*' bench/StudiesSpool.java INCOMING STUDIES INSTANCES
 */
public class StudiesSpool {
    public static void main(String[] args) throws Exception {
        Path incoming = Path.of(args[0]);
        int studies = Integer.parseInt(args[1]);
        int instances = Integer.parseInt(args[2]);
        Instant base = Instant.now().minusSeconds(studies + 3600L);
        byte[] pixels = new byte[16 * 16];
        for (int s = 0; s < studies; s++) {
            String study = "1.2.826.0.1.3680043.10.1600." + (s + 1);
            String series = study + ".1";
            Path dir = Files.createDirectories(incoming.resolve(study).resolve(series));
            FileTime at = FileTime.from(base.plusSeconds(s));
            for (int i = 0; i < instances; i++) {
                String sop = series + "." + (i + 1);
                AttributeList l = new AttributeList();
                put(l, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
                put(l, TagFromName.SOPInstanceUID, sop);
                put(l, TagFromName.StudyInstanceUID, study);
                put(l, TagFromName.SeriesInstanceUID, series);
                put(l, TagFromName.PatientName, "Bench^Patient" + s);
                put(l, TagFromName.PatientID, "BENCH" + s);
                put(l, TagFromName.StudyDate, "20261201");
                put(l, TagFromName.StudyDescription, "CT chest");
                put(l, TagFromName.AccessionNumber, "ACC" + s);
                put(l, TagFromName.Modality, "CT");
                put(l, TagFromName.SeriesNumber, "1");
                put(l, TagFromName.SeriesDescription, "Axial");
                put(l, TagFromName.InstanceNumber, Integer.toString(i + 1));
                put(l, TagFromName.Rows, "16");
                put(l, TagFromName.Columns, "16");
                put(l, TagFromName.BitsAllocated, "8");
                put(l, TagFromName.BitsStored, "8");
                put(l, TagFromName.HighBit, "7");
                put(l, TagFromName.PixelRepresentation, "0");
                put(l, TagFromName.SamplesPerPixel, "1");
                put(l, TagFromName.PhotometricInterpretation, "MONOCHROME2");
                Attribute px = new OtherByteAttribute(TagFromName.PixelData);
                px.setValues(pixels);
                l.put(px);
                FileMetaInformation.addFileMetaInformation(l, TransferSyntax.ExplicitVRLittleEndian, "RADFLOWBENCH");
                Path f = dir.resolve(sop + ".dcm");
                l.write(f.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
                Files.setLastModifiedTime(f, at);
            }
            Files.setLastModifiedTime(dir, at);
            Files.setLastModifiedTime(dir.getParent(), at);
        }
    }

    private static void put(AttributeList l, AttributeTag t, String v) throws Exception {
        Attribute a = AttributeFactory.newAttribute(t);
        a.addValue(v);
        l.put(a);
    }
}
