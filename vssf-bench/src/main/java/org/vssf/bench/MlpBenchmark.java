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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;
import org.vssf.linalg.Parallel;

/**
 * The encoder head's MLP through the autodiff engine: Linear 16→64 → GELU → Linear 64→64 → GELU →
 * Linear 64→2 on a batch of 640, forward and backward of the sum of the outputs. FLOPs count the
 * three matmuls forward (2·B·Σ in·out) and twice that backward.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MlpBenchmark {
  static final int BATCH = 640;
  static final int[] WIDTHS = {16, 64, 64, 2};

  @Param({"1"})
  public int threads;

  private Tensor input;
  private Tensor[] weights;
  private Tensor[] biases;

  /** Forward + backward FLOPs of the three matmuls. */
  public static double flops(BenchmarkParams params) {
    double f = 0;
    for (int l = 0; l + 1 < WIDTHS.length; l++) {
      f += 2.0 * BATCH * WIDTHS[l] * WIDTHS[l + 1];
    }
    return 3 * f;
  }

  @Setup
  public void setup() {
    Parallel.setDefaultParallelism(threads);
    SplittableRandom rng = new SplittableRandom(7);
    input = Tensor.wrap(BenchData.uniform(rng, BATCH * WIDTHS[0]), BATCH, WIDTHS[0]);
    weights = new Tensor[WIDTHS.length - 1];
    biases = new Tensor[WIDTHS.length - 1];
    for (int l = 0; l < weights.length; l++) {
      float[] w = BenchData.uniform(rng, WIDTHS[l] * WIDTHS[l + 1]);
      float scale = (float) (1 / Math.sqrt(WIDTHS[l]));
      for (int i = 0; i < w.length; i++) {
        w[i] *= scale;
      }
      weights[l] = Tensor.wrap(w, WIDTHS[l], WIDTHS[l + 1]).requiresGrad(true);
      biases[l] = Tensor.zeros(WIDTHS[l + 1]).requiresGrad(true);
    }
  }

  @Benchmark
  public float forwardBackward() {
    Tensor h = input;
    for (int l = 0; l < weights.length; l++) {
      weights[l].zeroGrad();
      biases[l].zeroGrad();
      h = Ops.add(LinalgOps.matmul(h, weights[l]), biases[l]);
      if (l + 1 < weights.length) {
        h = Ops.gelu(h);
      }
    }
    Ops.sum(h).backward();
    return weights[0].grad()[0];
  }
}
