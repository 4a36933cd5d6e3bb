package org.vssf.filter;

import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/**
 * Linear-Gaussian sensor {@code x = C z + v}, {@code v ~ N(0, Σx)}: exact contribution
 * {@code Λx = Cᵀ Σx⁻¹ C}, {@code ηx = Cᵀ Σx⁻¹ x} (through the Cholesky factor of Σx, no inverse)
 * and exact likelihood {@code log N(x; C z, Σx)}.
 */
public final class LinearSensor implements Sensor, StreamingSensor {
  private final int m;
  private final int d;
  private final Tensor emissionMatrix;
  private final Tensor emissionCovChol;
  private final Tensor whitenedEmission;
  /** Cᵀ Σx⁻¹ C (m×m) and Cᵀ Σx⁻¹ (m×d) in double, for the allocation-free online contribution. */
  private final double[] onlinePrecision;
  private final double[] onlineGain;

  /** A sensor with {@code C} ({@code d × m}, row-major) and {@code Σx} ({@code d × d}). */
  public LinearSensor(int d, int m, float[] emissionMatrix, float[] emissionCov) {
    if (d < 1 || m < 1 || emissionMatrix.length != d * m || emissionCov.length != d * d) {
      throw new IllegalArgumentException("LinearSensor: C must be " + d + "x" + m + " and Σx " + d + "x" + d
          + " (got " + emissionMatrix.length + " and " + emissionCov.length + " values)");
    }
    for (float v : emissionMatrix) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("LinearSensor: emissionMatrix contains " + v);
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        float v = emissionCov[i * d + j];
        float w = emissionCov[j * d + i];
        if (!Float.isFinite(v) || Math.abs(v - w) > 1e-6f * (Math.abs(v) + Math.abs(w) + 1e-30f)) {
          throw new IllegalArgumentException("LinearSensor: emissionCov must be finite and symmetric;"
              + " entry (" + i + "," + j + ") is " + v + ", (" + j + "," + i + ") is " + w);
        }
      }
    }
    this.m = m;
    this.d = d;
    this.emissionMatrix = Tensor.of(emissionMatrix, d, m);
    this.emissionCovChol = LinalgOps.cholesky(Tensor.of(emissionCov, d, d).named("emissionCov"));
    this.whitenedEmission = LinalgOps.solveTriangular(emissionCovChol, this.emissionMatrix, true, false);
    // K = Lx⁻¹C; Λx = KᵀK; the gain Cᵀ Σx⁻¹ = Kᵀ Lx⁻¹.
    float[] k = whitenedEmission.data();
    float[] lx = emissionCovChol.data();
    this.onlinePrecision = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int r = 0; r < d; r++) {
          s += (double) k[r * m + i] * k[r * m + j];
        }
        onlinePrecision[i * m + j] = s;
      }
    }
    // rows of Lx⁻¹ by forward substitution on the identity, then gain = Kᵀ·Lx⁻¹
    double[] linv = new double[d * d];
    for (int col = 0; col < d; col++) {
      for (int r = 0; r < d; r++) {
        double s = r == col ? 1 : 0;
        for (int q = 0; q < r; q++) {
          s -= lx[r * d + q] * linv[q * d + col];
        }
        linv[r * d + col] = s / lx[r * d + r];
      }
    }
    this.onlineGain = new double[m * d];
    for (int i = 0; i < m; i++) {
      for (int col = 0; col < d; col++) {
        double s = 0;
        for (int r = 0; r < d; r++) {
          s += k[r * m + i] * linv[r * d + col];
        }
        onlineGain[i * d + col] = s;
      }
    }
  }

  @Override
  public void addContribution(float[] x, int off, double[] lambda, double[] eta) {
    for (int i = 0; i < m * m; i++) {
      lambda[i] += onlinePrecision[i];
    }
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int c = 0; c < d; c++) {
        s += onlineGain[i * d + c] * x[off + c];
      }
      eta[i] += s;
    }
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
  public Contribution contribution(Tensor x, Tensor mask) {
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
