package org.vssf.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in process for tests: exit code, stdout and stderr. */
final class CliRuns {
  private CliRuns() {}

  /** Runs {@code args}, asserts the exit code and returns {@code {stdout, stderr}}. */
  static String[] run(int expectedCode, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Vssf.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    assertEquals(expectedCode, code, "exit code of " + String.join(" ", args) + "; stderr: " + err);
    return new String[] {out.toString(), err.toString()};
  }

  /** Asserts a failure with exit code {@code code} and one stderr line containing {@code expected}. */
  static void failsWith(int code, String expected, String... args) {
    String err = run(code, args)[1];
    assertEquals(1, err.lines().count(), "one line on stderr: " + err);
    assertTrue(err.contains(expected), "'" + err.strip() + "' should contain '" + expected + "'");
    assertFalse(err.contains("\tat "), "no stack trace: " + err);
  }
}
