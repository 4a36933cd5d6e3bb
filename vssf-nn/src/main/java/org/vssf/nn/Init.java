package org.vssf.nn;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Weight initialisers. The defaults follow the reference framework: {@link #truncatedNormal}
 * with {@code stddev = 1/√fan_in} for linear layers, and variance scaling (scale 1, fan-in,
 * truncated normal with the variance correction) for convolutions; biases start at zero.
 */
public final class Init {
  /** Standard deviation of N(0, 1) truncated to [−2, 2]; dividing by it restores unit variance. */
  static final double TRUNCATED_STDDEV = 0.87962566103423978;

  private Init() {}

  /** An initialiser fills {@code w} given the layer's fan-in and fan-out. */
  @FunctionalInterface
  public interface Initializer {
    /** Fills {@code w} in place. */
    void fill(float[] w, int fanIn, int fanOut, SplittableRandom rng);
  }

  /** N(0, σ²) truncated to ±2σ (resampled outside), with {@code σ = 1/√fan_in}. */
  public static Initializer truncatedNormalFanIn() {
    return (w, fanIn, fanOut, rng) -> truncatedNormal(w, 1 / Math.sqrt(Math.max(1, fanIn)), rng);
  }

  /**
   * Variance scaling, truncated normal: σ = √(scale/fan_in)/0.8796 so the truncated values have
   * variance {@code scale/fan_in}.
   */
  public static Initializer varianceScalingFanIn(double scale) {
    return (w, fanIn, fanOut, rng) ->
        truncatedNormal(w, Math.sqrt(scale / Math.max(1, fanIn)) / TRUNCATED_STDDEV, rng);
  }

  /** All zeros. */
  public static Initializer zeros() {
    return (w, fanIn, fanOut, rng) -> java.util.Arrays.fill(w, 0f);
  }

  /** All {@code value}. */
  public static Initializer constant(float value) {
    return (w, fanIn, fanOut, rng) -> java.util.Arrays.fill(w, value);
  }

  /** Glorot/Xavier uniform: U(±√(6/(fan_in + fan_out))). */
  public static Initializer glorotUniform() {
    return (w, fanIn, fanOut, rng) -> {
      double a = Math.sqrt(6.0 / Math.max(1, fanIn + fanOut));
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (a * (2 * rng.nextDouble() - 1));
      }
    };
  }

  /**
   * An initialiser by name: {@code truncated_normal} (σ = 1/√fan_in), {@code variance_scaling}
   * (scale 1, fan-in), {@code glorot_uniform}, {@code zeros}.
   */
  public static Initializer byName(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "truncated_normal":
        return truncatedNormalFanIn();
      case "variance_scaling":
        return varianceScalingFanIn(1.0);
      case "glorot_uniform":
        return glorotUniform();
      case "zeros":
        return zeros();
      default:
        throw new IllegalArgumentException("unknown initialiser '" + name
            + "' (known: truncated_normal, variance_scaling, glorot_uniform, zeros)");
    }
  }

  /** Fills {@code w} from N(0, σ²) truncated to [−2σ, 2σ] by resampling. */
  static void truncatedNormal(float[] w, double sigma, SplittableRandom rng) {
    for (int i = 0; i < w.length; i++) {
      double z;
      do {
        z = RandomStreams.gaussian(rng);
      } while (Math.abs(z) > 2);
      w[i] = (float) (sigma * z);
    }
  }
}
