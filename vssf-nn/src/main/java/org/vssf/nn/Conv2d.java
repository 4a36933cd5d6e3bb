package org.vssf.nn;

import java.util.SplittableRandom;
import org.vssf.autodiff.NnOps;
import org.vssf.autodiff.Tensor;

/**
 * 2-D convolution layer on NCHW input: weight {@code [out, in, k, k]}, optional bias {@code
 * [out]}, square kernel, stride and zero padding. Weights start from variance scaling on fan-in
 * {@code in·k·k} (the reference framework's default), biases at zero.
 */
public final class Conv2d extends Module {
  private final int stride;
  private final int pad;
  private final Tensor weight;
  private final Tensor bias;

  /** A layer {@code in → out} channels with a {@code k × k} kernel. */
  public Conv2d(int in, int out, int k, int stride, int pad, boolean withBias, SplittableRandom rng) {
    checkGeometry("Conv2d", in, out, k, stride, pad);
    this.stride = stride;
    this.pad = pad;
    float[] w = new float[out * in * k * k];
    Init.varianceScalingFanIn(1.0).fill(w, in * k * k, out * k * k, rng);
    this.weight = registerParameter("weight", Tensor.wrap(w, out, in, k, k));
    this.bias = withBias ? registerParameter("bias", Tensor.zeros(out)) : null;
  }

  static void checkGeometry(String layer, int in, int out, int k, int stride, int pad) {
    if (in < 1 || out < 1 || k < 1 || stride < 1 || pad < 0) {
      throw new IllegalArgumentException(layer + ": need channels, kernel, stride >= 1 and padding >= 0;"
          + " got in=" + in + ", out=" + out + ", k=" + k + ", stride=" + stride + ", pad=" + pad);
    }
  }

  @Override
  public Tensor forward(Tensor x) {
    return NnOps.conv2d(x, weight, bias, stride, pad);
  }

  /** The weight {@code [out, in, k, k]}. */
  public Tensor weight() {
    return weight;
  }
}
