package org.radflow.dicom;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Part10Test {

    @Test
    void writtenMetaIsReadByPixelMedAndByReadMeta(@TempDir Path dir) throws Exception {
        byte[] meta = Part10.fileMetaInformation("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5.6.7",
                TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, "MODALITY");
        Path f = dir.resolve("x.dcm");
        Files.write(f, meta);
        AttributeList list = new AttributeList();
        list.readOnlyMetaInformationHeader(f.toString());
        assertEquals("1.2.3.4.5.6.7", list.get(TagFromName.MediaStorageSOPInstanceUID).getSingleStringValueOrNull());
        assertEquals("MODALITY", list.get(TagFromName.SourceApplicationEntityTitle).getSingleStringValueOrNull());
        Part10.Meta m = Part10.readMeta(f);
        assertEquals("1.2.840.10008.5.1.4.1.1.7", m.sopClassUid());
        assertEquals(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, m.transferSyntaxUid());
        assertEquals(meta.length, m.dataSetOffset());
    }

    @Test
    void nonDicomIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.txt");
        Files.writeString(f, "hello");
        assertThrows(com.pixelmed.dicom.DicomException.class, () -> Part10.readMeta(f));
    }
}
