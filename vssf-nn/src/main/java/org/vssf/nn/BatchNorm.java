package org.vssf.nn;

import org.vssf.autodiff.NnOps;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;

/**
 * Batch normalisation with learnable scale and offset and running statistics. Training mode
 * normalises with the batch statistics over {@code axes} (e.g. NCHW per channel: axes {0, 2, 3};
 * the model's sequences: batch and time together) and updates exponential moving averages
 * {@code h ← d·h + (1−d)·stat}, read back zero-debiased as {@code h/(1 − dᵗ)} (as the reference
 * framework does; decay d = 0.9 there). Evaluation mode normalises with those averages (before
 * any training step: mean 0, variance 1).
 */
public final class BatchNorm extends Module {
  private final int[] featureShape;
  private final int[] axes;
  private final float decay;
  private final float eps;
  private final Tensor scale;
  private final Tensor offset;

  /**
   * @param featureShape the input's shape with every reduced axis set to 1 (one feature per
   *     remaining element), e.g. {@code [1, C, 1, 1]}
   * @param axes the reduced axes
   * @param decay moving-average decay in [0, 1)
   * @param eps variance offset
   */
  public BatchNorm(int[] featureShape, int[] axes, float decay, float eps) {
    if (!(decay >= 0 && decay < 1) || !(eps >= 0)) {
      throw new IllegalArgumentException("BatchNorm: need 0 <= decay < 1 and eps >= 0, got " + decay + ", " + eps);
    }
    for (int a : axes) {
      if (a < 0 || a >= featureShape.length || featureShape[a] != 1) {
        throw new IllegalArgumentException("BatchNorm: axis " + a + " must be a size-1 axis of the"
            + " feature shape " + java.util.Arrays.toString(featureShape));
      }
    }
    this.featureShape = featureShape.clone();
    this.axes = axes.clone();
    this.decay = decay;
    this.eps = eps;
    this.scale = registerParameter("scale", Tensor.full(1f, featureShape));
    this.offset = registerParameter("offset", Tensor.zeros(featureShape));
    registerBuffer("mean_hidden", Tensor.zeros(featureShape));
    registerBuffer("var_hidden", Tensor.zeros(featureShape));
    registerBuffer("counter", Tensor.zeros(1));
  }

  /** Every batch norm in the module tree below {@code root} (itself included), in registration order. */
  public static java.util.List<BatchNorm> all(Module root) {
    java.util.List<BatchNorm> out = new java.util.ArrayList<>();
    collect(root, out);
    return out;
  }

  private static void collect(Module m, java.util.List<BatchNorm> out) {
    if (m instanceof BatchNorm) {
      out.add((BatchNorm) m);
    }
    for (Module c : m.children().values()) {
      collect(c, out);
    }
  }

  /** Per-channel normalisation of NCHW input with {@code channels} channels (decay 0.9, eps 1e-5). */
  public static BatchNorm channels(int channels) {
    return new BatchNorm(new int[] {1, channels, 1, 1}, new int[] {0, 2, 3}, 0.9f, 1e-5f);
  }

  @Override
  public Tensor forward(Tensor x) {
    if (x.rank() != featureShape.length) {
      throw new IllegalArgumentException("BatchNorm: input of rank " + x.rank() + " for feature shape "
          + java.util.Arrays.toString(featureShape));
    }
    for (int d = 0; d < featureShape.length; d++) {
      if (featureShape[d] != 1 && x.dim(d) != featureShape[d]) {
        throw new IllegalArgumentException("BatchNorm: input " + java.util.Arrays.toString(x.shape())
            + " does not match feature shape " + java.util.Arrays.toString(featureShape));
      }
    }
    if (!isTraining()) {
      return NnOps.batchNormInference(x, scale, offset, runningMean(), runningVariance(), eps);
    }
    NnOps.BatchNormResult r = NnOps.batchNorm(x, scale, offset, axes, eps);
    try (Tape.Scope ng = Tape.noGrad()) {
      updateAverage("mean_hidden", r.mean);
      updateAverage("var_hidden", r.variance);
      buffer("counter").data()[0] += 1f;
    }
    return r.output;
  }

  private void updateAverage(String name, Tensor stat) {
    // A new array each step: values of tensors a recorded op may have read are never mutated.
    float[] h = buffer(name).data();
    float[] s = stat.data();
    float[] next = new float[h.length];
    for (int i = 0; i < h.length; i++) {
      next[i] = decay * h[i] + (1 - decay) * s[i];
    }
    setBuffer(name, Tensor.wrap(next, featureShape));
  }

  /** Zero-debiased running mean (0 before the first training step). */
  public Tensor runningMean() {
    return debiased("mean_hidden", 0f);
  }

  /** Zero-debiased running variance (1 before the first training step). */
  public Tensor runningVariance() {
    return debiased("var_hidden", 1f);
  }

  private Tensor debiased(String name, float initial) {
    float t = buffer("counter").data()[0];
    float[] h = buffer(name).data();
    float[] out = new float[h.length];
    if (t == 0f) {
      java.util.Arrays.fill(out, initial);
    } else {
      double c = 1 - Math.pow(decay, t);
      for (int i = 0; i < h.length; i++) {
        out[i] = (float) (h[i] / c);
      }
    }
    return Tensor.wrap(out, featureShape);
  }
}
