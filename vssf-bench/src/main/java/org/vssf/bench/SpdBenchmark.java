package org.vssf.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.vssf.linalg.SpdBatch;

/**
 * Batched small SPD algebra ({@link SpdBatch}) at the filter's shape: 640 = 128 sequences × 5 steps
 * of {@code m × m} covariances per call. {@code cholesky} is the bare factorisation, {@code
 * spdSolve} one SPD solve {@code A⁻¹b}, and {@code factorSolveLogDet} what one information-filter
 * update does per matrix: {@code L·Lᵀ = ½(A + Aᵀ) + jitter·I}, {@code y = L⁻¹b}, {@code x = L⁻ᵀy}
 * and {@code log det A = 2 Σ log l_ii}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SpdBenchmark {
  /** Matrices per call: 128 sequences × 5 time steps. */
  static final int BATCH = 640;

  /** Matrix size. */
  @Param({"2", "4"})
  public int m;

  /** Parallelism passed to every kernel. */
  @Param({"1"})
  public int threads;

  // Non-final so the JIT cannot treat the inputs as constants.
  private float[] a;
  private float[] b;
  private float[] l;
  private float[] y;
  private float[] x;
  private float[] logDet;

  /** Random SPD inputs {@code A = G·Gᵀ/m + ½I} and right-hand sides, from a fixed seed. */
  @Setup
  public void setup() {
    SplittableRandom rng = new SplittableRandom(42);
    int mm = m * m;
    a = new float[BATCH * mm];
    b = new float[BATCH * m];
    for (int e = 0; e < BATCH; e++) {
      double[] g = new double[mm];
      for (int i = 0; i < mm; i++) {
        g[i] = 2 * rng.nextDouble() - 1;
      }
      for (int i = 0; i < m; i++) {
        for (int j = 0; j <= i; j++) {
          double s = i == j ? 0.5 : 0.0;
          for (int k = 0; k < m; k++) {
            s += g[i * m + k] * g[j * m + k] / m;
          }
          a[e * mm + i * m + j] = (float) s;
          a[e * mm + j * m + i] = (float) s;
        }
      }
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (2 * rng.nextDouble() - 1);
    }
    l = new float[BATCH * mm];
    y = new float[BATCH * m];
    x = new float[BATCH * m];
    logDet = new float[BATCH];
  }

  /** Lower Cholesky factors of the whole batch. */
  @Benchmark
  public float[] cholesky() {
    SpdBatch.cholesky("a", BATCH, m, a, 0, l, 0, threads);
    return l;
  }

  /** {@code x = A⁻¹b} for the whole batch (one right-hand side). */
  @Benchmark
  public float[] spdSolve() {
    SpdBatch.spdSolve("a", BATCH, m, 1, a, 0, b, 0, x, 0, threads);
    return x;
  }

  /** Factor with jitter, forward and back triangular solves, and log-determinant. */
  @Benchmark
  public float[] factorSolveLogDet() {
    SpdBatch.factorSpd("a", BATCH, m, a, 0, 1e-6f, l, 0, threads);
    SpdBatch.solveTriangular(BATCH, m, 1, true, false, l, 0, b, 0, y, 0, threads);
    SpdBatch.solveTriangular(BATCH, m, 1, true, true, l, 0, y, 0, x, 0, threads);
    SpdBatch.logDetFromCholesky(BATCH, m, l, 0, logDet, 0, threads);
    return x;
  }
}
