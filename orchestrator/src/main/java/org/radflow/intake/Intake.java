package org.radflow.intake;

import org.radflow.listener.InstanceSink;
import org.radflow.listener.InstanceStored;
import org.radflow.pipeline.PipelineEvents;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The first stage after the listener: takes each stored instance (a typed call from the listener, not a message),
 * reads its header once (kept in the {@link HeaderCache} for the stages after it) on a thread of its own — never the listener's, whose peer waits for the C-STORE response,
 * nor the event loop — and hands the immutable {@link ReceivedInstance} to the tracker, in arrival order.
 */
public final class Intake implements InstanceSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Intake.class);

    private final HeaderCache headers;
    private final Consumer<ReceivedInstance> next;
    private final PipelineEvents events;
    private final ExecutorService thread = Threads.single("intake");
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    /**
     * @param next the tracker's port: called on the intake thread with each instance, in arrival order
     */
    public Intake(HeaderCache headers, Consumer<ReceivedInstance> next, PipelineEvents events) {
        this.headers = headers;
        this.next = next;
        this.events = events;
    }

    /** From the listener, once the instance is durable: returns at once. */
    @Override
    public void stored(InstanceStored e) {
        received.incrementAndGet();
        bytes.addAndGet(e.size());
        try {
            thread.execute(() -> take(e));
        } catch (RejectedExecutionException closed) {
            // shutting down: the instance is in the spool, and the rescan at the next start offers it again
        }
    }

    private void take(InstanceStored e) {
        InstanceHeader header;
        try {
            // kept whole for the jobs of this instance: their input and report stage do not open the file for it again
            header = headers.put(e.path(), headers.read(e.path()));
        } catch (Exception ex) {
            // the listener checked its structure; a header that still cannot be read routes as "no attributes"
            LOG.warn("Cannot read the header of {} ({}): it is tracked, but no rule can match it", e.path(), ex.toString());
            header = InstanceHeader.EMPTY;
            headers.unreadable(e.path());
        }
        ReceivedInstance instance = new ReceivedInstance(e, header);
        events.instanceReceived(instance);
        try {
            next.accept(instance);
        } catch (RuntimeException ex) {
            LOG.error("Tracking {} failed: {}", org.radflow.dicom.Uids.forLog(e.sopInstanceUid()), ex.toString(), ex);
        }
    }

    /**
     * Runs {@code task} on the intake thread once every instance handed over before this call was taken (read and
     * passed to the tracker): at the end of an association, the tracker then sees all of its instances.
     */
    public void afterTaken(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closed) {
            // shutting down: nothing is handed on any more
        }
    }

    public long instancesReceived() {
        return received.get();
    }

    public long bytesReceived() {
        return bytes.get();
    }

    /** Finishes the instances already handed over (bounded). */
    @Override
    public void close() {
        Threads.shutdown(thread, 10, TimeUnit.SECONDS);
    }
}
