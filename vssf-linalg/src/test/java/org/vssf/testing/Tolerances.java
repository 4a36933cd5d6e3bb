package org.vssf.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Named tolerances and comparison helpers. A float32 sum of {@code k} products of values of size
 * ~1 carries a rounding error of about {@code k·ε·max|term|} in the worst case and {@code √k·ε} in
 * practice; {@link #sumTolerance(int)} uses {@code 4·√k·ε} relative to the sum of magnitudes.
 */
public final class Tolerances {
  /** Machine epsilon of float32 (2⁻²³). */
  public static final double FLOAT_EPS = Math.ulp(1.0f);

  /** Relative tolerance for elementwise transcendental kernels (vector vs libm, a few ulps). */
  public static final double TRANSCENDENTAL_REL = 8 * FLOAT_EPS;

  private Tolerances() {}

  /** Relative tolerance (to the sum of |terms|) for a float32 sum of {@code k} terms. */
  public static double sumTolerance(int k) {
    return 4 * Math.sqrt(Math.max(1, k)) * FLOAT_EPS + FLOAT_EPS;
  }

  /**
   * Asserts {@code |actual_i − expected_i| ≤ tol·scale_i + tiny} for every element, where {@code
   * scale} holds each element's magnitude scale (e.g. Σ|a_ip·b_pj|). NaN must match NaN and
   * infinities must match exactly.
   */
  public static void assertClose(String what, double[] expected, double[] scale, float[] actual,
      int actualOff, int[] index, double tol) {
    for (int e = 0; e < expected.length; e++) {
      int at = index == null ? actualOff + e : index[e];
      double exp = expected[e];
      double act = actual[at];
      if (Double.isNaN(exp) || Double.isInfinite(exp)) {
        if (Double.compare(exp, act) != 0 && !(Double.isNaN(exp) && Double.isNaN(act))) {
          fail(what + ": element " + e + " expected " + exp + " but was " + act);
        }
        continue;
      }
      double s = scale == null ? Math.max(1.0, Math.abs(exp)) : scale[e];
      double err = Math.abs(act - exp);
      if (!(err <= tol * s + 1e-30)) {
        fail(what + ": element " + e + " expected " + exp + " but was " + act + " (error " + err
            + " > " + tol * s + ")");
      }
    }
  }
}
