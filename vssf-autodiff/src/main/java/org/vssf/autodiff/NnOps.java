package org.vssf.autodiff;

/**
 * Network ops built on {@link Ops}: batch normalisation (a composite, which is also the oracle for
 * any fused version), and the convolutions on the linalg kernels.
 */
public final class NnOps {
  private NnOps() {}

  /** Output and batch statistics of {@link #batchNorm}: the statistics feed running averages. */
  public static final class BatchNormResult {
    /** The normalised, scaled and shifted output, shape of the input. */
    public final Tensor output;
    /** Batch mean per normalised feature (the input's shape with the reduced axes set to 1). */
    public final Tensor mean;
    /** Biased batch variance per feature, same shape as {@link #mean}. */
    public final Tensor variance;

    BatchNormResult(Tensor output, Tensor mean, Tensor variance) {
      this.output = output;
      this.mean = mean;
      this.variance = variance;
    }
  }

  /**
   * Batch normalisation in training mode: statistics over {@code axes} (e.g. {@code {0, 2, 3}} for
   * NCHW per channel; batch and time together for sequences), {@code y = (x − μ)/√(σ² + eps) ⊙ scale
   * + offset} with the biased variance σ². {@code scale} and {@code offset} hold one value per
   * normalised feature: either the input's shape with the reduced axes set to 1, or a vector of
   * that many elements. Gradients flow through the statistics.
   */
  public static BatchNormResult batchNorm(Tensor x, Tensor scale, Tensor offset, int[] axes, float eps) {
    if (!(eps >= 0)) {
      throw new IllegalArgumentException("batchNorm: eps must be >= 0, got " + eps);
    }
    Tensor mean = Ops.mean(x, axes, true);
    int[] featureShape = mean.shape;
    Tensor s = asFeature("scale", scale, featureShape);
    Tensor o = asFeature("offset", offset, featureShape);
    Tensor centred = Ops.sub(x, mean);
    Tensor variance = Ops.mean(Ops.square(centred), axes, true);
    Tensor normalised = Ops.div(centred, Ops.sqrt(Ops.addScalar(variance, eps)));
    Tensor y = Ops.add(Ops.mul(normalised, s), o);
    return new BatchNormResult(y, mean, variance);
  }

  /**
   * Batch normalisation with given statistics (evaluation mode, running averages): {@code y = (x −
   * mean)/√(variance + eps) ⊙ scale + offset}; no gradient flows into the statistics.
   */
  public static Tensor batchNormInference(Tensor x, Tensor scale, Tensor offset, Tensor mean,
      Tensor variance, float eps) {
    int[] featureShape = new int[x.shape.length];
    java.util.Arrays.fill(featureShape, 1);
    Tensor m = Ops.stopGradient(mean);
    if (m.shape.length == x.shape.length) {
      featureShape = m.shape;
    } else {
      throw new IllegalArgumentException("batchNormInference: mean of shape " + Shapes.str(m.shape)
          + " must have the rank of the input " + Shapes.str(x.shape) + " (size 1 on reduced axes)");
    }
    Tensor v = asFeature("variance", Ops.stopGradient(variance), featureShape);
    Tensor s = asFeature("scale", scale, featureShape);
    Tensor o = asFeature("offset", offset, featureShape);
    Tensor normalised = Ops.div(Ops.sub(x, m), Ops.sqrt(Ops.addScalar(v, eps)));
    return Ops.add(Ops.mul(normalised, s), o);
  }

  private static Tensor asFeature(String what, Tensor t, int[] featureShape) {
    int n = Shapes.size(featureShape);
    if (t.data.length != n) {
      throw new IllegalArgumentException("batchNorm: " + what + " of shape " + Shapes.str(t.shape)
          + " does not hold one value per feature of " + Shapes.str(featureShape));
    }
    return java.util.Arrays.equals(t.shape, featureShape) ? t : Ops.reshape(t, featureShape);
  }
}
