package org.vssf.autodiff;

import java.util.Arrays;
import org.vssf.linalg.Kernels;
import org.vssf.linalg.SpdBatch;

/**
 * Differentiable batched linear algebra: matrix products, Cholesky factors, triangular and SPD
 * solves and log-determinants. Matrices are the last two axes of a tensor; all leading axes are
 * batch axes ({@code [..., m, m]}), stored row-major one matrix after the other, which is the
 * layout of the {@link Kernels} and {@link SpdBatch} kernels used for the forward and backward
 * passes. Each op's backward rule sits next to its forward computation; errors name the op and the
 * shapes.
 *
 * <p><b>Symmetric inputs.</b> {@link #cholesky} and {@link #spdSolve} read only the lower triangle
 * of their SPD input, but their gradient with respect to it is the symmetric matrix {@code Ā} that
 * satisfies {@code dLoss = ⟨Ā, dA⟩} for every <em>symmetric</em> perturbation {@code dA} (the
 * convention of PyTorch). It is the exact gradient of the same op applied to {@code ½(A + Aᵀ)},
 * and the right one whenever the input is built symmetrically (e.g. {@code X·Xᵀ + c·I}); it is not
 * the entrywise derivative of the lower-triangle read (which would be {@code 2Ā_ij} below the
 * diagonal and 0 above).
 */
public final class LinalgOps {
  private LinalgOps() {}

  // ============================================================================ products

