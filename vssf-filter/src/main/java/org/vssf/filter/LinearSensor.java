package org.vssf.filter;

import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/**
 * Linear-Gaussian sensor {@code x = C z + v}, {@code v ~ N(0, Σx)}: exact contribution
 * {@code Λx = Cᵀ Σx⁻¹ C}, {@code ηx = Cᵀ Σx⁻¹ x} (through the Cholesky factor of Σx, no inverse)
 * and exact likelihood {@code log N(x; C z, Σx)}.
 */
public final class LinearSensor implements Sensor {
  private final int m;
  private final int d;
  private final Tensor emissionMatrix;
  private final Tensor emissionCovChol;
  private final Tensor whitenedEmission;

  /** A sensor with {@code C} ({@code d × m}, row-major) and {@code Σx} ({@code d × d}). */
  public LinearSensor(int d, int m, float[] emissionMatrix, float[] emissionCov) {
    if (d < 1 || m < 1 || emissionMatrix.length != d * m || emissionCov.length != d * d) {
      throw new IllegalArgumentException("LinearSensor: C must be " + d + "x" + m + " and Σx " + d + "x" + d
          + " (got " + emissionMatrix.length + " and " + emissionCov.length + " values)");
    }
    this.m = m;
    this.d = d;
    this.emissionMatrix = Tensor.of(emissionMatrix, d, m);
    this.emissionCovChol = LinalgOps.cholesky(Tensor.of(emissionCov, d, d).named("emissionCov"));
    this.whitenedEmission = LinalgOps.solveTriangular(emissionCovChol, this.emissionMatrix, true, false);
  }

  @Override
  public int latentSize() {
    return m;
  }

  /** Observation size d. */
  public int observationSize() {
    return d;
  }

  /** C, [d, m]. */
  public Tensor emissionMatrix() {
    return emissionMatrix;
  }

  @Override
  public Contribution contribution(Tensor x) {
    int[] s = checkObservations(x);
    // K = Lx⁻¹C: Λx = KᵀK, ηx = Kᵀ Lx⁻¹ x.
    Tensor k = whitenedEmission;
    Tensor precision = LinalgOps.matmul(Ops.transpose(k), k);
    Tensor cols = Ops.transpose(Ops.reshape(x, s[0] * s[1], d)); // [d, BT]
    Tensor white = LinalgOps.solveTriangular(emissionCovChol, cols, true, false);
    Tensor info = LinalgOps.matmul(Ops.transpose(k), white); // [m, BT]
    return new Contribution(precision, Ops.reshape(Ops.transpose(info), s[0], s[1], m));
  }

  @Override
  public Tensor logLikelihood(Tensor x, Tensor z) {
    int[] s = checkObservations(x);
    int bt = s[0] * s[1];
    Tensor pred = LinalgOps.matmul(Ops.reshape(z, bt, m), Ops.transpose(emissionMatrix)); // [BT, d]
    Tensor resid = Ops.sub(Ops.reshape(x, bt, d), pred);
    Tensor white = LinalgOps.solveTriangular(emissionCovChol, Ops.transpose(resid), true, false);
    Tensor quad = Ops.sum(Ops.square(white), new int[] {0}, false); // [BT]
    float constant = (float) (-0.5 * d * Math.log(2 * Math.PI));
    Tensor halfLogDet = Ops.scale(LinalgOps.logDetFromCholesky(emissionCovChol), 0.5f);
    Tensor ll = Ops.sub(Ops.addScalar(Ops.scale(quad, -0.5f), constant), halfLogDet);
    return Ops.reshape(ll, s[0], s[1]);
  }

  private int[] checkObservations(Tensor x) {
    int[] s = x.shape();
    if (s.length != 3 || s[2] != d) {
      throw new IllegalArgumentException("LinearSensor: observations must be [B, T, " + d + "], got "
          + java.util.Arrays.toString(s));
    }
    return s;
  }
}
