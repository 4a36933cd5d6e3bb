package org.vssf.linalg;

/**
 * Thrown by the triangular solves of {@link SpdBatch} when a triangular matrix {@code T} is
 * singular or unusable: a diagonal entry {@code t_ii} is 0 or not finite, so {@code op(T)·X = B} has
 * no (finite) solution.
 *
 * <p>Carries the name of the matrix argument (e.g. {@code "t"} or {@code "l"}), the batch index of
 * the offending matrix, the row of the bad diagonal entry and its value. A negative diagonal is not
 * an error here (a triangular system with a negative pivot is well posed); an SPD factorisation that
 * fails throws {@link NotPositiveDefiniteException} instead.
 */
public final class SingularMatrixException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  private final String matrixName;
  private final int batchIndex;
  private final int row;
  private final double value;

  /**
   * @param matrixName name of the triangular matrix argument
   * @param batchIndex index of the matrix within its batch
   * @param row row (= column) of the bad diagonal entry
   * @param value the diagonal entry (0, NaN or infinite)
   */
  public SingularMatrixException(String matrixName, int batchIndex, int row, double value) {
    super("triangular matrix '" + matrixName + "' is singular: batch index " + batchIndex + ", row "
        + row + ", diagonal value " + value);
    this.matrixName = matrixName;
    this.batchIndex = batchIndex;
    this.row = row;
    this.value = value;
  }

  /** Name of the matrix argument that failed. */
  public String matrixName() {
    return matrixName;
  }

  /** Index of the failing matrix within its batch. */
  public int batchIndex() {
    return batchIndex;
  }

  /** Row (= column) of the bad diagonal entry. */
  public int row() {
    return row;
  }

  /** The bad diagonal entry (0, NaN or infinite). */
  public double value() {
    return value;
  }
}
