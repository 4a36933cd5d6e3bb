package org.vssf.bench;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.Locale;
import java.util.TreeMap;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH with the usual command-line options and prints a Markdown table with GFLOP/s for every
 * benchmark whose class declares {@code public static double flops(BenchmarkParams)} (FLOPs per
 * operation). Usage: {@code java -cp benchmarks.jar org.vssf.bench.GflopsReport [JMH options]}.
 */
public final class GflopsReport {
  private GflopsReport() {}

  public static void main(String[] args) throws Exception {
    CommandLineOptions options = new CommandLineOptions(args);
    Collection<RunResult> results = new Runner(options).run();
    System.out.println();
    System.out.println("| benchmark | params | score | unit | GFLOP/s |");
    System.out.println("|---|---|---:|---|---:|");
    for (RunResult r : results) {
      BenchmarkParams p = r.getParams();
      String bench = p.getBenchmark();
      String shortName = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
      TreeMap<String, String> params = new TreeMap<>();
      for (String key : p.getParamsKeys()) {
        params.put(key, p.getParam(key));
      }
      double score = r.getPrimaryResult().getScore();
      String unit = r.getPrimaryResult().getScoreUnit();
      double gflops = gflops(bench, p, score, unit);
      System.out.printf(Locale.ROOT, "| %s | %s | %.3f ± %.3f | %s | %s |%n", shortName,
          params.toString().replaceAll("[{}]", ""), score, r.getPrimaryResult().getScoreError(), unit,
          Double.isNaN(gflops) ? "" : String.format(Locale.ROOT, "%.1f", gflops));
    }
  }

  /** GFLOP/s from a score, or NaN when the class defines no FLOP count or the unit is unknown. */
  static double gflops(String benchmark, BenchmarkParams p, double score, String unit) {
    double flops;
    try {
      Class<?> cls = Class.forName(benchmark.substring(0, benchmark.lastIndexOf('.')));
      Method m = cls.getMethod("flops", BenchmarkParams.class);
      flops = (double) m.invoke(null, p);
    } catch (ReflectiveOperationException e) {
      return Double.NaN;
    }
    return toGflops(flops, score, unit);
  }

  /** GFLOP/s for {@code flopsPerOp} given a JMH score in {@code ops/<t>} or {@code <t>/op}. */
  static double toGflops(double flopsPerOp, double score, String unit) {
    String[] u = unit.split("/");
    if (u.length != 2) {
      return Double.NaN;
    }
    if (u[0].equals("ops")) {
      return score * flopsPerOp / seconds(u[1]) / 1e9;
    }
    return flopsPerOp / (score * seconds(u[0])) / 1e9;
  }

  private static double seconds(String unit) {
    switch (unit) {
      case "s": return 1;
      case "ms": return 1e-3;
      case "us": return 1e-6;
      case "ns": return 1e-9;
      case "min": return 60;
      default: return Double.NaN;
    }
  }
}
