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

  private static final int[] SCALAR_SHAPE = new int[0];

  private static Tensor binary(String op, Tensor a, Tensor b, BinaryRule rule) {
    if (java.util.Arrays.equals(a.shape, b.shape)) {
      return sameShape(op, a, b, rule);
    }
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
    Tensor out = Tape.result(op, shape, y, a, b);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node(op, a, b) {
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
    });
  }

  /** The common case: equal shapes, no index maps, the output shares the shape array. */
  private static Tensor sameShape(String op, Tensor a, Tensor b, BinaryRule rule) {
    int n = a.data.length;
    float[] av = a.data;
    float[] bv = b.data;
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      y[i] = rule.value(av[i], bv[i]);
    }
    Tensor out = Tape.result(op, a.shape, y, a, b);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node(op, a, b) {
      @Override
      protected void backward(float[] g) {
        if (needs(0)) {
          float[] ga = gradOf(0);
          for (int i = 0; i < n; i++) {
            ga[i] += g[i] * rule.dA(av[i], bv[i], y[i]);
          }
        }
        if (needs(1)) {
          float[] gb = gradOf(1);
          for (int i = 0; i < n; i++) {
            gb[i] += g[i] * rule.dB(av[i], bv[i], y[i]);
          }
        }
      }
    });
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
    Tensor out = Tape.result(op, x.shape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node(op, x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int i = 0; i < n; i++) {
          gx[i] += g[i] * rule.derivative(xv[i], y[i]);
        }
      }
    });
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
    Tensor out = Tape.result("scale", x.shape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("scale", x) {
      @Override
      protected void backward(float[] g) {
        Kernels.axpy(n, s, g, 0, gradOf(0), 0);
      }
    });
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

  /** Backward of an elementwise kernel op: accumulates {@code gx += g ⊙ f'(x)} given x and y. */
  private interface KernelBackward {
    void accumulate(int n, float[] x, float[] y, float[] g, float[] gx);
  }

  /**
   * Wraps an elementwise result {@code y = f(x)} computed by a kernel. {@code back} must be a
   * non-capturing lambda (a constant), so a no-grad call allocates nothing beyond the output.
   */
  private static Tensor kernelUnary(String op, Tensor x, float[] y, KernelBackward back) {
    Tensor out = Tape.result(op, x.shape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node(op, x) {
      @Override
      protected void backward(float[] g) {
        back.accumulate(y.length, x.data, y, g, gradOf(0));
      }
    });
  }

  /** {@code eˣ} (vector kernel); ∂ = eˣ. */
  public static Tensor exp(Tensor x) {
    float[] y = new float[x.data.length];
    Kernels.exp(y.length, x.data, 0, y, 0);
    return kernelUnary("exp", x, y, (n, xv, yv, g, gx) -> {
      for (int i = 0; i < n; i++) {
        gx[i] += g[i] * yv[i];
      }
    });
  }

  /** {@code tanh x} (vector kernel); ∂ = 1 − tanh². */
  public static Tensor tanh(Tensor x) {
    float[] y = new float[x.data.length];
    Kernels.tanh(y.length, x.data, 0, y, 0);
    return kernelUnary("tanh", x, y, (n, xv, yv, g, gx) -> Kernels.tanhBackward(n, yv, 0, g, 0, gx, 0));
  }

  /** GELU, tanh approximation {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))} (vector kernel). */
  public static Tensor gelu(Tensor x) {
    float[] y = new float[x.data.length];
    Kernels.gelu(y.length, x.data, 0, y, 0);
    return kernelUnary("gelu", x, y, (n, xv, yv, g, gx) -> Kernels.geluBackward(n, xv, 0, g, 0, gx, 0));
  }

  /** Leaky ReLU {@code x > 0 ? x : slope·x} (vector kernel). */
  public static Tensor leakyRelu(Tensor x, float slope) {
    int n = x.data.length;
    float[] xv = x.data;
    float[] y = new float[n];
    Kernels.leakyRelu(n, slope, xv, 0, y, 0);
    Tensor out = Tape.result("leakyRelu", x.shape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("leakyRelu", x) {
      @Override
      protected void backward(float[] g) {
        Kernels.leakyReluBackward(n, slope, xv, 0, g, 0, gradOf(0), 0);
      }
    });
  }

  // ========================================================================= reductions

  /** Sum of all elements, a scalar (shape {@code []}). */
  public static Tensor sum(Tensor x) {
    int n = x.data.length;
    double s = 0;
    for (float v : x.data) {
      s += v;
    }
    Tensor out = Tape.result("sum", SCALAR_SHAPE, new float[] {(float) s}, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("sum", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        float g0 = g[0];
        for (int i = 0; i < n; i++) {
          gx[i] += g0;
        }
      }
    });
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
    float[] xv = x.data;
    double[] acc = new double[Shapes.size(kept)];
    // When the reduced axes are one contiguous run, x is [outer, red, inner] and the sum needs no
    // index mapping; each output still adds its terms in increasing index order (same result).
    int first = -1;
    int last = -1;
    for (int d = 0; d < rank; d++) {
      if (reduce[d]) {
        first = first < 0 ? d : first;
        last = d;
      }
    }
    boolean contiguous = first >= 0;
    for (int d = first; contiguous && d <= last; d++) {
      contiguous = reduce[d];
    }
    final int red = contiguous ? Shapes.size(java.util.Arrays.copyOfRange(x.shape, first, last + 1)) : 0;
    final int inner = contiguous ? Shapes.size(java.util.Arrays.copyOfRange(x.shape, last + 1, rank)) : 0;
    final int outer = contiguous ? Shapes.size(java.util.Arrays.copyOfRange(x.shape, 0, first)) : 0;
    Broadcast map = contiguous ? null : new Broadcast(kept, x.shape);
    if (contiguous && inner == 1) { // a sum over trailing axes: one running sum in a register
      for (int o = 0, xi = 0; o < outer; o++) {
        double sum = 0;
        for (int r = 0; r < red; r++) {
          sum += xv[xi++];
        }
        acc[o] = sum;
      }
    } else if (contiguous) {
      for (int o = 0, xi = 0; o < outer; o++) {
        int base = o * inner;
        for (int r = 0; r < red; r++) {
          for (int i = 0; i < inner; i++) {
            acc[base + i] += xv[xi++];
          }
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        acc[map.map(i)] += xv[i];
      }
    }
    float[] y = new float[acc.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) acc[i];
    }
    Tensor out = Tape.result("sum", outShape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("sum", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        if (map == null) {
          for (int o = 0, xi = 0; o < outer; o++) {
            int base = o * inner;
            for (int r = 0; r < red; r++) {
              for (int i = 0; i < inner; i++) {
                gx[xi++] += g[base + i];
              }
            }
          }
          return;
        }
        for (int i = 0; i < n; i++) {
          gx[i] += g[map.map(i)];
        }
      }
    });
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

  // ============================================================================= shape

  /**
   * The same values viewed with another shape of the same size (no copy; one dimension may be
   * {@code -1} and is inferred).
   */
  public static Tensor reshape(Tensor x, int... shape) {
    int[] s = shape.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException("reshape: more than one -1 in " + Shapes.str(shape));
        }
        infer = i;
      } else if (s[i] < 0) {
        throw new IllegalArgumentException("reshape: negative dimension in " + Shapes.str(shape));
      } else {
        known *= s[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || x.data.length % known != 0) {
        throw new IllegalArgumentException("reshape: cannot infer -1 in " + Shapes.str(shape)
            + " for " + x.data.length + " elements " + Shapes.str(x.shape));
      }
      s[infer] = (int) (x.data.length / known);
    }
    if (Shapes.size(s) != x.data.length) {
      throw new IllegalArgumentException("reshape: " + Shapes.str(x.shape) + " (" + x.data.length
          + " elements) cannot become " + Shapes.str(s));
    }
    int n = x.data.length;
    Tensor out = Tape.result("reshape", s, x.data, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("reshape", x) {
      @Override
      protected void backward(float[] g) {
        Kernels.axpy(n, 1f, g, 0, gradOf(0), 0);
      }
    });
  }

  /** Reorders the axes: output axis {@code i} is input axis {@code perm[i]}. */
  public static Tensor permute(Tensor x, int... perm) {
    int rank = x.shape.length;
    if (perm.length != rank) {
      throw new IllegalArgumentException("permute: permutation " + Shapes.str(perm) + " for shape "
          + Shapes.str(x.shape));
    }
    boolean[] seen = new boolean[rank];
    int[] outShape = new int[rank];
    for (int i = 0; i < rank; i++) {
      int a = Shapes.axis("permute", perm[i], rank);
      if (seen[a]) {
        throw new IllegalArgumentException("permute: axis " + perm[i] + " repeated in " + Shapes.str(perm));
      }
      seen[a] = true;
      outShape[i] = x.shape[a];
    }
    // source index of each output element: out strides walk the permuted input strides
    int[] inSt = Shapes.strides(x.shape);
    int[] permSt = new int[rank];
    for (int i = 0; i < rank; i++) {
      permSt[i] = inSt[Shapes.axis("permute", perm[i], rank)];
    }
    int[] outSt = Shapes.strides(outShape);
    int n = x.data.length;
    int[] src = new int[n];
    for (int i = 0; i < n; i++) {
      int r = i;
      int idx = 0;
      for (int d = 0; d < rank; d++) {
        int q = r / outSt[d];
        r -= q * outSt[d];
        idx += q * permSt[d];
      }
      src[i] = idx;
    }
    float[] xv = x.data;
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      y[i] = xv[src[i]];
    }
    Tensor out = Tape.result("permute", outShape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("permute", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int i = 0; i < n; i++) {
          gx[src[i]] += g[i];
        }
      }
    });
  }

  /** Swaps the last two axes ({@code [..., n, m] → [..., m, n]}). */
  public static Tensor transpose(Tensor x) {
    int rank = x.shape.length;
    if (rank < 2) {
      throw new IllegalArgumentException("transpose: needs rank >= 2, got " + Shapes.str(x.shape));
    }
    int[] perm = new int[rank];
    for (int i = 0; i < rank; i++) {
      perm[i] = i;
    }
    perm[rank - 2] = rank - 1;
    perm[rank - 1] = rank - 2;
    return permute(x, perm);
  }

  /** Elements {@code [start, end)} along {@code axis}. */
  public static Tensor slice(Tensor x, int axis, int start, int end) {
    int a = Shapes.axis("slice", axis, x.shape.length);
    if (start < 0 || end > x.shape[a] || start > end) {
      throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") outside axis " + axis
          + " of " + Shapes.str(x.shape));
    }
    int[] outShape = x.shape.clone();
    outShape[a] = end - start;
    int inner = 1;
    for (int d = a + 1; d < x.shape.length; d++) {
      inner *= x.shape[d];
    }
    int outer = 1;
    for (int d = 0; d < a; d++) {
      outer *= x.shape[d];
    }
    int inBlock = x.shape[a] * inner;
    int outBlock = (end - start) * inner;
    int skip = start * inner;
    float[] y = new float[Shapes.size(outShape)];
    for (int o = 0; o < outer; o++) {
      System.arraycopy(x.data, o * inBlock + skip, y, o * outBlock, outBlock);
    }
    final int outerF = outer;
    Tensor out = Tape.result("slice", outShape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("slice", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int o = 0; o < outerF; o++) {
          Kernels.axpy(outBlock, 1f, g, o * outBlock, gx, o * inBlock + skip);
        }
      }
    });
  }

  /** Concatenation along {@code axis}; all other dimensions must agree. */
  public static Tensor concat(int axis, Tensor... xs) {
    if (xs.length == 0) {
      throw new IllegalArgumentException("concat: no tensors");
    }
    int rank = xs[0].shape.length;
    int a = Shapes.axis("concat", axis, rank);
    int[] outShape = xs[0].shape.clone();
    outShape[a] = 0;
    for (Tensor t : xs) {
      if (t.shape.length != rank) {
        throw new IllegalArgumentException("concat: " + Shapes.str(xs[0].shape) + " and " + Shapes.str(t.shape)
            + " differ in rank");
      }
      for (int d = 0; d < rank; d++) {
        if (d != a && t.shape[d] != xs[0].shape[d]) {
          throw new IllegalArgumentException("concat: " + Shapes.str(xs[0].shape) + " and "
              + Shapes.str(t.shape) + " differ outside axis " + axis);
        }
      }
      outShape[a] += t.shape[a];
    }
    int inner = 1;
    for (int d = a + 1; d < rank; d++) {
      inner *= outShape[d];
    }
    int outer = 1;
    for (int d = 0; d < a; d++) {
      outer *= outShape[d];
    }
    int outBlock = outShape[a] * inner;
    float[] y = new float[Shapes.size(outShape)];
    int[] at = new int[xs.length];
    int pos = 0;
    for (int k = 0; k < xs.length; k++) {
      at[k] = pos;
      int block = xs[k].shape[a] * inner;
      for (int o = 0; o < outer; o++) {
        System.arraycopy(xs[k].data, o * block, y, o * outBlock + pos, block);
      }
      pos += block;
    }
    final int outerF = outer;
    final int innerF = inner;
    Tensor out = Tape.result("concat", outShape, y, xs);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("concat", xs) {
      @Override
      protected void backward(float[] g) {
        for (int k = 0; k < inputs.length; k++) {
          if (!needs(k)) {
            continue;
          }
          float[] gk = gradOf(k);
          int block = inputs[k].shape[a] * innerF;
          for (int o = 0; o < outerF; o++) {
            Kernels.axpy(block, 1f, g, o * outBlock + at[k], gk, o * block);
          }
        }
      }
    });
  }

  /** Stacks equal-shaped tensors along a new axis {@code axis} (0 ≤ axis ≤ rank). */
  public static Tensor stack(int axis, Tensor... xs) {
    if (xs.length == 0) {
      throw new IllegalArgumentException("stack: no tensors");
    }
    int[] s0 = xs[0].shape;
    if (axis < 0 || axis > s0.length) {
      throw new IllegalArgumentException("stack: axis " + axis + " out of range for rank " + s0.length);
    }
    Tensor[] expanded = new Tensor[xs.length];
    int[] e = new int[s0.length + 1];
    for (int d = 0, j = 0; d < e.length; d++) {
      e[d] = d == axis ? 1 : s0[j++];
    }
    for (int k = 0; k < xs.length; k++) {
      if (!java.util.Arrays.equals(xs[k].shape, s0)) {
        throw new IllegalArgumentException("stack: shapes " + Shapes.str(s0) + " and "
            + Shapes.str(xs[k].shape) + " differ");
      }
      expanded[k] = reshape(xs[k], e);
    }
    return concat(axis, expanded);
  }

  /** Rows {@code index[i]} of {@code x} along axis 0: output {@code [index.length, ...]}. */
  public static Tensor gatherRows(Tensor x, int... index) {
    if (x.shape.length == 0) {
      throw new IllegalArgumentException("gatherRows: scalar input");
    }
    int rows = x.shape[0];
    int row = rows == 0 ? 0 : x.data.length / rows;
    int[] idx = index.clone();
    for (int i : idx) {
      if (i < 0 || i >= rows) {
        throw new IndexOutOfBoundsException("gatherRows: row " + i + " outside [0, " + rows + ") of "
            + Shapes.str(x.shape));
      }
    }
    int[] outShape = x.shape.clone();
    outShape[0] = idx.length;
    float[] y = new float[idx.length * row];
    for (int i = 0; i < idx.length; i++) {
      System.arraycopy(x.data, idx[i] * row, y, i * row, row);
    }
    Tensor out = Tape.result("gatherRows", outShape, y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("gatherRows", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int i = 0; i < idx.length; i++) {
          Kernels.axpy(row, 1f, g, i * row, gx, idx[i] * row);
        }
      }
    });
  }

  // ===================================================================== gradient shaping

  /** The same value with no gradient flowing back (a new leaf sharing the value array). */
  public static Tensor stopGradient(Tensor x) {
    return new Tensor(x.shape, x.data, false);
  }

  /**
   * Identity forward; backward rescales the incoming gradient of each slice to L2 norm ≤ {@code
   * maxNorm}. A slice is the set of elements that share their indices on all axes <em>not</em>
   * listed in {@code axes} (e.g. latents {@code [B, T, m]} with {@code axes = {2}}: one vector of
   * length m per (b, t)). Slices with a smaller norm pass unchanged.
   */
  public static Tensor clipGradNorm(Tensor x, float maxNorm, int... axes) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("clipGradNorm: maxNorm must be > 0, got " + maxNorm);
    }
    int rank = x.shape.length;
    int[] sliceShape = x.shape.clone(); // size-1 on the clipped axes: one entry per slice
    for (int a : axes) {
      sliceShape[Shapes.axis("clipGradNorm", a, rank)] = 1;
    }
    Broadcast slice = new Broadcast(sliceShape, x.shape);
    int slices = Shapes.size(sliceShape);
    int n = x.data.length;
    Tensor out = Tape.result("clipGradNorm", x.shape, x.data, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("clipGradNorm", x) {
      @Override
      protected void backward(float[] g) {
        double[] norm2 = new double[slices];
        for (int i = 0; i < n; i++) {
          norm2[slice.map(i)] += (double) g[i] * g[i];
        }
        float[] gx = gradOf(0);
        for (int i = 0; i < n; i++) {
          double norm = Math.sqrt(norm2[slice.map(i)]);
          float f = norm > maxNorm ? (float) (maxNorm / norm) : 1f;
          gx[i] += g[i] * f;
        }
      }
    });
  }
}
