package org.vssf.bench.env;

import java.util.SplittableRandom;

/**
 * Standard normal draws and Cholesky factors of covariance matrices, in double with {@link
 * StrictMath}, so that a data set generated from a seed is bitwise the same on every JVM (the
 * intrinsics behind {@link Math#log} may differ in the last bit between platforms).
 */
final class Gaussian {
  private Gaussian() {}

  /** One N(0, 1) draw: polar Box–Muller on {@link SplittableRandom#nextDouble()}, one per call. */
  static double next(SplittableRandom rng) {
    double u;
    double v;
    double s;
    do {
      u = 2 * rng.nextDouble() - 1;
      v = 2 * rng.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    return u * StrictMath.sqrt(-2 * StrictMath.log(s) / s);
  }

  /**
   * Lower factor L with {@code L Lᵀ = S} for a symmetric positive semi-definite row-major {@code
   * n × n} S. A pivot within {@code 1e-12·max(diag)} of zero gives a zero column (a degenerate
   * direction is simply never sampled).
   *
   * @return the factor, or {@code null} if S is not positive semi-definite
   */
  static double[] semidefiniteCholesky(int n, double[] s) {
    double scale = 0;
    for (int i = 0; i < n; i++) {
      scale = Math.max(scale, Math.abs(s[i * n + i]));
    }
    double tol = 1e-12 * scale;
    double[] l = new double[n * n];
    for (int j = 0; j < n; j++) {
      double d = s[j * n + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * n + k] * l[j * n + k];
      }
      if (d < -tol || Double.isNaN(d)) {
        return null;
      }
      if (d <= tol) {
        for (int i = j + 1; i < n; i++) { // the column must be zero too, else S is indefinite
          double off = s[i * n + j];
          for (int k = 0; k < j; k++) {
            off -= l[i * n + k] * l[j * n + k];
          }
          if (Math.abs(off) > 1e-6 * scale) {
            return null;
          }
        }
        continue;
      }
      double ljj = StrictMath.sqrt(d);
      l[j * n + j] = ljj;
      for (int i = j + 1; i < n; i++) {
        double v = s[i * n + j];
        for (int k = 0; k < j; k++) {
          v -= l[i * n + k] * l[j * n + k];
        }
        l[i * n + j] = v / ljj;
      }
    }
    return l;
  }

  /** {@code out[outOff + i] += Σ_j L[i,j]·ε_j} with fresh N(0, 1) draws ε (n of them, in order). */
  static void addCorrelated(SplittableRandom rng, int n, double[] chol, double[] eps, double[] out,
      int outOff) {
    for (int j = 0; j < n; j++) {
      eps[j] = next(rng);
    }
    for (int i = 0; i < n; i++) {
      double v = 0;
      for (int j = 0; j <= i; j++) {
        v += chol[i * n + j] * eps[j];
      }
      out[outOff + i] += v;
    }
  }
}