  /**
   * Matrix product over the last two axes: {@code [..., n, k] × [..., k, p] → [..., n, p]}. Either
   * both operands have the same leading (batch) axes, or one of them is 2-D and is shared by every
   * matrix of the other ({@code [B, n, k] × [k, p]}, {@code [n, k] × [B, k, p]}); the gradient of a
   * shared operand is summed over the batch.
   *
   * <p>Backward: {@code Ā = G·Bᵀ}, {@code B̄ = Aᵀ·G}, each one GEMM per matrix accumulating straight
   * into the gradient ({@code β = 1}); with a shared {@code B} the batch of {@code A} is one {@code
   * [B·n, k]} matrix, so forward, {@code Ā} and {@code B̄} are single GEMMs.
   *
   * @throws IllegalArgumentException e.g. {@code matmul: [32,16] x [8,4]: inner dimensions differ}
   */
  public static Tensor matmul(Tensor a, Tensor b) {
    int[] as = a.shape;
    int[] bs = b.shape;
    int ra = as.length;
    int rb = bs.length;
    String sig = "matmul: " + Shapes.str(as) + " x " + Shapes.str(bs);
    if (ra < 2 || rb < 2) {
      throw new IllegalArgumentException(sig + ": operands need at least 2 dimensions");
    }
    int n = as[ra - 2];
    int k = as[ra - 1];
    int p = bs[rb - 1];
    if (bs[rb - 2] != k) {
      throw new IllegalArgumentException(sig + ": inner dimensions differ");
    }
    int[] lead;
    if (ra > 2 && rb > 2) {
      if (!Arrays.equals(leading(as), leading(bs))) {
        throw new IllegalArgumentException(sig + ": batch dimensions differ");
      }
      lead = leading(as);
    } else {
      lead = ra >= rb ? leading(as) : leading(bs);
    }
    int batch = Shapes.size(lead);
    int[] outShape = matrixShape(lead, n, p);
    float[] av = a.data;
    float[] bv = b.data;
    float[] y = new float[Shapes.size(outShape)];
    // Strides between consecutive matrices of each operand (0 for a shared 2-D operand).
    int sa = ra > 2 ? n * k : 0;
    int sb = rb > 2 ? k * p : 0;
    int sy = n * p;
    boolean sharedB = ra > 2 && rb == 2;
    if (sharedB) {
      Kernels.gemm(false, false, batch * n, p, k, 1f, av, 0, k, bv, 0, p, 0f, y, 0, p);
    } else {
      for (int e = 0; e < batch; e++) {
        Kernels.gemm(false, false, n, p, k, 1f, av, e * sa, k, bv, e * sb, p, 0f, y, e * sy, p);
      }
    }
    Tensor out = Tape.result("matmul", outShape, y, a, b);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("matmul", a, b) {
      @Override
      protected void backward(float[] g) {
        if (sharedB) {
          if (needs(0)) { // Ā[B·n, k] += G[B·n, p]·Bᵀ
            Kernels.gemm(false, true, batch * n, k, p, 1f, g, 0, p, bv, 0, p, 1f, gradOf(0), 0, k);
          }
          if (needs(1)) { // B̄[k, p] += A[B·n, k]ᵀ·G[B·n, p]
            Kernels.gemm(true, false, k, p, batch * n, 1f, av, 0, k, g, 0, p, 1f, gradOf(1), 0, p);
          }
          return;
        }
        float[] ga = needs(0) ? gradOf(0) : null;
        float[] gb = needs(1) ? gradOf(1) : null;
        for (int e = 0; e < batch; e++) {
          if (ga != null) { // Ā_e += G_e·B_eᵀ
            Kernels.gemm(false, true, n, k, p, 1f, g, e * sy, p, bv, e * sb, p, 1f, ga, e * sa, k);
          }
          if (gb != null) { // B̄_e += A_eᵀ·G_e
            Kernels.gemm(true, false, k, p, n, 1f, av, e * sa, k, g, e * sy, p, 1f, gb, e * sb, p);
          }
        }
      }
    });
  }

  /**
   * Lower triangle (diagonal included) of the last two axes, zeros above; the gradient passes on
   * the lower triangle only. Lets a free matrix parametrise a triangular factor.
   */
  public static Tensor tril(Tensor x) {
    int rank = x.shape.length;
    if (rank < 2) {
      throw new IllegalArgumentException("tril: " + Shapes.str(x.shape) + ": needs at least 2 dimensions");
    }
    int r = x.shape[rank - 2];
    int c = x.shape[rank - 1];
    int batch = Shapes.size(leading(x.shape));
    float[] xv = x.data;
    float[] y = new float[xv.length];
    for (int e = 0; e < batch; e++) {
      for (int i = 0; i < r; i++) {
        int row = (e * r + i) * c;
        System.arraycopy(xv, row, y, row, Math.min(i + 1, c));
      }
    }
    Tensor out = Tape.result("tril", x.shape.clone(), y, x);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("tril", x) {
      @Override
      protected void backward(float[] g) {
        float[] gx = gradOf(0);
        for (int e = 0; e < batch; e++) {
          for (int i = 0; i < r; i++) {
            int row = (e * r + i) * c;
            for (int j = 0, end = Math.min(i + 1, c); j < end; j++) {
              gx[row + j] += g[row + j];
            }
          }
        }
      }
    });
  }

  // ========================================================================== Cholesky

  /**
   * Lower Cholesky factors {@code L} with {@code A = L·Lᵀ} of a batch {@code [..., m, m]} of SPD
   * matrices. Only the lower triangle (diagonal included) of each matrix is read; the strict upper
   * triangle of {@code L} is 0. Computed in double by {@link SpdBatch#cholesky}.
   *
   * <p>Backward (Murray 2016, "Differentiation of the Cholesky decomposition", unblocked form,
   * symmetric convention of the class comment): with {@code P = Lᵀ·L̄} and {@code Φ(P)} its lower
   * triangle with the diagonal halved, {@code Ā = L⁻ᵀ·S·L⁻¹} where {@code S = ½(Φ(P) + Φ(P)ᵀ)},
   * computed as one GEMM and two triangular solves per matrix ({@code Y = L⁻ᵀS}, {@code Ā = (YL⁻¹)
   * = L⁻ᵀYᵀ}); the upper triangle of {@code L̄} does not enter ({@code tril(Lᵀ·triu(L̄, 1)) = 0}).
   * Ā is stored exactly symmetric.
   *
   * @throws org.vssf.linalg.NotPositiveDefiniteException if a matrix is not numerically positive
   *     definite (or has NaN/Inf in its lower triangle); the matrix is named by the tensor's
   *     {@link Tensor#named name}, or {@code "cholesky input"}, with its batch index and pivot
   */
  public static Tensor cholesky(Tensor a) {
    int m = squareSize("cholesky", "input", a.shape);
    int batch = Shapes.size(leading(a.shape));
    float[] l = new float[a.data.length];
    if (batch > 0 && m > 0) {
      SpdBatch.cholesky(a.name != null ? a.name : "cholesky input", batch, m, a.data, 0, l, 0);
    }
    Tensor out = Tape.result("cholesky", a.shape.clone(), l, a);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("cholesky", a) {
      @Override
      protected void backward(float[] g) {
        if (batch > 0 && m > 0) {
          choleskyBackward(batch, m, l, g, gradOf(0));
        }
      }
    });
  }

  /** Accumulates {@code Ā = L⁻ᵀ·½(Φ(LᵀL̄) + Φ(LᵀL̄)ᵀ)·L⁻¹}, symmetrised, into {@code ga}. */
  private static void choleskyBackward(int batch, int m, float[] l, float[] gl, float[] ga) {
    int mm = m * m;
    float[] w = new float[batch * mm];
    for (int e = 0; e < batch; e++) {
      int o = e * mm;
      Kernels.gemm(true, false, m, m, m, 1f, l, o, m, gl, o, m, 0f, w, o, m); // P = Lᵀ·L̄
      for (int i = 0; i < m; i++) { // S = ½(Φ(P) + Φ(P)ᵀ) from the lower triangle of P
        for (int j = 0; j < i; j++) {
          float s = 0.5f * w[o + i * m + j];
          w[o + i * m + j] = s;
          w[o + j * m + i] = s;
        }
        w[o + i * m + i] *= 0.5f;
      }
    }
    SpdBatch.solveTriangular(batch, m, m, true, true, l, 0, w, 0, w, 0); // Y = L⁻ᵀ·S
    for (int e = 0; e < batch; e++) {
      transposeInPlace(w, e * mm, m);
    }
    SpdBatch.solveTriangular(batch, m, m, true, true, l, 0, w, 0, w, 0); // Ā = L⁻ᵀ·Yᵀ = Y·L⁻¹
    addSymmetrised(batch, m, 1f, w, ga);
  }

  /**
   * {@code log det(L·Lᵀ) = 2·Σ_i log L_ii} for each lower factor of a batch {@code [..., m, m]};
   * the output has the batch shape {@code [...]}. Only the diagonal is read (not checked: a zero
   * entry gives −∞, a negative one NaN, as {@code log}).
   *
   * <p>Backward: {@code L̄_ii = 2·ḡ / L_ii}, zero off the diagonal.
   */
  public static Tensor logDetFromCholesky(Tensor l) {
    int m = squareSize("logDetFromCholesky", "input", l.shape);
    int[] lead = leading(l.shape);
    int batch = Shapes.size(lead);
    float[] lv = l.data;
    float[] y = new float[batch];
    if (batch > 0 && m > 0) {
      SpdBatch.logDetFromCholesky(batch, m, lv, 0, y, 0);
    }
    Tensor out = Tape.result("logDetFromCholesky", lead, y, l);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node("logDetFromCholesky", l) {
      @Override
      protected void backward(float[] g) {
        float[] gl = gradOf(0);
        for (int e = 0; e < batch; e++) {
          float ge = 2f * g[e];
          for (int i = 0, d = e * m * m; i < m; i++, d += m + 1) {
            gl[d] += ge / lv[d];
          }
        }
      }
    });
  }

  // ============================================================================ solves

  /**
   * Solves {@code op(T)·X = B} for triangular {@code T [..., m, m]} (lower when {@code lower},
   * otherwise upper) and {@code B [..., m, k]} with the same batch axes; {@code op(T) = Tᵀ} when
   * {@code transpose}. Only the named triangle of {@code T} (diagonal included) is read, so the
   * other triangle gets a zero gradient. Computed in double by {@link SpdBatch#solveTriangular}.
   *
   * <p>Backward: {@code B̄ = op(T)⁻ᵀ·G} (the same solve with the transpose flag flipped), then
   * {@code op(T)‾ = −B̄·Xᵀ}, i.e. {@code T̄ = −B̄·Xᵀ} or, transposed, {@code T̄ = −X·B̄ᵀ}, masked to
   * the triangle read.
   *
   * @throws org.vssf.linalg.SingularMatrixException (matrix {@code "t"}) for a zero or non-finite
   *     diagonal entry of T
   */
  public static Tensor solveTriangular(Tensor t, Tensor b, boolean lower, boolean transpose) {
    final String op = "solveTriangular";
    int m = squareSize(op, "triangular matrix", t.shape);
    int k = rhsSize(op, t.shape, b.shape, m);
    int batch = Shapes.size(leading(t.shape));
    float[] tv = t.data;
    float[] x = new float[b.data.length];
    boolean work = batch > 0 && m > 0 && k > 0;
    if (work) {
      SpdBatch.solveTriangular(batch, m, k, lower, transpose, tv, 0, b.data, 0, x, 0);
    }
    Tensor out = Tape.result(op, b.shape.clone(), x, t, b);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node(op, t, b) {
      @Override
      protected void backward(float[] g) {
        if (!work) {
          return;
        }
        float[] gb = new float[g.length]; // B̄ = op(T)⁻ᵀ·G
        SpdBatch.solveTriangular(batch, m, k, lower, !transpose, tv, 0, g, 0, gb, 0);
        if (needs(0)) {
          float[] gt = gradOf(0);
          float[] w = new float[m * m];
          int mm = m * m;
          int mk = m * k;
          for (int e = 0; e < batch; e++) {
            if (transpose) { // T̄ = −X·B̄ᵀ
              Kernels.gemm(false, true, m, m, k, 1f, x, e * mk, k, gb, e * mk, k, 0f, w, 0, m);
            } else { // T̄ = −B̄·Xᵀ
              Kernels.gemm(false, true, m, m, k, 1f, gb, e * mk, k, x, e * mk, k, 0f, w, 0, m);
            }
            for (int i = 0; i < m; i++) {
              int from = lower ? 0 : i;
              int to = lower ? i : m - 1;
              for (int j = from; j <= to; j++) {
                gt[e * mm + i * m + j] -= w[i * m + j];
              }
            }
          }
        }
        if (needs(1)) {
          Kernels.axpy(gb.length, 1f, gb, 0, gradOf(1), 0);
        }
      }
    });
  }

  /**
   * Solves {@code A·X = B} for SPD {@code A [..., m, m]} and {@code B [..., m, k]} with the same
   * batch axes, through the Cholesky factor of A (only its lower triangle is read), all in double
   * by {@link SpdBatch#spdSolve}. Equals {@code solveTriangular(L, solveTriangular(L, B, true,
   * false), true, true)} with {@code L = cholesky(A)}, gradient included, but never rounds the factor
   * to float and keeps only {@code X} for the backward pass.
   *
   * <p>Backward: {@code B̄ = A⁻¹·G} (A is factored again, in double), {@code Ā = −½(B̄·Xᵀ + X·B̄ᵀ)}
   * (the symmetric convention of the class comment, the same as {@link #cholesky}).
   *
   * @throws org.vssf.linalg.NotPositiveDefiniteException if a matrix is not numerically positive
   *     definite; named by the tensor's {@link Tensor#named name} or {@code "spdSolve input"}
   */
  public static Tensor spdSolve(Tensor a, Tensor b) {
    final String op = "spdSolve";
    int m = squareSize(op, "SPD matrix", a.shape);
    int k = rhsSize(op, a.shape, b.shape, m);
    int batch = Shapes.size(leading(a.shape));
    String name = a.name != null ? a.name : "spdSolve input";
    float[] av = a.data;
    float[] x = new float[b.data.length];
    boolean work = batch > 0 && m > 0 && k > 0;
    if (work) {
      SpdBatch.spdSolve(name, batch, m, k, av, 0, b.data, 0, x, 0);
    }
    Tensor out = Tape.result(op, b.shape.clone(), x, a, b);
    if (!out.requiresGrad) {
      return out;
    }
    return Tape.attach(out, new Node(op, a, b) {
      @Override
      protected void backward(float[] g) {
        if (!work) {
          return;
        }
        float[] gb = new float[g.length]; // B̄ = A⁻¹·G
        SpdBatch.spdSolve(name, batch, m, k, av, 0, g, 0, gb, 0);
        if (needs(0)) {
          int mm = m * m;
          int mk = m * k;
          float[] w = new float[batch * mm];
          for (int e = 0; e < batch; e++) { // W = B̄·Xᵀ
            Kernels.gemm(false, true, m, m, k, 1f, gb, e * mk, k, x, e * mk, k, 0f, w, e * mm, m);
          }
          addSymmetrised(batch, m, -1f, w, gradOf(0)); // Ā −= ½(W + Wᵀ)
        }
        if (needs(1)) {
          Kernels.axpy(gb.length, 1f, gb, 0, gradOf(1), 0);
        }
      }
    });
  }

  // ========================================================================= composites

  /**
   * Gaussian log-density in precision form, {@code log N(x; μ, Λ⁻¹)} with {@code Λ = L·Lᵀ} for
   * lower factors {@code lPrec [..., m, m]}:
   *
   * <pre>
   *   −½‖Lᵀ(x − μ)‖² + Σ_i log L_ii − (m/2)·log 2π
   * </pre>
   *
   * <p>{@code x} and {@code mean} broadcast to {@code [..., m]}, whose leading axes must equal the
   * batch axes of {@code lPrec}; the output has the batch shape {@code [...]}. Only the lower
   * triangle of {@code lPrec} is used (its upper triangle gets a zero gradient). A composite of
   * {@link #tril}, {@link #matmul}, {@link #logDetFromCholesky} and elementwise ops.
   */
  public static Tensor gaussianLogPdfPrecisionChol(Tensor x, Tensor mean, Tensor lPrec) {
    final String op = "gaussianLogPdfPrecisionChol";
    int m = squareSize(op, "precision factor", lPrec.shape);
    int[] lead = leading(lPrec.shape);
    Tensor d = Ops.sub(x, mean);
    int[] expect = Arrays.copyOf(lead, lead.length + 1);
    expect[lead.length] = m;
    if (!Arrays.equals(d.shape, expect)) {
      throw new IllegalArgumentException(op + ": x " + Shapes.str(x.shape) + ", mean "
          + Shapes.str(mean.shape) + ", lPrec " + Shapes.str(lPrec.shape) + ": x - mean must have shape "
          + Shapes.str(expect));
    }
    Tensor q = matmul(Ops.reshape(d, matrixShape(lead, 1, m)), tril(lPrec)); // (Lᵀ(x − μ))ᵀ
    Tensor quad = Ops.sum(Ops.square(q), new int[] {-2, -1}, false);
    Tensor halfLogDet = Ops.scale(logDetFromCholesky(lPrec), 0.5f);
    return Ops.addScalar(Ops.sub(halfLogDet, Ops.scale(quad, 0.5f)),
        (float) (-0.5 * m * Math.log(2 * Math.PI)));
  }

  // ============================================================================ helpers

  /** The leading (batch) axes of a shape of rank ≥ 2. */
  private static int[] leading(int[] shape) {
    return Arrays.copyOf(shape, shape.length - 2);
  }

  /** {@code lead + [r, c]}. */
  private static int[] matrixShape(int[] lead, int r, int c) {
    int[] s = Arrays.copyOf(lead, lead.length + 2);
    s[lead.length] = r;
    s[lead.length + 1] = c;
    return s;
  }

  /** The {@code m} of a {@code [..., m, m]} shape, or an error naming the op and shape. */
  private static int squareSize(String op, String what, int[] shape) {
    if (shape.length < 2) {
      throw new IllegalArgumentException(op + ": " + what + " " + Shapes.str(shape)
          + " needs at least 2 dimensions [..., m, m]");
    }
    int m = shape[shape.length - 1];
    if (shape[shape.length - 2] != m) {
      throw new IllegalArgumentException(op + ": " + what + " " + Shapes.str(shape) + " is not square");
    }
    return m;
  }

  /** The {@code k} of a right-hand side {@code [..., m, k]} matching {@code [..., m, m]}. */
  private static int rhsSize(String op, int[] ms, int[] bs, int m) {
    String sig = op + ": " + Shapes.str(ms) + " and " + Shapes.str(bs);
    if (bs.length != ms.length) {
      throw new IllegalArgumentException(sig + ": right-hand side must have rank " + ms.length
          + " [..., " + m + ", k]");
    }
    if (bs[bs.length - 2] != m) {
      throw new IllegalArgumentException(sig + ": right-hand side has " + bs[bs.length - 2]
          + " rows, not " + m);
    }
    if (!Arrays.equals(leading(ms), leading(bs))) {
      throw new IllegalArgumentException(sig + ": batch dimensions differ");
    }
    return bs[bs.length - 1];
  }

  /** {@code dst_e += src_eᵀ} for a batch of {@code r × c} matrices {@code src_e}. */

  private static void transposeInPlace(float[] w, int o, int m) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < i; j++) {
        float t = w[o + i * m + j];
        w[o + i * m + j] = w[o + j * m + i];
        w[o + j * m + i] = t;
      }
    }
  }

  /** {@code dst_e += s·½(W_e + W_eᵀ)} for a batch of {@code m × m} matrices. */
  private static void addSymmetrised(int batch, int m, float s, float[] w, float[] dst) {
    int mm = m * m;
    for (int e = 0; e < batch; e++) {
      int o = e * mm;
      for (int i = 0; i < m; i++) {
        dst[o + i * m + i] += s * w[o + i * m + i];
        for (int j = 0; j < i; j++) {
          float v = 0.5f * s * (w[o + i * m + j] + w[o + j * m + i]);
          dst[o + i * m + j] += v;
          dst[o + j * m + i] += v;
        }
      }
    }
  }
}
