package org.radflow.intake;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.radflow.scheduling.SchedulerSettings;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The throttle's decisions on counted backlogs: hysteresis, off by default, one WARN a minute, live settings. */
class IntakeThrottleTest {

    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicReference<SchedulerSettings> settings = new AtomicReference<>(marks(10, 4));
    private final IntakeThrottle throttle = new IntakeThrottle(queued::get, settings::get, now::get);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(IntakeThrottle.class);

    private static SchedulerSettings marks(int high, int low) {
        SchedulerSettings d = SchedulerSettings.defaults();
        return new SchedulerSettings(d.pollInterval(), d.maxAttempts(), d.initialBackoff(), d.maxBackoff(), d.stuckThreadLimit(),
                Map.of(), d.lease(), high, low);
    }

    @BeforeEach
    void capture() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
    }

    private List<ILoggingEvent> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    @Test
    void closesAtTheHighWaterMarkAndOpensOnlyAtTheLowOne() {
        for (long n : new long[]{0, 5, 9}) {
            queued.set(n);
            throttle.refresh();
            assertNull(throttle.refusal(), "below the high-water mark (" + n + " queued) intake stays open");
        }
        queued.set(10);
        throttle.refresh();
        String refusal = throttle.refusal();
        assertEquals("RadFlow is behind: 10 jobs queued; retry later", refusal, "the comment says why and what to do");
        queued.set(Integer.MAX_VALUE);
        assertTrue(("RadFlow is behind: " + Integer.MAX_VALUE + " jobs queued; retry later").length() <= 64,
                "fits the Error Comment (LO, 64 characters) whatever the count");
        for (long n : new long[]{9, 6, 5}) {
            queued.set(n);
            throttle.refresh();
            assertTrue(throttle.throttled(), "above the low-water mark (" + n + " queued) intake stays closed");
        }
        queued.set(4);
        throttle.refresh();
        assertNull(throttle.refusal(), "at the low-water mark intake opens");
        queued.set(9);
        throttle.refresh();
        assertFalse(throttle.throttled(), "and stays open until the high-water mark again");
    }

    @Test
    void offByDefaultWhateverTheBacklog() {
        IntakeThrottle off = new IntakeThrottle(queued::get, SchedulerSettings::defaults, now::get);
        queued.set(1_000_000);
        off.refresh();
        assertNull(off.refusal());
        assertFalse(SchedulerSettings.defaults().throttlesIntake());
    }

    @Test
    void oneWarningAMinuteWhileThrottledWithTheRefusalsCounted() {
        queued.set(50);
        throttle.refresh();
        assertEquals(1, warnings().size(), "a warning when intake closes");
        throttle.refusal();
        throttle.refusal();
        throttle.refusal();
        for (int i = 0; i < 100; i++) { // 50 s of refreshes every 500 ms
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
            throttle.refresh();
        }
        assertEquals(1, warnings().size(), "no more than one a minute: " + warnings());
        now.addAndGet(TimeUnit.SECONDS.toNanos(11));
        throttle.refresh();
        assertEquals(2, warnings().size());
        String second = warnings().get(1).getFormattedMessage();
        assertTrue(second.contains("3 refused since the last warning") && second.contains("scheduler.intakeLowWaterMark"), second);
        queued.set(0);
        throttle.refresh();
        assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == Level.INFO && e.getFormattedMessage().contains("Intake open again")),
                "reopening is logged");
    }

    @Test
    void aReloadThatTurnsThrottlingOffOpensIntakeAtOnce() {
        queued.set(20);
        throttle.refresh();
        assertTrue(throttle.throttled());
        settings.set(SchedulerSettings.defaults());
        throttle.refresh();
        assertFalse(throttle.throttled());
    }

    @Test
    void aStoreThatCannotCountKeepsTheLastDecision() {
        queued.set(20);
        throttle.refresh();
        IntakeThrottle failing = new IntakeThrottle(() -> {
            throw new IllegalStateException("store down");
        }, settings::get, now::get);
        failing.refresh();
        assertFalse(failing.throttled(), "never closed: stays open");
        assertTrue(warnings().stream().anyMatch(e -> e.getFormattedMessage().contains("store down")));
    }

    @Test
    void theRefreshThreadActsOnItsOwn() throws Exception {
        queued.set(20);
        try (IntakeThrottle running = new IntakeThrottle(queued::get, settings::get, System::nanoTime).start()) {
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!running.throttled() && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertTrue(running.throttled(), "closed by the periodic count");
        }
    }

    @Test
    void settingsRefuseALowWaterMarkAtOrAboveTheHighOne() {
        assertThrows(IllegalArgumentException.class, () -> marks(10, 10));
        assertThrows(IllegalArgumentException.class, () -> marks(-1, 0));
    }
}
