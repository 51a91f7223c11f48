package org.radflow.dicom.net;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.network.CStoreRequestCommandMessage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DimseCommandTest {

    @Test
    void decodesACStoreRequestEncodedByPixelMed() throws Exception {
        byte[] bytes = new CStoreRequestCommandMessage("1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5", "", 0).getBytes();
        DimseCommand c = DimseCommand.decode(bytes);
        assertEquals(DimseCommand.C_STORE_RQ, c.commandField());
        assertEquals("1.2.840.10008.5.1.4.1.1.2", c.getString(DimseCommand.AFFECTED_SOP_CLASS_UID));
        assertEquals("1.2.3.4.5", c.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID));
        assertTrue(c.hasDataSet());
    }

    @Test
    void encodesAResponsePixelMedReadsBackWithGroupLengthAndPadding() throws Exception {
        DimseCommand rq = new DimseCommand().set(DimseCommand.AFFECTED_SOP_CLASS_UID, "1.2.840.10008.5.1.4.1.1.2")
                .set(DimseCommand.COMMAND_FIELD, DimseCommand.C_STORE_RQ).set(DimseCommand.MESSAGE_ID, 7)
                .set(DimseCommand.AFFECTED_SOP_INSTANCE_UID, "1.2.3.45");
        byte[] bytes = DimseCommand.cStoreResponse(rq, DimseCommand.STATUS_OUT_OF_RESOURCES, "spool full").encode();
        assertEquals(0, bytes.length % 2);
        AttributeList list = new AttributeList();
        list.read(new DicomInputStream(new ByteArrayInputStream(bytes), TransferSyntax.ImplicitVRLittleEndian, false));
        assertEquals(bytes.length - 12, list.get(new com.pixelmed.dicom.AttributeTag(0, 0)).getSingleIntegerValueOrDefault(-1));
        assertEquals(0xA700, list.get(TagFromName.Status).getSingleIntegerValueOrDefault(-1));
        assertEquals(7, list.get(TagFromName.MessageIDBeingRespondedTo).getSingleIntegerValueOrDefault(-1));
        assertEquals("spool full", list.get(TagFromName.ErrorComment).getSingleStringValueOrNull());
        DimseCommand back = DimseCommand.decode(bytes);
        assertEquals("1.2.3.45", back.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID));
        assertFalse(back.hasDataSet());
    }

    @Test
    void errorCommentIsTruncatedToLoLength() {
        DimseCommand rq = new DimseCommand().set(DimseCommand.AFFECTED_SOP_CLASS_UID, "1.2").set(DimseCommand.MESSAGE_ID, 1)
                .set(DimseCommand.AFFECTED_SOP_INSTANCE_UID, "1.3");
        DimseCommand rsp = DimseCommand.cStoreResponse(rq, 0xC000, "x".repeat(200) + "\n");
        assertEquals(64, rsp.getString(DimseCommand.ERROR_COMMENT).length());
    }

    @Test
    void rejectsMalformedCommandSets() {
        assertThrows(DicomProtocolException.class, () -> DimseCommand.decode(new byte[] {8, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4}));
        assertThrows(DicomProtocolException.class, () -> DimseCommand.decode(new byte[] {0, 0, 0, 1, (byte) 200, 0, 0, 0, 1}));
    }
}
