package org.vssf.linalg;

import org.ejml.data.FMatrixRMaj;

/**
 * Validating facade over the active {@link KernelSupport} (SIMD when loaded, scalar otherwise; see
 * {@link KernelProvider}). All arrays are row-major {@code float[]} with offsets and leading
 * dimensions, so EJML {@link FMatrixRMaj#data} can be passed directly. Every argument is checked
 * and errors name it.
 */
public final class Kernels {
  /**
   * Below this many multiply-adds ({@code m·n·k}) a GEMM runs on the calling thread: waking a worker
   * costs more than it saves (measured: 127³ ran 2.3× slower on two threads than on one).
   */
  static final long GEMM_PARALLEL_THRESHOLD = 256L * 256 * 256;

  private Kernels() {}

  /** The implementation in use. */
  public static KernelSupport support() {
    return KernelProvider.active();
  }

  // ---------------------------------------------------------------------------------- GEMM

  /**
   * {@code C = α·op(A)·op(B) + β·C} with {@code op(X) = X} or {@code Xᵀ}; {@code op(A)} is {@code m
   * × k}, {@code op(B)} is {@code k × n}, C is {@code m × n}. When {@code β = 0}, C is not read (NaN
   * in C does not propagate). Uses {@link Parallel#defaultParallelism()} threads for large
   * products; the result is bitwise identical for every thread count.
   */
  public static void gemm(
      boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    gemm(support(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
        Parallel.defaultParallelism());
  }

  /** As {@link #gemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float, float[], int, int)} with an explicit thread count. */
  public static void gemm(
      boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc, int parallelism) {
    gemm(support(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
        parallelism);
  }

  /** GEMM through a given implementation (tests and benchmarks compare implementations). */
  public static void gemm(
      KernelSupport impl, boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc, int parallelism) {
    final String op = "gemm";
    Checks.nonNegative(op, "m", m);
    Checks.nonNegative(op, "n", n);
    Checks.nonNegative(op, "k", k);
    Checks.positive(op, "parallelism", parallelism);
    if (transA) {
      Checks.matrix(op, "a", a, aOff, k, m, lda);
    } else {
      Checks.matrix(op, "a", a, aOff, m, k, lda);
    }
    if (transB) {
      Checks.matrix(op, "b", b, bOff, n, k, ldb);
    } else {
      Checks.matrix(op, "b", b, bOff, k, n, ldb);
    }
    Checks.matrix(op, "c", c, cOff, m, n, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    // C is written while A and B are read (β pass, packing): they must not share elements.
    long cEnd = cOff + (long) (m - 1) * ldc + n;
    if (c == a && overlaps(cOff, cEnd, aOff, aOff + (long) ((transA ? k : m) - 1) * lda + (transA ? m : k))) {
      throw new IllegalArgumentException(op + ": output 'c' overlaps input 'a' in the same array");
    }
    if (c == b && overlaps(cOff, cEnd, bOff, bOff + (long) ((transB ? n : k) - 1) * ldb + (transB ? k : n))) {
      throw new IllegalArgumentException(op + ": output 'c' overlaps input 'b' in the same array");
    }
    if (k == 0 || alpha == 0f) {
      scaleMatrix(impl, m, n, beta, c, cOff, ldc);
      return;
    }
    // β = 0: the kernels write C without reading it (no separate clearing pass).
    final boolean overwrite = beta == 0f;
    if (!overwrite) {
      scaleMatrix(impl, m, n, beta, c, cOff, ldc);
    }
    long work = (long) m * n * k;
    int threads = work < GEMM_PARALLEL_THRESHOLD ? 1 : parallelism;
    if (threads == 1) {
      block(impl, overwrite, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff,
          ldc);
      return;
    }
    // Split C along its longer side into fixed blocks, one per chunk. Each element's sum is formed
    // the same way whatever block holds it, so the result does not depend on the thread count.
    if (n >= m) {
      Parallel.forEachChunk(n, threads, (chunk, from, to) ->
          block(impl, overwrite, transA, transB, m, to - from, k, alpha, a, aOff, lda,
              b, transB ? bOff + from * ldb : bOff + from, ldb, c, cOff + from, ldc));
    } else {
      Parallel.forEachChunk(m, threads, (chunk, from, to) ->
          block(impl, overwrite, transA, transB, to - from, n, k, alpha,
              a, transA ? aOff + from : aOff + from * lda, lda, b, bOff, ldb,
              c, cOff + from * ldc, ldc));
    }
  }

  private static void block(KernelSupport impl, boolean overwrite, boolean transA, boolean transB,
      int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    if (overwrite) {
      impl.gemmOverwrite(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    } else {
      impl.gemmAccumulate(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
  }

  private static boolean overlaps(long from1, long to1, long from2, long to2) {
    return from1 < to2 && from2 < to1;
  }

  /** {@code C = A·B} for EJML matrices (C is reshaped), {@code α = 1, β = 0}. */
  public static FMatrixRMaj mult(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
    if (a.numCols != b.numRows) {
      throw new IllegalArgumentException("mult: [" + a.numRows + "," + a.numCols + "] x ["
          + b.numRows + "," + b.numCols + "]: inner dimensions differ");
    }
    if (c == null) {
      c = new FMatrixRMaj(a.numRows, b.numCols);
    } else {
      if (c == a || c == b) {
        throw new IllegalArgumentException("mult: output aliases an input");
      }
      c.reshape(a.numRows, b.numCols);
    }
    gemm(false, false, a.numRows, b.numCols, a.numCols, 1f, a.data, 0, a.numCols,
        b.data, 0, b.numCols, 0f, c.data, 0, c.numCols);
    return c;
  }

  /** {@code C = β·C} over an {@code m × n} block; {@code β = 0} writes zeros without reading C. */
  static void scaleMatrix(KernelSupport impl, int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0f) {
        java.util.Arrays.fill(c, row, row + n, 0f);
      } else {
        impl.scale(n, beta, c, row, c, row);
      }
    }
  }

  // ------------------------------------------------------------------- vectors and reductions

  /** {@code Σ_i x_i·y_i} over {@code n} elements. */
  public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
    Checks.nonNegative("dot", "n", n);
    Checks.vector("dot", "x", x, xOff, n);
    Checks.vector("dot", "y", y, yOff, n);
    return support().dot(n, x, xOff, y, yOff);
  }

  /** {@code Σ_i x_i}. */
  public static float sum(int n, float[] x, int xOff) {
    Checks.nonNegative("sum", "n", n);
    Checks.vector("sum", "x", x, xOff, n);
    return support().sum(n, x, xOff);
  }

  /** {@code Σ_i x_i} accumulated in double. */
  public static double sumAsDouble(int n, float[] x, int xOff) {
    Checks.nonNegative("sumAsDouble", "n", n);
    Checks.vector("sumAsDouble", "x", x, xOff, n);
    return support().sumAsDouble(n, x, xOff);
  }

  /** {@code Σ_i (x_i − mean)²} accumulated in double. */
  public static double squaredDeviationsAsDouble(int n, float[] x, int xOff, double mean) {
    Checks.nonNegative("squaredDeviationsAsDouble", "n", n);
    Checks.vector("squaredDeviationsAsDouble", "x", x, xOff, n);
    return support().squaredDeviationsAsDouble(n, x, xOff, mean);
  }

  /** {@code Σ_i x_i·y_i} accumulated in double. */
  public static double dotAsDouble(int n, float[] x, int xOff, float[] y, int yOff) {
    Checks.nonNegative("dotAsDouble", "n", n);
    Checks.vector("dotAsDouble", "x", x, xOff, n);
    Checks.vector("dotAsDouble", "y", y, yOff, n);
    return support().dotAsDouble(n, x, xOff, y, yOff);
  }

  /**
   * {@code blocks·32} standard normal draws into {@code out[off …]} from the generator state
   * ({@link GaussianBlocks}), advancing it; bitwise the same with or without SIMD.
   */
  public static void gaussianBlocks(int[] state, int blocks, float[] out, int off) {
    Checks.nonNegative("gaussianBlocks", "blocks", blocks);
    if (blocks > Integer.MAX_VALUE / GaussianBlocks.BLOCK) {
      throw new IllegalArgumentException("gaussianBlocks: " + blocks + " blocks exceed an array's length");
    }
    if (state == null || state.length != GaussianBlocks.STATE) {
      throw new IllegalArgumentException("gaussianBlocks: state must be an int[" + GaussianBlocks.STATE
          + "], got " + (state == null ? "null" : "int[" + state.length + "]"));
    }
    Checks.vector("gaussianBlocks", "out", out, off, blocks * GaussianBlocks.BLOCK);
    support().gaussianBlocks(state, blocks, out, off);
  }

  /** {@code y += α·x}. */
  public static void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    Checks.nonNegative("axpy", "n", n);
    Checks.vector("axpy", "x", x, xOff, n);
    Checks.vector("axpy", "y", y, yOff, n);
    support().axpy(n, alpha, x, xOff, y, yOff);
  }

  /** {@code y = α·x} ({@code y} may be {@code x}). */
  public static void scale(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    unary("scale", n, x, xOff, y, yOff);
    support().scale(n, alpha, x, xOff, y, yOff);
  }

  /** {@code z = x ⊙ y}. */
  public static void mul(int n, float[] x, int xOff, float[] y, int yOff, float[] z, int zOff) {
    check3("mul", n, "x", x, xOff, "y", y, yOff, "z", z, zOff);
    support().mul(n, x, xOff, y, yOff, z, zOff);
  }

  /**
   * Column sums of a {@code rows × cols} matrix: {@code out_j (+)= Σ_i a_ij} (the sum over rows;
   * e.g. a bias gradient). With {@code accumulate} the sums are added to {@code out}.
   */
  public static void columnSums(int rows, int cols, float[] a, int aOff, int lda,
      float[] out, int outOff, boolean accumulate) {
    Checks.nonNegative("columnSums", "rows", rows);
    Checks.nonNegative("columnSums", "cols", cols);
    Checks.matrix("columnSums", "a", a, aOff, rows, cols, lda);
    Checks.vector("columnSums", "out", out, outOff, cols);
    if (!accumulate) {
      java.util.Arrays.fill(out, outOff, outOff + cols, 0f);
    }
    KernelSupport s = support();
    for (int i = 0; i < rows; i++) {
      s.axpy(cols, 1f, a, aOff + i * lda, out, outOff);
    }
  }

  /**
   * Row sums of a {@code rows × cols} matrix: {@code out_i (+)= Σ_j a_ij} (the sum over columns).
   */
  public static void rowSums(int rows, int cols, float[] a, int aOff, int lda,
      float[] out, int outOff, boolean accumulate) {
    Checks.nonNegative("rowSums", "rows", rows);
    Checks.nonNegative("rowSums", "cols", cols);
    Checks.matrix("rowSums", "a", a, aOff, rows, cols, lda);
    Checks.vector("rowSums", "out", out, outOff, rows);
    KernelSupport s = support();
    for (int i = 0; i < rows; i++) {
      float v = s.sum(cols, a, aOff + i * lda);
      out[outOff + i] = accumulate ? out[outOff + i] + v : v;
    }
  }

  // ------------------------------------------------------------------------- activations

  /** {@code y = gelu(x)}, tanh approximation {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))}. */
  public static void gelu(int n, float[] x, int xOff, float[] y, int yOff) {
    unary("gelu", n, x, xOff, y, yOff);
    support().gelu(n, x, xOff, y, yOff);
  }

  /** {@code dx += dy ⊙ gelu'(x)}. */
  public static void geluBackward(int n, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    check3("geluBackward", n, "x", x, xOff, "dy", dy, dyOff, "dx", dx, dxOff);
    support().geluBackward(n, x, xOff, dy, dyOff, dx, dxOff);
  }

  /** {@code y = tanh(x)}. */
  public static void tanh(int n, float[] x, int xOff, float[] y, int yOff) {
    unary("tanh", n, x, xOff, y, yOff);
    support().tanh(n, x, xOff, y, yOff);
  }

  /** {@code dx += dy ⊙ (1 − y²)} with {@code y = tanh(x)}. */
  public static void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    check3("tanhBackward", n, "y", y, yOff, "dy", dy, dyOff, "dx", dx, dxOff);
    support().tanhBackward(n, y, yOff, dy, dyOff, dx, dxOff);
  }

  /** {@code y = x > 0 ? x : slope·x}. */
  public static void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff) {
    unary("leakyRelu", n, x, xOff, y, yOff);
    support().leakyRelu(n, slope, x, xOff, y, yOff);
  }

