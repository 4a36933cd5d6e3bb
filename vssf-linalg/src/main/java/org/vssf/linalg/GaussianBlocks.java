package org.vssf.linalg;

/**
 * Standard normal draws in blocks of {@value #BLOCK}, the same bits in every implementation: 16
 * independent xoshiro128** streams (Blackman and Vigna), one per lane, and per lane and block one
 * Box–Muller pair {@code (r·cos ψ, r·sin ψ)}, {@code r = √(−2 ln u)}, built from IEEE arithmetic
 * only (float adds, multiplies, square roots, no FMA), so scalar code, SIMD code of any width and
 * every JIT tier give bitwise the same floats.
 *
 * <p>Per lane and block: two 32-bit outputs {@code a}, {@code b}; {@code u = 1 − (a>>>9)·2⁻²³ ∈ (0,
 * 1]}; {@code φ = (b>>>9)·2⁻²³·π/4 ∈ [0, π/4)} (both formed as {@code 2 − f} and {@code f − 1} from
 * a float {@code f ∈ [1, 2)} whose mantissa is the 23 bits, so no int→float conversion is needed);
 * {@code (c, s) = (cos φ, sin φ)} by minimax
 * polynomials (Cephes), swapped when bit 2 of {@code a} is set (so the angle covers {@code [0,
 * π/2]}); bits 0 and 1 of {@code a} are the signs of the two outputs (covering the other three
 * quadrants). {@code ln u} is Cephes' {@code logf} polynomial. The largest draw is
 * √(2·23·ln 2) ≈ 5.65.
 *
 * <p>Layout: block {@code k} writes {@code r·c} of lane {@code j} to {@code out[off + 32k + j]} and
 * {@code r·s} to {@code out[off + 32k + 16 + j]}. The state is {@code int[64]}, word {@code w} of lane
 * {@code j} at {@code 16w + j}, advanced in place.
 */
public final class GaussianBlocks {
  /** Independent streams (lanes). */
  public static final int LANES = 16;
  /** Floats per block: one Box–Muller pair per lane. */
  public static final int BLOCK = 2 * LANES;
  /** Length of the state array: four 32-bit words per lane. */
  public static final int STATE = 4 * LANES;

  /** The exponent bits of 1f: {@code (x >>> 9) | ONE_BITS} is a float in [1, 2) with 23 random bits. */
  public static final int ONE_BITS = 0x3f800000;
  /** π/4 (rounded to float). */
  public static final float QUARTER_PI = (float) (Math.PI / 4);
  /** √½: mantissas below it are doubled before the log polynomial. */
  public static final float SQRT_HALF = 0.707106781186547524f;
  /** Cephes logf: ln(1 + x) ≈ x − x²/2 + x³·P(x), P's coefficients highest first. */
  public static final float[] LOG_P = {
      7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f,
      -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f};
  /** ln 2 split so that e·LN2_HI is exact (Cody and Waite). */
  public static final float LN2_HI = 0.693359375f;
  public static final float LN2_LO = -2.12194440e-4f;
  /** Cephes sinf on [0, π/4]: sin x ≈ x + x·z·S(z), z = x², highest first. */
  public static final float[] SIN_P = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
  /** Cephes cosf on [0, π/4]: cos x ≈ 1 − z/2 + z²·C(z), highest first. */
  public static final float[] COS_P = {2.443315711809948e-5f, -1.388731625493765e-3f, 4.166664568298827e-2f};

  private GaussianBlocks() {}

  /**
   * A fresh state from 32 seed words (e.g. {@code SplittableRandom.nextLong()} draws): each lane's
   * four words come from two longs; a lane whose words are all zero (which xoshiro cannot leave) gets
   * word 0 set to 1.
   */
  public static int[] state(long[] seeds) {
    if (seeds.length != 2 * LANES) {
      throw new IllegalArgumentException("GaussianBlocks.state: need " + 2 * LANES + " seed words, got "
          + seeds.length);
    }
    int[] s = new int[STATE];
    for (int j = 0; j < LANES; j++) {
      long x = seeds[2 * j];
      long y = seeds[2 * j + 1];
      s[j] = (int) x;
      s[LANES + j] = (int) (x >>> 32);
      s[2 * LANES + j] = (int) y;
      s[3 * LANES + j] = (int) (y >>> 32);
      if (x == 0 && y == 0) {
        s[j] = 1;
      }
    }
    return s;
  }

  /** The reference (scalar) implementation of {@link KernelSupport#gaussianBlocks}. */
  static void scalar(int[] state, int blocks, float[] out, int off) {
    int[] st = new int[4];
    for (int j = 0; j < LANES; j++) {
      for (int w = 0; w < 4; w++) {
        st[w] = state[w * LANES + j];
      }
      for (int k = 0; k < blocks; k++) {
        int a = next(st);
        int b = next(st);
        float r = radius(2f - Float.intBitsToFloat((a >>> 9) | ONE_BITS));
        float x = (Float.intBitsToFloat((b >>> 9) | ONE_BITS) - 1f) * QUARTER_PI;
        float z = x * x;
        float sin = ((SIN_P[0] * z + SIN_P[1]) * z + SIN_P[2]) * z * x + x;
        float cos = ((COS_P[0] * z + COS_P[1]) * z + COS_P[2]) * z * z - 0.5f * z + 1f;
        float c = (a & 4) != 0 ? sin : cos;
        float s = (a & 4) != 0 ? cos : sin;
        out[off + BLOCK * k + j] = Float.intBitsToFloat(Float.floatToRawIntBits(r * c) ^ (a << 31));
        out[off + BLOCK * k + LANES + j] =
            Float.intBitsToFloat(Float.floatToRawIntBits(r * s) ^ ((a << 30) & 0x80000000));
      }
      for (int w = 0; w < 4; w++) {
        state[w * LANES + j] = st[w];
      }
    }
  }

  /** One xoshiro128** step of the lane state {@code s} (four words): its output, s advanced. */
  private static int next(int[] s) {
    int result = Integer.rotateLeft(s[1] * 5, 7) * 9;
    int t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = Integer.rotateLeft(s[3], 11);
    return result;
  }

  /** √(−2 ln u) for u in [2⁻²³, 1], with {@code ln} as in the class comment. */
  private static float radius(float u) {
    int bits = Float.floatToRawIntBits(u);
    float e = (float) ((bits >>> 23) - 126); // u = m·2^e, m in [½, 1)
    float m = Float.intBitsToFloat((bits & 0x007fffff) | 0x3f000000);
    if (m < SQRT_HALF) {
      e = e - 1f;
      m = m + m - 1f;
    } else {
      m = m - 1f;
    }
    float z = m * m;
    float p = LOG_P[0];
    for (int i = 1; i < LOG_P.length; i++) {
      p = p * m + LOG_P[i];
    }
    float y = p * m * z;
    y = y + e * LN2_LO;
    y = y - 0.5f * z;
    float ln = m + y;
    ln = ln + e * LN2_HI;
    float t = -2f * ln;
    return (float) Math.sqrt(t > 0f ? t : 0f); // +0 for −0 (u = 1)
  }
}
