package org.vssf.nn;

import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/** Parameter-free elementwise modules: GELU (tanh approximation), leaky ReLU, tanh. */
public final class Activation extends Module {
  private final String kind;
  private final float slope;

  private Activation(String kind, float slope) {
    this.kind = kind;
    this.slope = slope;
  }

  /** GELU, tanh approximation. */
  public static Activation gelu() {
    return new Activation("gelu", 0f);
  }

  /** Leaky ReLU {@code x > 0 ? x : slope·x} (the reference networks use slope 0.3). */
  public static Activation leakyRelu(float slope) {
    return new Activation("leakyRelu", slope);
  }

  /** Hyperbolic tangent. */
  public static Activation tanh() {
    return new Activation("tanh", 0f);
  }

  @Override
  public Tensor forward(Tensor x) {
    switch (kind) {
      case "gelu":
        return Ops.gelu(x);
      case "leakyRelu":
        return Ops.leakyRelu(x, slope);
      default:
        return Ops.tanh(x);
    }
  }

  @Override
  public String toString() {
    return kind.equals("leakyRelu") ? "LeakyRelu(" + slope + ")" : kind;
  }
}
