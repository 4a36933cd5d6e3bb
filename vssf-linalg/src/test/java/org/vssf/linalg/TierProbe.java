package org.vssf.linalg;

import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Prints a checksum of the SIMD kernels' outputs on fixed inputs; {@code warm} first runs every
 * kernel until the JIT has compiled it. {@link TierIndependenceTest} runs this in an interpreter-only
 * JVM and in a compiled one: the kernels must give the same bits in both.
 */
public final class TierProbe {
  private TierProbe() {}

  public static void main(String[] args) {
    KernelSupport k = KernelProvider.simdOrNull();
    if (k == null) {
      System.out.println("no SIMD kernels: " + KernelProvider.simdUnavailableReason());
      return;
    }
    if (args.length > 0 && args[0].equals("warm")) {
      for (int i = 0; i < 3000; i++) {
        run(k, 64, i);
      }
    }
    System.out.println(run(k, 1003, 7));
  }

  /** All transcendental and reduction kernels on inputs of length n; the CRC of every result bit. */
  static long run(KernelSupport k, int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n];
    float[] pos = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (12 * rng.nextDouble() - 6);
      pos[i] = (float) (0.01 + 20 * rng.nextDouble());
      y[i] = (float) rng.nextDouble();
    }
    float[] out = new float[n];
    float[] grad = new float[n];
    CRC32 crc = new CRC32();
    k.gelu(n, x, 0, out, 0);
    add(crc, out);
    k.tanh(n, x, 0, out, 0);
    add(crc, out);
    k.exp(n, x, 0, out, 0);
    add(crc, out);
    k.log(n, pos, 0, out, 0);
    add(crc, out);
    java.util.Arrays.fill(grad, 0.5f);
    k.geluBackward(n, x, 0, y, 0, grad, 0);
    add(crc, grad);
    long[] seeds = new long[2 * GaussianBlocks.LANES];
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = rng.nextLong();
    }
    float[] normal = new float[(n / GaussianBlocks.BLOCK + 1) * GaussianBlocks.BLOCK];
    k.gaussianBlocks(GaussianBlocks.state(seeds), normal.length / GaussianBlocks.BLOCK, normal, 0);
    add(crc, normal);
    long[] sums = {
        Float.floatToRawIntBits(k.dot(n, x, 0, y, 0)), Float.floatToRawIntBits(k.sum(n, x, 0)),
        Double.doubleToRawLongBits(k.sumAsDouble(n, x, 0)),
        Double.doubleToRawLongBits(k.squaredDeviationsAsDouble(n, x, 0, 0.25)),
        Double.doubleToRawLongBits(k.dotAsDouble(n, x, 0, y, 0)),
        Double.doubleToRawLongBits(k.sum(n, widen(x), 0)),
        Double.doubleToRawLongBits(k.dot(n, widen(x), 0, widen(y), 0)),
        Double.doubleToRawLongBits(k.dot(n, widen(y), 0, widen(x), 0, widen(pos), 0)),
        Double.doubleToRawLongBits(gram(k, n, x, y, pos))};
    for (long s : sums) {
      for (int b = 0; b < 8; b++) {
        crc.update((int) (s >>> (8 * b)));
      }
    }
    return crc.getValue();
  }

  /** Σ of a 3 × 5 Gram block (2 × 4 register blocks and edges) of rows made from the inputs. */
  private static double gram(KernelSupport k, int n, float[] x, float[] y, float[] pos) {
    double[][] a = {widen(x), widen(y), widen(pos)};
    double[][] b = {widen(y), widen(pos), widen(x), widen(x), widen(y)};
    double[] out = new double[15];
    k.gram(n, a, 3, b, 5, out, 0, 5);
    double s = 0;
    for (double v : out) {
      s = 31 * s + v;
    }
    return s;
  }

  private static double[] widen(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i] * (1 + 1e-9 * i);
    }
    return d;
  }

  private static void add(CRC32 crc, float[] v) {
    for (float f : v) {
      int bits = Float.floatToRawIntBits(f);
      for (int b = 0; b < 4; b++) {
        crc.update(bits >>> (8 * b));
      }
    }
  }
}
