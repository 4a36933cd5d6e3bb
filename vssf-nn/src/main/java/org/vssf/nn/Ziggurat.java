package org.vssf.nn;

import java.util.SplittableRandom;

/**
 * Standard normal draws by the ziggurat method (Marsaglia and Tsang 2000, 128 layers of area
 * {@code V} under {@code f(x) = exp(−x²/2)}, Marsaglia's 1964 tail beyond {@code R}): one 64-bit
 * draw gives the layer (7 bits), the sign (1 bit) and a 53-bit uniform, and about 99 % of draws
 * return on that fast path.
 */
final class Ziggurat {
  private static final int LAYERS = 128;
  /** Start of the tail. */
  private static final double R = 3.442619855899;
  /** Area of each layer (the base layer includes the tail). */
  private static final double V = 9.91256303526217e-3;
  /** Right edges: X[0] = V / f(R) (the base layer's virtual width), X[1] = R, …, X[128] = 0. */
  private static final double[] X = new double[LAYERS + 1];
  /** F[i] = f(X[i]). */
  private static final double[] F = new double[LAYERS + 1];

  static {
    X[0] = V / f(R);
    X[1] = R;
    for (int i = 1; i < LAYERS - 1; i++) {
      X[i + 1] = Math.sqrt(-2 * Math.log(f(X[i]) + V / X[i]));
    }
    X[LAYERS] = 0;
    for (int i = 0; i <= LAYERS; i++) {
      F[i] = f(X[i]);
    }
  }

  private Ziggurat() {}

  private static double f(double x) {
    return Math.exp(-0.5 * x * x);
  }

  /** Fills {@code out[from, to)} with standard normal draws; the common case stays in this loop. */
  static void fill(SplittableRandom rng, float[] out, int from, int to) {
    double[] x = X;
    for (int i = from; i < to; i++) {
      long bits = rng.nextLong();
      int layer = (int) bits & (LAYERS - 1);
      double v = ((bits >>> 11) * 0x1.0p-53) * x[layer];
      if (v < x[layer + 1]) { // sign from bit 7, without a branch (it is a coin flip)
        out[i] = (float) Double.longBitsToDouble(Double.doubleToRawLongBits(v) ^ ((bits & LAYERS) << 56));
      } else {
        out[i] = (float) slow(rng, bits, layer, v);
      }
    }
  }

  /** One standard normal draw. */
  static double next(SplittableRandom rng) {
    long bits = rng.nextLong();
    int layer = (int) bits & (LAYERS - 1);
    double v = ((bits >>> 11) * 0x1.0p-53) * X[layer];
    return v < X[layer + 1] ? ((bits & LAYERS) != 0 ? -v : v) : slow(rng, bits, layer, v);
  }

  /** The rare cases: the tail (layer 0 beyond R) or a wedge test, retrying with fresh draws. */
  private static double slow(SplittableRandom rng, long bits, int layer, double v) {
    while (true) {
      boolean negative = (bits & LAYERS) != 0;
      if (v < X[layer + 1]) {
        return negative ? -v : v;
      }
      if (layer == 0) {
        double a;
        double b;
        do {
          a = -Math.log(1 - rng.nextDouble()) / R;
          b = -Math.log(1 - rng.nextDouble());
        } while (b + b < a * a);
        return negative ? -(R + a) : R + a;
      }
      double y = F[layer] + rng.nextDouble() * (F[layer + 1] - F[layer]);
      if (y < f(v)) {
        return negative ? -v : v;
      }
      bits = rng.nextLong();
      layer = (int) bits & (LAYERS - 1);
      v = ((bits >>> 11) * 0x1.0p-53) * X[layer];
    }
  }
}
