package org.vssf.nn;

import java.util.SplittableRandom;
import org.vssf.autodiff.NnOps;
import org.vssf.autodiff.Tensor;

/**
 * Transposed 2-D convolution layer on NCHW input (PyTorch {@code ConvTranspose2d} semantics):
 * weight {@code [in, out, k, k]}, optional bias {@code [out]}, output size {@code (H − 1)·stride −
 * 2·pad + k}. Weights start from variance scaling with fan-in {@code out·k·k} (the reference
 * framework's rule for transposed convolutions), biases at zero.
 */
public final class ConvTranspose2d extends Module {
  private final int stride;
  private final int pad;
  private final Tensor weight;
  private final Tensor bias;

  /** A layer {@code in → out} channels with a {@code k × k} kernel. */
  public ConvTranspose2d(int in, int out, int k, int stride, int pad, boolean withBias,
      SplittableRandom rng) {
    Conv2d.checkGeometry("ConvTranspose2d", in, out, k, stride, pad);
    this.stride = stride;
    this.pad = pad;
    float[] w = new float[in * out * k * k];
    Init.varianceScalingFanIn(1.0).fill(w, out * k * k, in * k * k, rng);
    this.weight = registerParameter("weight", Tensor.wrap(w, in, out, k, k));
    this.bias = withBias ? registerParameter("bias", Tensor.zeros(out)) : null;
  }

  @Override
  public Tensor forward(Tensor x) {
    return NnOps.convTranspose2d(x, weight, bias, stride, pad);
  }

  /** The weight {@code [in, out, k, k]}. */
  public Tensor weight() {
    return weight;
  }
}
