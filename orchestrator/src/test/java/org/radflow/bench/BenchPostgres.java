package org.radflow.bench;

import org.radflow.testkit.PostgresServer;

/**
 * A PostgreSQL server for a benchmark script, with PostgreSQL's own durability settings (fsync and synchronous commit
 * on, as in production; the test kit turns them off for tests): starts it, creates {@code COUNT} empty databases,
 * prints their JDBC URLs one per line, then {@code READY}, and stops the server (deleting its folder) when its standard
 * input ends, e.g. when the script that started it exits, and then prints {@code STOPPED}.
 *
 * <p>Usage: {@code BenchPostgres COUNT}
 */
public final class BenchPostgres {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        try (PostgresServer pg = new PostgresServer().durable().start()) {
            for (int i = 1; i <= count; i++) {
                System.out.println(pg.createDatabase("bench_" + i));
            }
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the end of the input: the script is done
            }
        }
        System.out.println("STOPPED");
    }

    private BenchPostgres() {
    }
}