  /** {@code dx += dy ⊙ (x > 0 ? 1 : slope)}. */
  public static void leakyReluBackward(int n, float slope, float[] x, int xOff, float[] dy, int dyOff,
      float[] dx, int dxOff) {
    check3("leakyReluBackward", n, "x", x, xOff, "dy", dy, dyOff, "dx", dx, dxOff);
    support().leakyReluBackward(n, slope, x, xOff, dy, dyOff, dx, dxOff);
  }

  /** {@code y = exp(x)}. */
  public static void exp(int n, float[] x, int xOff, float[] y, int yOff) {
    unary("exp", n, x, xOff, y, yOff);
    support().exp(n, x, xOff, y, yOff);
  }

  /** {@code y = log(x)}. */
  public static void log(int n, float[] x, int xOff, float[] y, int yOff) {
    unary("log", n, x, xOff, y, yOff);
    support().log(n, x, xOff, y, yOff);
  }

  private static void unary(String op, int n, float[] x, int xOff, float[] y, int yOff) {
    Checks.nonNegative(op, "n", n);
    Checks.vector(op, "x", x, xOff, n);
    Checks.vector(op, "y", y, yOff, n);
  }

  private static void check3(String op, int n, String xName, float[] x, int xOff,
      String yName, float[] y, int yOff, String zName, float[] z, int zOff) {
    Checks.nonNegative(op, "n", n);
    Checks.vector(op, xName, x, xOff, n);
    Checks.vector(op, yName, y, yOff, n);
    Checks.vector(op, zName, z, zOff, n);
  }
}
