package org.vssf.linalg;

/**
 * The float32 kernels that have a portable scalar form ({@link ScalarKernels}) and a
 * {@code jdk.incubator.vector} form ({@code org.vssf.linalg.simd.PanamaKernels}). Callers use the
 * validating facade {@link Kernels}; implementations assume valid arguments.
 *
 * <p>All arrays are row-major with offsets; "accumulates" means the result is added ({@code +=})
 * to the output, as autodiff backward passes need.
 */
public interface KernelSupport {
  /** Short name for logs and benchmark output, e.g. {@code "scalar"} or {@code "panama-512"}. */
  String name();

  /**
   * {@code C += α·op(A)·op(B)} for an {@code m × n} block of C, {@code op(A)} being {@code m × k}
   * and {@code op(B)} {@code k × n}. Per element the sum over k is formed in a fixed order that does
   * not depend on where the element lies in C, so splitting C into blocks (for threads) does not
   * change any result bit. Uses thread-local packing buffers; allocates nothing once warm.
   */
  void gemmAccumulate(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc);

  /**
   * {@code C = α·op(A)·op(B)} for an {@code m × n} block of C (k ≥ 1): {@link #gemmAccumulate}
   * without reading C first, so C need not be cleared (and NaN in C does not propagate). Each
   * element is {@code α·s₁ (+ α·s₂ …)} where {@code s₁, s₂, …} are the same partial sums over k
   * as in {@link #gemmAccumulate}, independent of where the element lies in C.
   */
  void gemmOverwrite(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc);

  /** {@code Σ_i x_i·y_i}. */
  float dot(int n, float[] x, int xOff, float[] y, int yOff);

  /** {@code Σ_i x_i}. */
  float sum(int n, float[] x, int xOff);

  /**
   * {@code Σ_i x_i} accumulated in double (statistics such as batch-norm means). The order of the
   * additions is fixed by the implementation and {@code n}.
   */
  double sumAsDouble(int n, float[] x, int xOff);

  /** {@code Σ_i (x_i − mean)²} accumulated in double. */
  double squaredDeviationsAsDouble(int n, float[] x, int xOff, double mean);

  /** {@code Σ_i x_i·y_i} accumulated in double (each product is exact in double). */
  double dotAsDouble(int n, float[] x, int xOff, float[] y, int yOff);

  /**
   * {@code Σ_i x_i} over doubles (the fused posterior's sums over samples). The order of the
   * additions is fixed by the implementation and {@code n}.
   */
  double sum(int n, double[] x, int xOff);

  /** {@code Σ_i x_i·y_i} over doubles, in an order fixed by the implementation and {@code n}. */
  double dot(int n, double[] x, int xOff, double[] y, int yOff);

  /** {@code Σ_i w_i·x_i·y_i} over doubles, in an order fixed by the implementation and {@code n}. */
  double dot(int n, double[] w, int wOff, double[] x, int xOff, double[] y, int yOff);

  /**
   * Writes {@code blocks·32} standard normal draws to {@code out[off …]} and advances {@code state}
   * ({@code int[64]}): the generator {@link GaussianBlocks} specifies, bitwise the same in every
   * implementation.
   */
  void gaussianBlocks(int[] state, int blocks, float[] out, int off);

  /**
   * {@code out[outOff + i·ldo + j] += Σ_q x_i[q]·y_j[q]} over {@code q < n} for rows {@code i < a} of
   * {@code x} and {@code j < b} of {@code y} (the Gram block X Yᵀ of sample rows, as the fused
   * posterior's adjoint needs). Each element's sum is formed in an order fixed by the
   * implementation and {@code n}, whatever {@code a}, {@code b} and the element's position.
   */
  void gram(int n, double[][] x, int a, double[][] y, int b, double[] out, int outOff, int ldo);

  /** {@code y += α·x}. */
  void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff);

  /** {@code y = α·x} ({@code y} may be {@code x}). */
  void scale(int n, float alpha, float[] x, int xOff, float[] y, int yOff);

  /** {@code z = x ⊙ y} elementwise ({@code z} may alias {@code x} or {@code y}). */
  void mul(int n, float[] x, int xOff, float[] y, int yOff, float[] z, int zOff);

  /** {@code y = gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))} (tanh approximation). */
  void gelu(int n, float[] x, int xOff, float[] y, int yOff);

  /** Accumulates {@code dx += dy ⊙ gelu'(x)} for the tanh-approximated GELU. */
  void geluBackward(int n, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff);

  /** {@code y = tanh(x)}. */
  void tanh(int n, float[] x, int xOff, float[] y, int yOff);

  /** Accumulates {@code dx += dy ⊙ (1 − y²)} given {@code y = tanh(x)}. */
  void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff);

  /** {@code y = x > 0 ? x : slope·x} (NaN propagates). */
  void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff);

  /** Accumulates {@code dx += dy ⊙ (x > 0 ? 1 : slope)}. */
  void leakyReluBackward(
      int n, float slope, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff);

  /** {@code y = exp(x)}. */
  void exp(int n, float[] x, int xOff, float[] y, int yOff);

  /** {@code y = log(x)} (NaN for x &lt; 0, −∞ for 0). */
  void log(int n, float[] x, int xOff, float[] y, int yOff);
}
