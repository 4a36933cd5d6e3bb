package org.vssf.filter;

/**
 * A sensor that can add its information contribution for one observation to double-precision
 * accumulators without allocating: {@code Λ += Λx}, {@code η += ηx(x)} (row-major m×m and m).
 * Used by {@link OnlineFilter}.
 */
public interface StreamingSensor {
  /** Latent size m. */
  int latentSize();

  /** Length of one observation. */
  int observationSize();

  /** Adds {@code Λx} to {@code lambda} and {@code ηx(x)} to {@code eta} for the observation at {@code x[off..]}. */
  void addContribution(float[] x, int off, double[] lambda, double[] eta);
}
