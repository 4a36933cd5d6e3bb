package org.vssf.linalg;

/**
 * Thrown when a matrix that must be symmetric positive definite is not: a Cholesky pivot
 * {@code a_jj - Σ_k l_jk²} was ≤ 0 or not finite, or an input entry was NaN/Inf.
 *
 * <p>Carries the name of the matrix (as the caller knows it, e.g. {@code "processCov"}), the batch
 * index of the offending matrix, the pivot (row) index and the pivot value, so a failure in a
 * batch of thousands of small factorisations can be traced to one matrix.
 */
public final class NotPositiveDefiniteException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  private final String matrixName;
  private final int batchIndex;
  private final int pivot;
  private final double value;

  /**
   * @param matrixName name of the matrix as the caller knows it
   * @param batchIndex index of the matrix within its batch (0 when not batched)
   * @param pivot row/column index at which the factorisation failed
   * @param value the failing pivot value (≤ 0, NaN or infinite)
   */
  public NotPositiveDefiniteException(String matrixName, int batchIndex, int pivot, double value) {
    super(
        "matrix '"
            + matrixName
            + "' is not positive definite: batch index "
            + batchIndex
            + ", pivot "
            + pivot
            + ", value "
            + value
            + (Double.isNaN(value) || Double.isInfinite(value) ? " (non-finite input)" : ""));
    this.matrixName = matrixName;
    this.batchIndex = batchIndex;
    this.pivot = pivot;
    this.value = value;
  }

  /** Name of the matrix that failed. */
  public String matrixName() {
    return matrixName;
  }

  /** Index of the failing matrix within its batch. */
  public int batchIndex() {
    return batchIndex;
  }

  /** Row/column at which the factorisation failed. */
  public int pivot() {
    return pivot;
  }

  /** The failing pivot value (≤ 0, NaN or infinite). */
  public double value() {
    return value;
  }
}
