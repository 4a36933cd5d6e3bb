package org.vssf.autodiff;

import org.vssf.linalg.Kernels;

/**
 * The differentiable ops. Each records a {@link Node} whose backward rule sits next to its forward
 * computation. Elementwise binary ops broadcast by NumPy rules; the gradient of a broadcast input
 * is summed back to its shape. Errors name the op and the shapes.
 */
public final class Ops {
  private Ops() {}

  // ================================================================ elementwise, binary

  /** Local derivative rule for a broadcasting binary op. */
  private interface BinaryRule {
    float value(float a, float b);

    float dA(float a, float b, float y);

    float dB(float a, float b, float y);
  }

  private static Tensor binary(String op, Tensor a, Tensor b, BinaryRule rule) {
    int[] shape = Shapes.broadcast(op, a.shape, b.shape);
    int n = Shapes.size(shape);
    Broadcast ma = new Broadcast(a.shape, shape);
    Broadcast mb = new Broadcast(b.shape, shape);
    float[] y = new float[n];
    float[] av = a.data;
    float[] bv = b.data;
    if (ma.identity() && mb.identity()) {
      for (int i = 0; i < n; i++) {
        y[i] = rule.value(av[i], bv[i]);
      }
    } else {
      for (int i = 0; i < n; i++) {
        y[i] = rule.value(av[ma.map(i)], bv[mb.map(i)]);
      }
    }
    return Tape.record(new Node(op, a, b) {
      @Override
      protected void backward(float[] g) {
        boolean da = needs(0);
        boolean db = needs(1);
        float[] ga = da ? gradOf(0) : null;
        float[] gb = db ? gradOf(1) : null;
        for (int i = 0; i < n; i++) {
          int ia = ma.map(i);
          int ib = mb.map(i);
          if (da) {
            ga[ia] += g[i] * rule.dA(av[ia], bv[ib], y[i]);
          }
          if (db) {
            gb[ib] += g[i] * rule.dB(av[ia], bv[ib], y[i]);
          }
        }
      }
    }, shape, y);
  }

  private static final BinaryRule ADD = new BinaryRule() {
    public float value(float a, float b) { return a + b; }
    public float dA(float a, float b, float y) { return 1f; }
    public float dB(float a, float b, float y) { return 1f; }
  };

  private static final BinaryRule SUB = new BinaryRule() {
    public float value(float a, float b) { return a - b; }
    public float dA(float a, float b, float y) { return 1f; }
    public float dB(float a, float b, float y) { return -1f; }
  };

  private static final BinaryRule MUL = new BinaryRule() {
    public float value(float a, float b) { return a * b; }
    public float dA(float a, float b, float y) { return b; }
    public float dB(float a, float b, float y) { return a; }
  };

  private static final BinaryRule DIV = new BinaryRule() {
    public float value(float a, float b) { return a / b; }
    public float dA(float a, float b, float y) { return 1f / b; }
    public float dB(float a, float b, float y) { return -y / b; }
  };

  /** {@code a + b} (broadcasting). */
  public static Tensor add(Tensor a, Tensor b) {
    return binary("add", a, b, ADD);
  }

  /** {@code a − b} (broadcasting). */
  public static Tensor sub(Tensor a, Tensor b) {
    return binary("sub", a, b, SUB);
  }

  /** {@code a ⊙ b} (broadcasting). */
  public static Tensor mul(Tensor a, Tensor b) {
    return binary("mul", a, b, MUL);
  }

  /** {@code a / b} (broadcasting); ∂/∂b = −a/b². */
  public static Tensor div(Tensor a, Tensor b) {
    return binary("div", a, b, DIV);
  }

  // ================================================================= elementwise, unary

  /** Local derivative of a unary op from its input {@code x} and output {@code y}. */
  private interface UnaryRule {
    float value(float x);

    float derivative(float x, float y);
  }

