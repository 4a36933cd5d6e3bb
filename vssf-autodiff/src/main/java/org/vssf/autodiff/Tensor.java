package org.vssf.autodiff;

import java.util.Arrays;
import org.ejml.data.FMatrixRMaj;

/**
 * A float32 tensor: a shape, a contiguous row-major value, a lazily allocated gradient of the same
 * shape, and {@code requiresGrad}. Tensors produced by recorded ops remember the {@link Node} that
 * made them; {@link #backward()} on a scalar runs the tape in reverse and accumulates {@code
 * ∂loss/∂t} into every tensor that requires a gradient.
 *
 * <p>Values are owned by the tensor and must not be mutated after the tensor has been used by a
 * recorded op (backward passes read them). Gradients accumulate until {@link #zeroGrad()}.
 */
public final class Tensor {
  final int[] shape;
  final float[] data;
  float[] grad;
  boolean requiresGrad;
  Node creator;
  /** Set when a backward pass or {@link Tape#clear()} released the graph that produced this tensor. */
  boolean released;
  String name;

  Tensor(int[] shape, float[] data, boolean requiresGrad) {
    this.shape = shape;
    this.data = data;
    this.requiresGrad = requiresGrad;
  }

  // ------------------------------------------------------------------------------ creation

  /** A tensor with the given values (copied) and shape; {@code values.length} must match. */
  public static Tensor of(float[] values, int... shape) {
    int[] s = Shapes.checked("Tensor.of", shape);
    if (values == null) {
      throw new NullPointerException("Tensor.of: values are null");
    }
    if (values.length != Shapes.size(s)) {
      throw new IllegalArgumentException("Tensor.of: " + values.length + " values do not fill shape "
          + Shapes.str(s) + " (" + Shapes.size(s) + " elements)");
    }
    return new Tensor(s, values.clone(), false);
  }

  /** Wraps {@code values} without copying (the caller gives up ownership). */
  public static Tensor wrap(float[] values, int... shape) {
    int[] s = Shapes.checked("Tensor.wrap", shape);
    if (values.length != Shapes.size(s)) {
      throw new IllegalArgumentException("Tensor.wrap: " + values.length + " values do not fill shape "
          + Shapes.str(s));
    }
    return new Tensor(s, values, false);
  }

  /** A zero tensor. */
  public static Tensor zeros(int... shape) {
    int[] s = Shapes.checked("Tensor.zeros", shape);
    return new Tensor(s, new float[Shapes.size(s)], false);
  }

  /** A tensor filled with {@code value}. */
  public static Tensor full(float value, int... shape) {
    Tensor t = zeros(shape);
    Arrays.fill(t.data, value);
    return t;
  }

  /** A scalar (shape {@code []}). */
  public static Tensor scalar(float value) {
    return new Tensor(new int[0], new float[] {value}, false);
  }

  /** A 2-D tensor copying an EJML matrix. */
  public static Tensor of(FMatrixRMaj m) {
    float[] v = Arrays.copyOf(m.data, m.numRows * m.numCols);
    return new Tensor(new int[] {m.numRows, m.numCols}, v, false);
  }

  /** Marks this leaf as a parameter/input whose gradient is wanted; returns {@code this}. */
  public Tensor requiresGrad(boolean flag) {
    if (creator != null && !flag) {
      throw new IllegalStateException("requiresGrad: cannot switch off gradients of a recorded result;"
          + " use Ops.stopGradient");
    }
    this.requiresGrad = flag;
    return this;
  }

  /** Sets a name used in error messages; returns {@code this}. */
  public Tensor named(String n) {
    this.name = n;
    return this;
  }

  // ----------------------------------------------------------------------------- accessors

  /** A copy of the shape. */
  public int[] shape() {
    return shape.clone();
  }

  /** Size of dimension {@code d} (negative counts from the end). */
  public int dim(int d) {
    return shape[Shapes.axis("dim", d, shape.length)];
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Number of elements. */
  public int size() {
    return data.length;
  }

  /** Whether a gradient flows to this tensor. */
  public boolean requiresGrad() {
    return requiresGrad;
  }

  /** The name given with {@link #named}, or {@code null}. */
  public String name() {
    return name;
  }

  /**
   * The value array itself (row-major, length {@link #size()}): read freely; write only to tensors
   * no recorded op has used yet.
   */
  public float[] data() {
    return data;
  }

  /** The gradient array ({@code null} until backward reaches this tensor or after zeroGrad). */
  public float[] grad() {
    return grad;
  }

  /** The single value of a one-element tensor. */
  public float item() {
    if (data.length != 1) {
      throw new IllegalStateException("item: tensor of shape " + Shapes.str(shape) + " has "
          + data.length + " elements, not 1");
    }
    return data[0];
  }

  /** Value at a multi-index. */
  public float get(int... index) {
    return data[Shapes.offset("get", shape, index)];
  }

  /** A copy of the value as a 2-D EJML matrix (rank 2 only). */
  public FMatrixRMaj toMatrix() {
    if (shape.length != 2) {
      throw new IllegalStateException("toMatrix: tensor of shape " + Shapes.str(shape) + " is not 2-D");
    }
    return new FMatrixRMaj(shape[0], shape[1], true, data.clone());
  }

  /** Drops the gradient (it is reallocated as zeros when next accumulated). */
  public void zeroGrad() {
    grad = null;
  }

  /** The gradient array, allocated as zeros on first use. */
  float[] gradBuffer() {
    if (grad == null) {
      grad = new float[data.length];
    }
    return grad;
  }

  /** Runs backpropagation from this scalar: {@code ∂this/∂t} accumulates into every leaf. */
  public void backward() {
    Tape.backward(this);
  }

  /** A leaf sharing nothing with the graph: same value (copied), no gradient. */
  public Tensor detachCopy() {
    return new Tensor(shape.clone(), data.clone(), false);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tensor");
    if (name != null) {
      sb.append(' ').append(name);
    }
    sb.append(Shapes.str(shape));
    if (data.length <= 16) {
      sb.append(' ').append(Arrays.toString(data));
    }
    if (requiresGrad) {
      sb.append(" requiresGrad");
    }
    return sb.toString();
  }
}
