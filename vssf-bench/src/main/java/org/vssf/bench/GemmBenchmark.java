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
import org.vssf.linalg.Kernels;
import org.vssf.linalg.KernelSupport;

/**
 * {@code C = A·B} (row-major, no transposes, β = 0) for square sizes, odd sizes and the im2col
 * shapes of the DCGAN encoder (64×64, nf = 32): per image ({@code encN}) and for a group of 32
 * images in one product ({@code encNx32}). FLOPs = 2·m·n·k.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBenchmark {
  /** {@code MxNxK}, or a named encoder im2col shape. */
  @Param({"64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024",
      "127x127x127", "257x257x257", "1021x1021x1021",
      "enc1", "enc2", "enc3", "enc4", "enc5", "enc1x32", "enc2x32", "enc3x32", "enc4x32", "enc5x32"})
  public String shape;

  /** {@code simd} or {@code scalar}. */
  @Param({"simd", "scalar"})
  public String impl;

  /** Threads for this call (the library pool). */
  @Param({"1"})
  public int threads;

  private int m;
  private int n;
  private int k;
  private float[] a;
  private float[] b;
  private float[] c;
  private KernelSupport support;

  /** {@code {m, n, k}} of a shape id. */
  static int[] dims(String shape) {
    switch (shape) {
      // encoder at 64×64, nf = 32, latent m = 2 (4m² = 16 channels): Co × HoWo × Ci·16
      case "enc1": return new int[] {32, 1024, 48};
      case "enc2": return new int[] {64, 256, 512};
      case "enc3": return new int[] {128, 64, 1024};
      case "enc4": return new int[] {256, 16, 2048};
      case "enc5": return new int[] {16, 1, 4096};
      default:
        if (shape.startsWith("enc") && shape.endsWith("x32")) {
          int[] d = dims(shape.substring(0, shape.length() - 3));
          return new int[] {d[0], d[1] * 32, d[2]};
        }
        String[] p = shape.split("x");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
    }
  }

  /** FLOPs of one call: 2·m·n·k. */
  public static double flops(BenchmarkParams params) {
    int[] d = dims(params.getParam("shape"));
    return 2.0 * d[0] * d[1] * d[2];
  }

  @Setup
  public void setup() {
    int[] d = dims(shape);
    m = d[0];
    n = d[1];
    k = d[2];
    SplittableRandom rng = new SplittableRandom(42);
    a = BenchData.uniform(rng, m * k);
    b = BenchData.uniform(rng, k * n);
    c = new float[m * n];
    support = BenchData.implementation(impl);
  }

  @Benchmark
  public float[] gemm() {
    Kernels.gemm(support, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, threads);
    return c;
  }
}