  private static Tensor unary(String op, Tensor x, UnaryRule rule) {
    int n = x.data.length;
    float[] xv = x.data;
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      y[i] = rule.value(xv[i]);
    }
    return Tape.record(new Node(op, x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int i = 0; i < n; i++) {
          gx[i] += g[i] * rule.derivative(xv[i], y[i]);
        }
      }
    }, x.shape, y);
  }

  /** {@code −x}. */
  public static Tensor neg(Tensor x) {
    return scale(x, -1f);
  }

  /** {@code s·x}. */
  public static Tensor scale(Tensor x, float s) {
    int n = x.data.length;
    float[] y = new float[n];
    Kernels.scale(n, s, x.data, 0, y, 0);
    return Tape.record(new Node("scale", x) {
      @Override
      protected void backward(float[] g) {
        Kernels.axpy(n, s, g, 0, gradOf(0), 0);
      }
    }, x.shape, y);
  }

  /** {@code x + c} for a constant {@code c}. */
  public static Tensor addScalar(Tensor x, float c) {
    return unary("addScalar", x, new UnaryRule() {
      public float value(float v) { return v + c; }
      public float derivative(float v, float y) { return 1f; }
    });
  }

  private static final UnaryRule SQUARE = new UnaryRule() {
    public float value(float x) { return x * x; }
    public float derivative(float x, float y) { return 2f * x; }
  };

  private static final UnaryRule SQRT = new UnaryRule() {
    public float value(float x) { return (float) Math.sqrt(x); }
    public float derivative(float x, float y) { return 0.5f / y; }
  };

  private static final UnaryRule LOG = new UnaryRule() {
    public float value(float x) { return (float) Math.log(x); }
    public float derivative(float x, float y) { return 1f / x; }
  };

  private static final UnaryRule SIGMOID = new UnaryRule() {
    public float value(float x) { return sigmoid(x); }
    public float derivative(float x, float y) { return y * (1f - y); }
  };

  private static final UnaryRule SOFTPLUS = new UnaryRule() {
    // log(1 + e^x) computed without overflow: max(x, 0) + log1p(e^-|x|).
    public float value(float x) { return (float) (Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))); }
    public float derivative(float x, float y) { return sigmoid(x); }
  };

  static float sigmoid(float x) {
    return x >= 0 ? (float) (1 / (1 + Math.exp(-x))) : (float) (Math.exp(x) / (1 + Math.exp(x)));
  }

  /** {@code x²}. */
  public static Tensor square(Tensor x) {
    return unary("square", x, SQUARE);
  }

  /** {@code √x}; ∂ = 1/(2√x). */
  public static Tensor sqrt(Tensor x) {
    return unary("sqrt", x, SQRT);
  }

  /** {@code ln x}; ∂ = 1/x. */
  public static Tensor log(Tensor x) {
    return unary("log", x, LOG);
  }

  /** {@code σ(x) = 1/(1 + e^{−x})}; ∂ = σ(1 − σ). */
  public static Tensor sigmoid(Tensor x) {
    return unary("sigmoid", x, SIGMOID);
  }

  /** {@code softplus(x) = ln(1 + eˣ)} (overflow-safe); ∂ = σ(x). */
  public static Tensor softplus(Tensor x) {
    return unary("softplus", x, SOFTPLUS);
  }

  /** {@code clamp(x, lo, hi)}; the gradient passes where {@code lo ≤ x ≤ hi}. */
  public static Tensor clamp(Tensor x, float lo, float hi) {
    if (!(lo <= hi)) {
      throw new IllegalArgumentException("clamp: lo " + lo + " > hi " + hi);
    }
    return unary("clamp", x, new UnaryRule() {
      public float value(float v) { return v < lo ? lo : v > hi ? hi : v; }
      public float derivative(float v, float y) { return v >= lo && v <= hi ? 1f : 0f; }
    });
  }

  /** {@code eˣ} (vector kernel); ∂ = eˣ. */
  public static Tensor exp(Tensor x) {
    int n = x.data.length;
    float[] y = new float[n];
    Kernels.exp(n, x.data, 0, y, 0);
    return Tape.record(new Node("exp", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int i = 0; i < n; i++) {
          gx[i] += g[i] * y[i];
        }
      }
    }, x.shape, y);
  }

  /** {@code tanh x} (vector kernel); ∂ = 1 − tanh². */
  public static Tensor tanh(Tensor x) {
    int n = x.data.length;
    float[] y = new float[n];
    Kernels.tanh(n, x.data, 0, y, 0);
    return Tape.record(new Node("tanh", x) {
      @Override
      protected void backward(float[] g) {
        Kernels.tanhBackward(n, y, 0, g, 0, gradOf(0), 0);
      }
    }, x.shape, y);
  }

  /** GELU, tanh approximation {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))} (vector kernel). */
  public static Tensor gelu(Tensor x) {
    int n = x.data.length;
    float[] xv = x.data;
    float[] y = new float[n];
    Kernels.gelu(n, xv, 0, y, 0);
    return Tape.record(new Node("gelu", x) {
      @Override
      protected void backward(float[] g) {
        Kernels.geluBackward(n, xv, 0, g, 0, gradOf(0), 0);
      }
    }, x.shape, y);
  }

  /** Leaky ReLU {@code x > 0 ? x : slope·x} (vector kernel). */
  public static Tensor leakyRelu(Tensor x, float slope) {
    int n = x.data.length;
    float[] xv = x.data;
    float[] y = new float[n];
    Kernels.leakyRelu(n, slope, xv, 0, y, 0);
    return Tape.record(new Node("leakyRelu", x) {
      @Override
      protected void backward(float[] g) {
        Kernels.leakyReluBackward(n, slope, xv, 0, g, 0, gradOf(0), 0);
      }
    }, x.shape, y);
  }

  // ========================================================================= reductions

  /** Sum of all elements, a scalar (shape {@code []}). */
  public static Tensor sum(Tensor x) {
    int n = x.data.length;
    double s = 0;
    for (float v : x.data) {
      s += v;
    }
    return Tape.record(new Node("sum", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        float g0 = g[0];
        for (int i = 0; i < n; i++) {
          gx[i] += g0;
        }
      }
    }, new int[0], new float[] {(float) s});
  }

  /**
   * Sum over {@code axes} (negative counts from the end); reduced axes are kept with size 1 when
   * {@code keepDims}, removed otherwise.
   */
  public static Tensor sum(Tensor x, int[] axes, boolean keepDims) {
    int rank = x.shape.length;
    boolean[] reduce = new boolean[rank];
    for (int a : axes) {
      int ax = Shapes.axis("sum", a, rank);
      if (reduce[ax]) {
        throw new IllegalArgumentException("sum: axis " + a + " given twice");
      }
      reduce[ax] = true;
    }
    int[] kept = x.shape.clone();
    int outRank = 0;
    for (int d = 0; d < rank; d++) {
      if (reduce[d]) {
        kept[d] = 1;
      } else {
        outRank++;
      }
    }
    int[] outShape;
    if (keepDims) {
      outShape = kept;
    } else {
      outShape = new int[outRank];
      for (int d = 0, o = 0; d < rank; d++) {
        if (!reduce[d]) {
          outShape[o++] = x.shape[d];
        }
      }
    }
    int n = x.data.length;
    Broadcast map = new Broadcast(kept, x.shape);
    float[] xv = x.data;
    double[] acc = new double[Shapes.size(kept)];
    for (int i = 0; i < n; i++) {
      acc[map.map(i)] += xv[i];
    }
    float[] y = new float[acc.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) acc[i];
    }
    return Tape.record(new Node("sum", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int i = 0; i < n; i++) {
          gx[i] += g[map.map(i)];
        }
      }
    }, outShape, y);
  }

  /** Mean over {@code axes}: {@link #sum(Tensor, int[], boolean)} divided by the count reduced. */
  public static Tensor mean(Tensor x, int[] axes, boolean keepDims) {
    Tensor s = sum(x, axes, keepDims);
    int count = x.data.length / Math.max(1, s.data.length);
    return scale(s, x.data.length == 0 ? Float.NaN : 1f / count);
  }

  /** Mean of all elements, a scalar. */
  public static Tensor mean(Tensor x) {
    return scale(sum(x), 1f / x.data.length);
  }
}
