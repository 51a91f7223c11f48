package org.radflow.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.internal.threadchecker.BlockedThreadChecker;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Fails a test during which Vert.x's blocked-thread checker warned: nothing that blocks (JDBC, files, DICOM I/O) may
 * run on an event loop. Registered for every test through JUnit's extension auto-detection (the parent POM turns it
 * on); RadFlow servers started by tests use a low threshold ({@code radflow.vertx.maxEventLoopExecuteMillis}, set by
 * the parent POM), so a handler that blocks for longer than that fails the test that made it.
 */
public final class BlockedEventLoopGuard implements BeforeAllCallback, AfterEachCallback {

    private static final List<String> WARNINGS = new ArrayList<>();
    private static volatile boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    private static synchronized void install() {
        if (installed || !(LoggerFactory.getLogger(BlockedThreadChecker.LOGGER_NAME) instanceof Logger logger)) {
            return;
        }
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                if (e.getLevel().isGreaterOrEqual(Level.WARN)) {
                    synchronized (WARNINGS) {
                        WARNINGS.add(e.getFormattedMessage());
                    }
                }
            }
        };
        appender.setName("radflow-blocked-event-loop-guard");
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
        installed = true;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> seen;
        synchronized (WARNINGS) {
            seen = List.copyOf(WARNINGS);
            WARNINGS.clear();
        }
        if (!seen.isEmpty()) {
            throw new AssertionError("a Vert.x event loop was blocked during " + context.getDisplayName() + " (nothing that "
                    + "blocks may run on it): " + seen);
        }
    }

    /** Forgets the warnings seen so far (for the guard's own test, which blocks on purpose). */
    void afterEachClear() {
        synchronized (WARNINGS) {
            WARNINGS.clear();
        }
    }

    /** Warnings seen since the last test ended (for the guard's own test). */
    static List<String> pending() {
        synchronized (WARNINGS) {
            return new ArrayList<>(WARNINGS);
        }
    }
}
