package org.radflow.modules;

/**
 * Runs code with a module's class loader as the thread context class loader, as every call into a
 * module must be: libraries inside the module (ServiceLoader, JAXB, logging back-ends) look up their
 * resources through it.
 */
public final class ContextClassLoader {

    /** A call that may throw a checked exception of one type. */
    @FunctionalInterface
    public interface Call<T, E extends Exception> {
        T call() throws E;
    }

    private ContextClassLoader() {
    }

    public static <T, E extends Exception> T call(ClassLoader loader, Call<T, E> call) throws E {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return call.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
