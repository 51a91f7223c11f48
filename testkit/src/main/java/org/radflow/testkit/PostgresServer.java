package org.radflow.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (Debian's {@code postgresql}, binaries in {@code /usr/lib/postgresql/<version>/bin})
 * for tests: {@code initdb} in a temporary folder, the server on a free loopback port with trust
 * authentication for the user {@code radflow}, stopped and deleted on close. As root it runs as the
 * {@code postgres} user ({@code initdb} refuses root), through {@code runuser}.
 *
 * <p>As a JUnit 5 extension, one server per test class:
 * <pre>{@code
 * @RegisterExtension
 * static PostgresServer postgres = new PostgresServer();
 * ...
 * String url = postgres.createDatabase();   // a fresh, empty database per test
 * }</pre>
 * Or programmatically: {@link #start()} and try-with-resources. Durability is off (fsync=off): the
 * server is for tests only; {@link #durable()} keeps PostgreSQL's defaults instead, for benchmarks that must pay
 * what a production server pays per commit.
 */
public class PostgresServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
    /** The user every database belongs to; no password (trust, loopback only). */
    public static final String USER = "radflow";
    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final AtomicInteger databases = new AtomicInteger();
    private boolean durable;
    private Path bin;
    private Path workDir;
    private Path dataDir;
    private Path logFile;
    private int port;
    private GuardedProcess process;
    /** An address besides 127.0.0.1 to listen on, and the clients trusted there (CIDR); null: loopback only. */
    private String extraAddress;
    private String extraClients;

    /** The newest {@code /usr/lib/postgresql/<version>/bin} with {@code initdb}, or {@code -Dradflow.postgres.bin=DIR}. */
    public static Path binaries() {
        String configured = System.getProperty("radflow.postgres.bin");
        if (configured != null) {
            return Path.of(configured);
        }
        try (Stream<Path> versions = Files.isDirectory(DEBIAN_ROOT) ? Files.list(DEBIAN_ROOT) : Stream.empty()) {
            return versions
                    .filter(v -> v.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                    .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                    .max(Comparator.comparingDouble(v -> Double.parseDouble(v.getFileName().toString())))
                    .map(v -> v.resolve("bin"))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server under " + DEBIAN_ROOT
                            + "/<version>/bin: run scripts/setup.sh (Debian package postgresql) or set -Dradflow.postgres.bin=DIR"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + DEBIAN_ROOT, e);
        }
    }

    /** Before {@link #start()}: fsync, synchronous commit and full-page writes on (PostgreSQL's defaults). */
    public PostgresServer durable() {
        this.durable = true;
        return this;
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The command, run as the postgres user when we are root. */
    private static List<String> asServerUser(List<String> command) {
        List<String> out = new ArrayList<>();
        if (root()) {
            out.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        out.addAll(command);
        return out;
    }

    /**
     * Also listens on {@code address} (one of this host's, e.g. a bridge to a test's network namespaces) and trusts
     * connections from {@code clientCidr} there, e.g. {@code 10.231.5.0/24}; without it, loopback only. Before start.
     */
    public synchronized PostgresServer alsoListenOn(String address, String clientCidr) {
        if (process != null) {
            throw new IllegalStateException("alsoListenOn must be called before start()");
        }
        this.extraAddress = address;
        this.extraClients = clientCidr;
        return this;
    }

    public synchronized PostgresServer start() {
        if (process != null) {
            return this;
        }
        bin = binaries();
        try {
            workDir = Files.createTempDirectory("radflow-pg-");
            if (root()) {
                UserPrincipalLookupService users = workDir.getFileSystem().getUserPrincipalLookupService();
                PosixFileAttributeView view = Files.getFileAttributeView(workDir, PosixFileAttributeView.class);
                view.setOwner(users.lookupPrincipalByName("postgres"));
                GroupPrincipal group = users.lookupPrincipalByGroupName("postgres");
                view.setGroup(group);
            }
            dataDir = workDir.resolve("data");
            Path logs = Processes.targetDir().resolve("postgres-logs");
            Files.createDirectories(logs);
            logFile = Files.createTempFile(logs, "postgres-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a folder for PostgreSQL", e);
        }
        ToolResult init = Processes.run(asServerUser(List.of(bin.resolve("initdb").toString(), "-D", dataDir.toString(),
                "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")), Duration.ofMinutes(2));
        if (!init.ok()) {
            Processes.deleteRecursively(workDir);
            throw new IllegalStateException("initdb failed: " + init.describe());
        }
        String listen = "127.0.0.1";
        if (extraAddress != null) {
            listen += "," + extraAddress;
            try {
                // initdb --auth=trust trusts loopback only; the namespaces' subnet needs its own line
                Files.writeString(dataDir.resolve("pg_hba.conf"), "host all all " + extraClients + " trust\n",
                        java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                Processes.deleteRecursively(workDir);
                throw new UncheckedIOException("cannot add " + extraClients + " to pg_hba.conf", e);
            }
        }
        port = FreePorts.find();
        try {
            List<String> command = new ArrayList<>(List.of(bin.resolve("postgres").toString(), "-D", dataDir.toString(),
                    "-p", Integer.toString(port), "-k", workDir.toString(), "-c", "listen_addresses=" + listen));
            if (!durable) {
                command.addAll(List.of("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"));
            }
            process = GuardedProcess.start(asServerUser(command), workDir, logFile);
        } catch (IOException e) {
            Processes.deleteRecursively(workDir);
            throw new UncheckedIOException("cannot start " + bin.resolve("postgres"), e);
        }
        long end = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            ToolResult ready = Processes.run(List.of(bin.resolve("pg_isready").toString(), "-h", "127.0.0.1", "-p",
                    Integer.toString(port), "-U", USER, "-d", "postgres"), Duration.ofSeconds(10));
            if (ready.ok()) {
                break;
            }
            if (!process.isAlive() || System.nanoTime() > end) {
                String log = Processes.tail(logFile, 30);
                stop();
                throw new IllegalStateException("PostgreSQL did not start on 127.0.0.1:" + port + ": " + log);
            }
            Processes.sleep(100);
        }
        LOG.info("PostgreSQL ({}) on {}:{}, data in {}", bin.getParent().getFileName(), listen, port, dataDir);
        return this;
    }

    public int port() {
        return port;
    }

    public String user() {
        return USER;
    }

    /** The JDBC URL of {@code database} at {@code host} (127.0.0.1 or the address given to {@link #alsoListenOn}). */
    public String jdbcUrl(String host, String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** The JDBC URL of {@code database} on this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates a new, empty database (owned by {@link #USER}) and returns its JDBC URL. */
    public String createDatabase() {
        return createDatabase("test_" + databases.incrementAndGet());
    }

    /** Creates the database {@code name} and returns its JDBC URL. */
    public String createDatabase(String name) {
        if (process == null) {
            throw new IllegalStateException("PostgresServer not started: call start() or register it as an extension");
        }
        ToolResult r = Processes.run(List.of(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-U", USER, name), Duration.ofSeconds(30));
        if (!r.ok()) {
            throw new IllegalStateException("createdb " + name + " failed: " + r.describe());
        }
        return jdbcUrl(name);
    }

    /** Stops the server (fast shutdown: open sessions are ended) and deletes its folder. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        ToolResult r = Processes.run(asServerUser(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(),
                "-m", "fast", "-w", "-t", "20", "stop")), Duration.ofSeconds(30));
        if (!r.ok()) {
            LOG.warn("pg_ctl stop: {}", r.describe());
        }
        process.stop(Duration.ofSeconds(10));
        process = null;
        Processes.deleteRecursively(workDir);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }
}
