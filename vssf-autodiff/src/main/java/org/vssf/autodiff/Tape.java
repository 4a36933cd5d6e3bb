package org.vssf.autodiff;

import java.util.ArrayList;

/**
 * The per-thread record of ops in execution order. Creation order is a topological order, so
 * {@link #backward(Tensor)} is one reverse loop. After backward the tape is cleared and the
 * intermediate gradients are dropped; leaf gradients stay (and accumulate) until zeroed.
 */
public final class Tape {
  private static final ThreadLocal<Tape> CURRENT = ThreadLocal.withInitial(Tape::new);

  private final ArrayList<Node> nodes = new ArrayList<>();
  private int noGradDepth;
  private int anomalyDepth;

  private Tape() {}

  static Tape current() {
    return CURRENT.get();
  }

  /** Whether ops on this thread are being recorded now (not inside a no-grad scope). */
  public static boolean isRecording() {
    return current().noGradDepth == 0;
  }

  /** Number of ops recorded on this thread and not yet consumed by a backward pass. */
  public static int size() {
    return current().nodes.size();
  }

  /** Discards everything recorded on this thread (e.g. after a forward pass not followed by backward). */
  public static void clear() {
    Tape t = current();
    for (Node n : t.nodes) {
      n.output.creator = null;
      n.output.released = true;
    }
    t.nodes.clear();
  }

  /**
   * The output tensor of an op over {@code a}: it requires a gradient when {@code a} does and
   * recording is on. Ops build their {@link Node} only when it does (see {@link #attach}), so a
   * no-grad forward allocates nothing but the output. Anomaly mode checks the value.
   */
  static Tensor result(String op, int[] shape, float[] value, Tensor a) {
    return result(op, shape, value, a.requiresGrad);
  }

  /** As {@link #result(String, int[], float[], Tensor)} for two inputs. */
  static Tensor result(String op, int[] shape, float[] value, Tensor a, Tensor b) {
    return result(op, shape, value, a.requiresGrad || b.requiresGrad);
  }

  /** As {@link #result(String, int[], float[], Tensor)} for any number of inputs. */
  static Tensor result(String op, int[] shape, float[] value, Tensor[] inputs) {
    boolean any = false;
    for (Tensor t : inputs) {
      any |= t.requiresGrad;
    }
    return result(op, shape, value, any);
  }

  private static Tensor result(String op, int[] shape, float[] value, boolean inputsNeedGrad) {
    Tape t = current();
    if (t.anomalyDepth > 0) {
      checkFinite(op, "forward value", value, shape);
    }
    return new Tensor(shape, value, inputsNeedGrad && t.noGradDepth == 0);
  }

  /**
   * Records a user-defined op: {@code value} (of {@code shape}) becomes the output of {@code node},
   * whose {@link Node#backward} will receive {@code ∂loss/∂output} and accumulate into its inputs'
   * gradients. This is how a fused kernel with a hand-derived adjoint (e.g. the filter + sampler of
   * the filter module) joins a graph; gradcheck such an op against its composite form. When no
   * input requires a gradient (or recording is off) the node is dropped and a plain tensor is
   * returned.
   */
  public static Tensor record(Node node, int[] shape, float[] value) {
    if (Shapes.size(shape) != value.length) {
      throw new IllegalArgumentException(node.op + ": output shape " + Shapes.str(shape) + " does not match "
          + value.length + " values");
    }
    Tensor out = result(node.op, shape.clone(), value, node.inputs);
    return out.requiresGrad ? attach(out, node) : out;
  }

  /** Records {@code node} as the creator of {@code out} (which must require a gradient). */
  static Tensor attach(Tensor out, Node node) {
    node.output = out;
    out.creator = node;
    current().nodes.add(node);
    return out;
  }

  static void backward(Tensor loss) {
    if (loss.data.length != 1) {
      throw new IllegalStateException("backward: loss of shape " + Shapes.str(loss.shape)
          + " is not a scalar; reduce it first (e.g. Ops.sum)");
    }
    if (!loss.requiresGrad) {
      throw new IllegalStateException("backward: the loss does not require a gradient (no input"
          + " requires one, or it was computed in a no-grad scope)");
    }
    if (loss.released) {
      throw new IllegalStateException("backward: the graph of this loss was released by an earlier"
          + " backward or Tape.clear() (one backward per recorded graph: sum several losses and call"
          + " backward once, or compute the loss again)");
    }
    Tape t = current();
    loss.gradBuffer()[0] += 1f;
    int end = t.nodes.size() - 1;
    if (loss.creator != null) {
      end = t.nodes.lastIndexOf(loss.creator);
      if (end < 0) {
        throw new IllegalStateException("backward: the loss was recorded on another thread or its"
            + " tape was already consumed by an earlier backward");
      }
    }
    boolean anomaly = t.anomalyDepth > 0;
    try {
      for (int i = end; i >= 0; i--) {
        Node n = t.nodes.get(i);
        float[] g = n.output.grad;
        if (g != null) {
          n.backward(g);
          if (anomaly) {
            for (Tensor in : n.inputs) {
              if (in.requiresGrad && in.grad != null) {
                checkFinite(n.op, "gradient", in.grad, in.shape);
              }
            }
          }
        }
      }
    } finally {
      for (Node n : t.nodes) {
        Tensor out = n.output;
        out.creator = null;
        out.released = true; // a later backward from here must fail loudly, not do nothing
        if (out != loss) {
          out.grad = null; // intermediate: release
        }
      }
      t.nodes.clear();
    }
  }

  static void checkFinite(String op, String what, float[] v, int[] shape) {
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new ArithmeticException("anomaly: " + op + " produced " + v[i] + " in its " + what
            + " at element " + i + " of " + Shapes.str(shape));
      }
    }
  }

  /** Scope in which nothing is recorded: {@code try (Tape.Scope s = Tape.noGrad()) { ... }}. */
  public static Scope noGrad() {
    Tape t = current();
    t.noGradDepth++;
    return new Scope(t, false);
  }

  /**
   * Scope in which the first op producing a NaN/Inf value or gradient throws, naming itself:
   * {@code try (Tape.Scope s = Tape.detectAnomaly()) { ... }}. Costs one scan per op.
   */
  public static Scope detectAnomaly() {
    Tape t = current();
    t.anomalyDepth++;
    return new Scope(t, true);
  }

  /**
   * Handle of a no-grad or anomaly scope of the thread that opened it; closing it (once, on that
   * thread) ends the scope.
   */
  public static final class Scope implements AutoCloseable {
    private final Tape tape;
    private final boolean anomaly;
    private boolean closed;

    private Scope(Tape tape, boolean anomaly) {
      this.tape = tape;
      this.anomaly = anomaly;
    }

    @Override
    public void close() {
      if (current() != tape) {
        throw new IllegalStateException("Tape.Scope: closed on a different thread than it was opened on");
      }
      if (!closed) {
        closed = true;
        if (anomaly) {
          tape.anomalyDepth--;
        } else {
          tape.noGradDepth--;
        }
      }
    }
  }
}
