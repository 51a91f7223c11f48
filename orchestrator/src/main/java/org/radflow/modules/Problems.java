package org.radflow.modules;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Small helpers for messages and file clean-up. */
final class Problems {

    private Problems() {
    }

    /** "IllegalStateException: boom (caused by IOException: disk full)": the chain an operator needs, without a stack. */
    static String describe(Throwable t) {
        StringBuilder s = new StringBuilder(one(t));
        Throwable cause = t.getCause();
        for (int depth = 0; cause != null && cause != t && depth < 4; depth++, cause = cause.getCause()) {
            s.append(" (caused by ").append(one(cause)).append(')');
        }
        return s.toString();
    }

    private static String one(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
