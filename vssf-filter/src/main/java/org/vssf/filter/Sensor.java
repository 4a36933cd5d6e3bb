package org.vssf.filter;

import org.vssf.autodiff.Tensor;

/**
 * A sensor turns an observation into a Gaussian factor on the latent state in information form,
 * {@code (Λx, ηx)}, and scores {@code log p(x | z)}. The filter never knows whether it is an image
 * network or a linear map.
 */
public interface Sensor {
  /** Latent size m. */
  int latentSize();

  /**
   * The information contributions for observations {@code [B, T, ...]}: precision {@code [B, T, m,
   * m]} (or {@code [m, m]} when it does not depend on the observation) and information vector
   * {@code [B, T, m]}. {@code mask} ({@code [B, T]}, 1 present / 0 missing, or {@code null}) lets a
   * sensor skip placeholders entirely (the filter also multiplies the contributions by it).
   */
  Contribution contribution(Tensor observations, Tensor mask);

  /** {@code log p(x_t | z_t)} for observations {@code [B, T, ...]} and latents {@code [B, T, m]}: {@code [B, T]}. */
  Tensor logLikelihood(Tensor observations, Tensor latents);

  /** An information contribution {@code (Λx, ηx)}. */
  final class Contribution {
    /** Λx: {@code [B, T, m, m]} or {@code [m, m]}. */
    public final Tensor precision;
    /** ηx: {@code [B, T, m]}. */
    public final Tensor info;

    /** A contribution. */
    public Contribution(Tensor precision, Tensor info) {
      this.precision = precision;
      this.info = info;
    }
  }
}
