package org.vssf.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.bench.data.DataSet;

/** The command line in process: help, exit codes, and one-line errors without stack traces. */
class VssfCliTest {
  @TempDir
  Path tmp;

  /** Exit code and what went to stdout and stderr. */
  private record Run(int code, String out, String err) {
    /** Asserts a failure with exactly one line on stderr that contains {@code expected}. */
    void failsWith(int expectedCode, String expected) {
      assertEquals(expectedCode, code, "exit code; stderr: " + err);
      assertEquals(1, err.lines().count(), "one line on stderr: " + err);
      assertTrue(err.contains(expected), "'" + err.strip() + "' should contain '" + expected + "'");
      assertFalse(err.contains("\tat "), "no stack trace: " + err);
    }
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Vssf.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
        .execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private String[] small(Path out, String... more) {
    String[] base = {"generate", "--env", "pendulum", "--out", out.toString(), "--size", "16",
        "--train", "3", "--test", "2", "--length", "3", "--eval", "1", "--eval-length", "4",
        "--threads", "2"};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void helpAndVersion() {
    Run top = run("--help");
    assertEquals(0, top.code);
    assertTrue(top.out.contains("generate"), top.out);
    assertTrue(top.out.contains("--verbose"), top.out);
    Run gen = run("generate", "--help");
    assertEquals(0, gen.code);
    for (String option : new String[] {"--env", "--out", "--size", "--train", "--test",
        "--length", "--eval", "--eval-length", "--seed", "--dynamics", "--threads"}) {
      assertTrue(gen.out.contains(option), option + " in\n" + gen.out);
    }
    assertEquals(0, run("help", "generate").code);
    Run version = run("--version");
    assertEquals(0, version.code);
    assertTrue(version.out.startsWith("vssf "), version.out);
  }

  @Test
  void usageErrorsAreOneLineWithExitCode2() {
    run().failsWith(2, "vssf: missing command");
    run("frobnicate").failsWith(2, "vssf: unknown command 'frobnicate'");
    run("generate").failsWith(2, "vssf generate: Missing required options");
    run("generate", "--out", "x").failsWith(2, "'--env=ENV'");
    run("generate", "--env", "cartpole", "--out", "x")
        .failsWith(2, "unknown environment 'cartpole' (choose pendulum, blocks or pillars)");
    run("generate", "--env", "pendulum", "--out", "x", "--size", "big")
        .failsWith(2, "Invalid value for option '--size'");
    run("generate", "--env", "pendulum", "--out", "x", "--size", "4")
        .failsWith(2, "--size must be between 8 and 1024, got 4");
    run("generate", "--env", "pendulum", "--out", "x", "--train", "0")
        .failsWith(2, "--train must be at least 1");
    run("generate", "--env", "pendulum", "--out", "x", "--length", "1")
        .failsWith(2, "--length must be at least 2");
    run("generate", "--env", "pendulum", "--out", "x", "--threads", "0")
        .failsWith(2, "--threads must be between 1 and 1024");
    run("generate", "--env", "pendulum", "--out", "x", "--bogus")
        .failsWith(2, "Unknown option: '--bogus'");
    assertFalse(Files.exists(Path.of("x")), "nothing written on a usage error");
  }

  @Test
  void failuresAreOneLineWithExitCode1() throws IOException {
    Path used = tmp.resolve("used");
    Files.createDirectories(used.resolve("old"));
    run(small(used)).failsWith(1, "vssf generate: output directory " + used + " is not empty");
    Path missing = tmp.resolve("missing.json");
    run(small(tmp.resolve("a"), "--dynamics", missing.toString()))
        .failsWith(1, "no such file or directory: " + missing);
    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, "{\"A\": [[1, 0], [0]]}");
    run(small(tmp.resolve("b"), "--dynamics", bad.toString()))
        .failsWith(1, "dynamics file " + bad + ": field \"A\" must be a 2x2 matrix");
    Files.writeString(bad, "{\"A\": [[1, 0], [0, 1]] \"B\": 1}");
    run(small(tmp.resolve("c"), "--dynamics", bad.toString())).failsWith(1, "invalid JSON");
    assertFalse(Files.exists(tmp.resolve("a")));
    assertFalse(Files.exists(tmp.resolve("b")));
  }

  @Test
  void verboseAddsTheStackTrace() throws IOException {
    Path used = tmp.resolve("used");
    Files.createDirectories(used.resolve("old"));
    for (String[] args : new String[][] {small(used, "--verbose"),
        {"--verbose", "generate", "--env", "pendulum", "--out", used.toString()}}) {
      Run r = run(args);
      assertEquals(1, r.code);
      assertTrue(r.err.lines().count() > 3, r.err);
      assertTrue(r.err.contains("\tat org.vssf."), r.err);
    }
  }

  @Test
  void generatesADataSet() throws IOException {
    Path out = tmp.resolve("pend");
    Path dyn = tmp.resolve("dyn.json");
    Files.writeString(dyn, "{\"process_noise\": 0.001}");
    Run r = run(small(out, "--dynamics", dyn.toString(), "--seed", "3"));
    assertEquals(0, r.code, r.err);
    assertEquals("", r.err);
    assertTrue(r.out.contains("wrote " + out + " (pendulum, seed 3)"), r.out);
    try (DataSet ds = DataSet.open(out.resolve("train"))) {
      assertEquals(3, ds.sequences());
      assertEquals(3L, ds.info().seed());
      assertEquals(0.001, ds.info().dynamics().processCov()[0]);
    }
    try (DataSet ds = DataSet.open(out.resolve("eval"))) {
      assertEquals(4, ds.length());
    }
    // environment names are case-insensitive
    assertEquals(0, run("generate", "--env", "BLOCKS", "--out", tmp.resolve("blk").toString(),
        "--size", "8", "--train", "2", "--test", "0", "--eval", "0").code);
  }
}
