package org.vssf.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.vssf.linalg.Conv2d;
import org.vssf.linalg.ConvGeometry;

/**
 * {@link Conv2d} on the layers of the project's DCGAN encoder ({@code enc*}: convolutions) and
 * decoder ({@code dec*}: transposed convolutions) at batch 32: 64×64 with nf = 32 ({@code enc64_1}
 * … {@code enc64_5}, {@code dec64_1} … {@code dec64_5}) and 32×32 with nf = 16 ({@code enc32_1} …
 * {@code enc32_4}, {@code dec32_1} … {@code dec32_4}). For decoder layers {@code forward}, {@code
 * backwardInput} and {@code backwardWeight} run {@code transposedForward}, {@code
 * transposedBackwardInput} and {@code transposedBackwardWeight}. GFLOP/s = {@link #flops(String)}
 * / time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvBenchmark {
  /** Images per call. */
  public static final int BATCH = 32;

  @Param({"enc64_1", "enc64_2", "enc64_3", "enc64_4", "enc64_5",
      "dec64_1", "dec64_2", "dec64_3", "dec64_4", "dec64_5",
      "enc32_1", "enc32_2", "enc32_3", "enc32_4",
      "dec32_1", "dec32_2", "dec32_3", "dec32_4"})
  public String layer;

  @Param({"1"})
  public int threads;

  private ConvGeometry geom;
  private float[] x;
  private float[] w;
  private float[] bias;
  private float[] y;
  private float[] dy;
  private float[] dx;
  private float[] dw;

  /**
   * The layer {@code id} at the given batch: {@code enc64_i}/{@code dec64_i} for the 64×64 network
   * with nf = 32, {@code enc32_i}/{@code dec32_i} for the 32×32 network with nf = 16.
   */
  public static ConvGeometry geometry(String id, int batch) {
    switch (id) {
      case "enc64_1": return ConvGeometry.conv(batch, 3, 64, 64, 32, 4, 2, 1);
      case "enc64_2": return ConvGeometry.conv(batch, 32, 32, 32, 64, 4, 2, 1);
      case "enc64_3": return ConvGeometry.conv(batch, 64, 16, 16, 128, 4, 2, 1);
      case "enc64_4": return ConvGeometry.conv(batch, 128, 8, 8, 256, 4, 2, 1);
      case "enc64_5": return ConvGeometry.conv(batch, 256, 4, 4, 16, 4, 1, 0);
      case "dec64_1": return ConvGeometry.transposed(batch, 16, 1, 1, 256, 4, 1, 0);
      case "dec64_2": return ConvGeometry.transposed(batch, 256, 4, 4, 128, 4, 2, 1);
      case "dec64_3": return ConvGeometry.transposed(batch, 128, 8, 8, 64, 4, 2, 1);
      case "dec64_4": return ConvGeometry.transposed(batch, 64, 16, 16, 32, 4, 2, 1);
      case "dec64_5": return ConvGeometry.transposed(batch, 32, 32, 32, 3, 4, 2, 1);
      case "enc32_1": return ConvGeometry.conv(batch, 3, 32, 32, 16, 4, 2, 1);
      case "enc32_2": return ConvGeometry.conv(batch, 16, 16, 16, 32, 4, 2, 1);
      case "enc32_3": return ConvGeometry.conv(batch, 32, 8, 8, 64, 4, 2, 1);
      case "enc32_4": return ConvGeometry.conv(batch, 64, 4, 4, 16, 4, 1, 0);
      case "dec32_1": return ConvGeometry.transposed(batch, 16, 1, 1, 64, 4, 1, 0);
      case "dec32_2": return ConvGeometry.transposed(batch, 64, 4, 4, 32, 4, 2, 1);
      case "dec32_3": return ConvGeometry.transposed(batch, 32, 8, 8, 16, 4, 2, 1);
      case "dec32_4": return ConvGeometry.transposed(batch, 16, 16, 16, 3, 4, 2, 1);
      default: throw new IllegalArgumentException("unknown layer '" + id + "'");
    }
  }

  /**
   * Floating-point operations of one call at batch 32: {@code 2·N·Cout·Hout·Wout·Cin·kh·kw} for a
   * convolution forward pass ({@code 2·N·Cin·Hin·Win·Cout·kh·kw} for a transposed one); each
   * backward pass is counted the same.
   */
  public static double flops(org.openjdk.jmh.infra.BenchmarkParams params) {
    return flops(params.getParam("layer"));
  }

  /** FLOPs of one call on layer {@code id} (the same count for each method). */
  public static double flops(String id) {
    return 2.0 * geometry(id, BATCH).multiplyAdds();
  }

  @Setup(Level.Trial)
  public void setUp() {
    geom = geometry(layer, BATCH);
    SplittableRandom random = new SplittableRandom(42);
    x = randomFloats(random, geom.inputSize());
    w = randomFloats(random, geom.weightSize());
    bias = randomFloats(random, geom.outChannels());
    dy = randomFloats(random, geom.outputSize());
    y = new float[geom.outputSize()];
    dx = new float[geom.inputSize()];
    dw = new float[geom.weightSize()];
  }

  private static float[] randomFloats(SplittableRandom random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (2 * random.nextDouble() - 1);
    }
    return v;
  }

  /** {@code y = conv(x) + b} (decoder layers: the transposed convolution). */
  @Benchmark
  public float[] forward() {
    if (geom.isTransposed()) {
      Conv2d.transposedForward(geom, x, 0, w, 0, bias, 0, y, 0, threads);
    } else {
      Conv2d.forward(geom, x, 0, w, 0, bias, 0, y, 0, threads);
    }
    return y;
  }

  /** {@code dx = ∂(Σ y·dy)/∂x}, overwriting dx. */
  @Benchmark
  public float[] backwardInput() {
    if (geom.isTransposed()) {
      Conv2d.transposedBackwardInput(geom, dy, 0, w, 0, dx, 0, false, threads);
    } else {
      Conv2d.backwardInput(geom, dy, 0, w, 0, dx, 0, false, threads);
    }
    return dx;
  }

  /** {@code dw = ∂(Σ y·dy)/∂w}, overwriting dw. */
  @Benchmark
  public float[] backwardWeight() {
    if (geom.isTransposed()) {
      Conv2d.transposedBackwardWeight(geom, x, 0, dy, 0, dw, 0, false, threads);
    } else {
      Conv2d.backwardWeight(geom, x, 0, dy, 0, dw, 0, false, threads);
    }
    return dw;
  }
}
