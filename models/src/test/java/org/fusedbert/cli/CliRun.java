package org.fusedbert.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** One CLI invocation's exit code and output, for tests. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs with {@code stdin} as standard input. */
    static CliRun withInput(String stdin, String... args) {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            return of(args);
        } finally {
            System.setIn(saved);
        }
    }

    /** Whether this failed with exactly one line on stderr. */
    boolean failedWithOneLine() {
        return code != 0 && err.strip().lines().count() == 1 && !err.contains("\tat ");
    }
}
