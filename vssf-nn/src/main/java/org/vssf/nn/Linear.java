package org.vssf.nn;

import java.util.SplittableRandom;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/**
 * Affine layer {@code y = x·W + b} on the last axis: {@code W} is {@code [in, out]} (the reference
 * framework's layout), {@code b} is {@code [out]}; x is {@code [..., in]}.
 */
public final class Linear extends Module {
  private final int in;
  private final int out;
  private final Tensor weight;
  private final Tensor bias;

  /** A layer with the default initialisation (truncated normal σ = 1/√in, zero bias). */
  public Linear(int in, int out, SplittableRandom rng) {
    this(in, out, true, Init.truncatedNormalFanIn(), rng);
  }

  /** A layer with a chosen weight initialiser; {@code withBias} adds a zero-initialised bias. */
  public Linear(int in, int out, boolean withBias, Init.Initializer init, SplittableRandom rng) {
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException("Linear: sizes must be >= 1, got " + in + " -> " + out);
    }
    this.in = in;
    this.out = out;
    float[] w = new float[in * out];
    init.fill(w, in, out, rng);
    this.weight = registerParameter("weight", Tensor.wrap(w, in, out));
    this.bias = withBias ? registerParameter("bias", Tensor.zeros(out)) : null;
  }

  @Override
  public Tensor forward(Tensor x) {
    if (x.rank() < 1 || x.dim(-1) != in) {
      throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input of shape "
          + java.util.Arrays.toString(x.shape()).replace(" ", "") + " does not end in " + in);
    }
    Tensor flat = x.rank() == 2 ? x : Ops.reshape(x, -1, in);
    Tensor y = LinalgOps.matmul(flat, weight);
    if (bias != null) {
      y = Ops.add(y, bias);
    }
    if (x.rank() == 2) {
      return y;
    }
    int[] shape = x.shape();
    shape[shape.length - 1] = out;
    return Ops.reshape(y, shape);
  }

  /** The weight {@code [in, out]}. */
  public Tensor weight() {
    return weight;
  }

  /** The bias {@code [out]}, or {@code null}. */
  public Tensor bias() {
    return bias;
  }
}
