package org.vssf.autodiff;

/**
 * One recorded op: its name, inputs and output, and the backward rule that turns {@code
 * ∂loss/∂output} into contributions to the inputs' gradients. Implementations accumulate ({@code
 * +=}) into {@link Tensor#gradBuffer()} of inputs that {@link Tensor#requiresGrad()} and skip the
 * others; they read only values that are never mutated after the op ran.
 */
public abstract class Node {
  final String op;
  final Tensor[] inputs;
  Tensor output;

  /** A node for {@code op} over {@code inputs}. */
  protected Node(String op, Tensor... inputs) {
    this.op = op;
    this.inputs = inputs;
  }

  /** Accumulates the inputs' gradients given the output's gradient {@code g}. */
  protected abstract void backward(float[] g);

  /** The op name (for messages). */
  public String op() {
    return op;
  }

  /** Whether input {@code i} wants a gradient. */
  protected final boolean needs(int i) {
    return inputs[i].requiresGrad;
  }

  /** Gradient buffer of input {@code i} (allocated on first use). */
  protected final float[] gradOf(int i) {
    return inputs[i].gradBuffer();
  }
}
