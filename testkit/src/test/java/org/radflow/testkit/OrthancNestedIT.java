package org.radflow.testkit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A static Orthanc of an outer class survives its @Nested classes. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OrthancNestedIT {

    @RegisterExtension
    static OrthancServer orthanc = new OrthancServer();

    static int port;

    @Test
    @Order(1)
    void outerFirst() {
        port = orthanc.httpPort();
        assertTrue(orthanc.isRunning());
    }

    @Nested
    class Inner {
        @Test
        void sameServer() {
            assertTrue(orthanc.isRunning());
            assertEquals(port, orthanc.httpPort());
        }
    }

    @Nested
    class SecondInner {
        @Test
        void stillTheSameServer() {
            assertTrue(orthanc.isRunning());
            assertEquals(port, orthanc.httpPort(), "the first @Nested class must not stop the outer server");
        }
    }

    @Test
    @Order(2)
    void outerSecond() {
        assertTrue(orthanc.isRunning());
        assertEquals(port, orthanc.httpPort());
    }
}
