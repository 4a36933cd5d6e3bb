package org.vssf.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/** The baseline GEMM targets are stated against: EJML {@code CommonOps_FDRM.mult}, float, square. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EjmlBaselineBenchmark {
  @Param({"256", "512"})
  public int size;

  private FMatrixRMaj a;
  private FMatrixRMaj b;
  private FMatrixRMaj c;

  /** FLOPs of one call: 2·n³. */
  public static double flops(BenchmarkParams params) {
    double n = Integer.parseInt(params.getParam("size"));
    return 2 * n * n * n;
  }

  @Setup
  public void setup() {
    SplittableRandom rng = new SplittableRandom(42);
    a = new FMatrixRMaj(size, size, true, BenchData.uniform(rng, size * size));
    b = new FMatrixRMaj(size, size, true, BenchData.uniform(rng, size * size));
    c = new FMatrixRMaj(size, size);
  }

  @Benchmark
  public FMatrixRMaj ejmlMult() {
    CommonOps_FDRM.mult(a, b, c);
    return c;
  }
}
