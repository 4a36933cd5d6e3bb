package org.vssf.nn;

/** A learning-rate schedule: the rate for optimiser step {@code t} (0-based). */
@FunctionalInterface
public interface LearningRate {
  /** The learning rate at step {@code t ≥ 0}. */
  float at(long t);

  /** {@code lr} at every step. */
  static LearningRate constant(float lr) {
    check(lr);
    return t -> lr;
  }

  /**
   * Exponential decay {@code lr·rate^(t/steps)} (continuous), or {@code lr·rate^⌊t/steps⌋} when
   * {@code staircase}.
   */
  static LearningRate exponentialDecay(float lr, double rate, long steps, boolean staircase) {
    check(lr);
    if (!(rate > 0) || steps < 1) {
      throw new IllegalArgumentException("exponentialDecay: rate must be > 0 and steps >= 1, got "
          + rate + ", " + steps);
    }
    return t -> (float) (lr * Math.pow(rate, staircase ? (double) (t / steps) : (double) t / steps));
  }

  /**
   * Linear warm-up: for {@code t < w} the rate is {@code after.at(w)·(t + 1)/(w + 1)} (from
   * {@code after.at(w)/(w + 1)} at step 0 up towards {@code after.at(w)}); from step {@code w} on
   * it is {@code after.at(t)}.
   */
  static LearningRate linearWarmup(long warmupSteps, LearningRate after) {
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("linearWarmup: warmupSteps must be >= 0, got " + warmupSteps);
    }
    return t -> t < warmupSteps ? after.at(warmupSteps) * (t + 1) / (float) (warmupSteps + 1) : after.at(t);
  }

  private static void check(float lr) {
    if (!(lr >= 0) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
    }
  }
}
