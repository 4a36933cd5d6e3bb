package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels give the same bits whether the JVM interprets them (the Vector API's Java
 * fallback) or runs them compiled (intrinsics): otherwise two training runs of one seed, or a run
 * and its resumption in a fresh JVM, would drift apart depending on when the JIT compiled what.
 */
class TierIndependenceTest {
  @Test
  void simdKernelsGiveTheSameBitsInterpretedAndCompiled() throws Exception {
    assumeTrue(KernelProvider.simdOrNull() != null, "SIMD kernels not loaded in this run");
    String interpreted = probe("-Xint");
    String compiled = probe("-XX:-TieredCompilation", "-XX:CompileThreshold=100", "-Xbatch", "warm");
    assertEquals(interpreted, compiled, "kernel checksums: interpreter vs C2");
  }

  private static String probe(String... args) throws IOException, InterruptedException {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    String warm = null;
    for (String a : args) {
      if (a.startsWith("-")) {
        cmd.add(a);
      } else {
        warm = a;
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(TierProbe.class.getName());
    if (warm != null) {
      cmd.add(warm);
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("probe did not finish: " + cmd);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "probe failed: " + err);
    return out;
  }
}
