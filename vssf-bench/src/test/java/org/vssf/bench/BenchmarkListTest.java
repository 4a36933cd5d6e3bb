package org.vssf.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The JMH annotation processor ran: without it (e.g. javac 23+ ignoring class-path processors)
 * benchmarks.jar would build fine and contain no benchmarks.
 */
class BenchmarkListTest {
  @Test
  void generatedBenchmarkListNamesTheKernelBenchmarks() throws Exception {
    InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/BenchmarkList");
    assertNotNull(in, "META-INF/BenchmarkList missing: the JMH annotation processor did not run");
    String list;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      list = r.lines().collect(Collectors.joining("\n"));
    }
    assertTrue(list.contains("org.vssf.bench.GemmBenchmark"), "GemmBenchmark not generated");
    assertTrue(list.contains("org.vssf.bench.EjmlBaselineBenchmark"), "EJML baseline not generated");
  }

  @Test
  void gflopsFromEitherScoreUnit() {
    double flops = 2.0 * 64 * 64 * 64; // 524288
    assertEquals(0.524288, GflopsReport.toGflops(flops, 1000, "ops/s"), 1e-12);
    assertEquals(0.524288, GflopsReport.toGflops(flops, 1, "ops/ms"), 1e-12);
    assertEquals(0.524288, GflopsReport.toGflops(flops, 1, "ms/op"), 1e-12);
    assertEquals(0.524288, GflopsReport.toGflops(flops, 1000, "us/op"), 1e-12);
    assertTrue(Double.isNaN(GflopsReport.toGflops(flops, 1, "furlongs")));
    assertTrue(Double.isNaN(GflopsReport.gflops("no.such.Bench.method", null, 1, "ops/s")));
  }
}
