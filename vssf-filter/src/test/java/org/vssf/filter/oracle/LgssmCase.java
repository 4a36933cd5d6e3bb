package org.vssf.filter.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vssf.testing.MiniJson;

/**
 * An immutable linear-Gaussian state-space case with controls, linear sensors and missing
 * observations: the model of MATH.md with every sensor linear.
 *
 * <pre>
 *   z_1     ~ N(0, Sz)
 *   z_{t+1} = A z_t + B u_t + w_t,     w_t ~ N(0, Sw)
 *   x_t^(j) = C_j z_t + v,             v   ~ N(0, R_j)    (sensor j present at step t)
 * </pre>
 *
 * <p>Conventions (time is 0-based in code; step {@code t} here is step {@code t+1} of MATH.md):
 *
 * <ul>
 *   <li>Shapes: {@code A} m×m, {@code B} m×p (p may be 0: rows of length 0), {@code Sz}, {@code Sw}
 *       m×m, {@code C_j} d_j×m, {@code R_j} d_j×d_j. Matrices are row-major {@code double[row][col]}.
 *   <li>Controls: {@code u(t)} (length p) drives the transition from step {@code t} to step
 *       {@code t+1}, i.e. {@code z[t+1] = A z[t] + B u(t) + w}, for {@code t = 0 .. T−2}. A case
 *       holds T−1 controls (as the testdata files do); T controls are accepted too and the last one
 *       is then never used ({@link #controlCount()} tells which).
 *   <li>Observations: {@code x(t, j)} is sensor j's d_j-vector at step t, or {@code null} when that
 *       sensor is missing at that step (a missing sensor contributes nothing). Whole vectors are
 *       present or missing; a partially missing vector is not representable.
 *   <li>The testdata JSON stores observations sensor-major ({@code input.x[j][t]}, {@code null} for a
 *       missing vector); {@link #fromJson(Object)} transposes them to the time-major {@code x(t, j)}.
 * </ul>
 *
 * <p>Accessors return copies, so a test cannot change a case by accident.
 */
public final class LgssmCase {
  /** Names of the testdata cases under {@code /lgssm/} (without {@code .json}). */
  public static final List<String> TESTDATA = List.of(
      "blocks-like-2sensors", "pendulum-like-1sensor-missing", "random-m3");

  private final double[][] a;
  private final double[][] b;
  private final double[][] sz;
  private final double[][] sw;
  private final double[][][] c;
  private final double[][][] r;
  private final double[][] u;
  private final double[][][] x;
  private final double[][] latent;
  private final int m;
  private final int p;
  private final int steps;

  /**
   * A case from its parts (copied and checked).
   *
   * @param a m×m transition
   * @param b m×p control matrix (rows of length 0 when p = 0)
   * @param sz m×m prior covariance of z at step 0 (prior mean 0)
   * @param sw m×m process noise covariance
   * @param c {@code c[j]} is sensor j's d_j×m matrix
   * @param r {@code r[j]} is sensor j's d_j×d_j noise covariance
   * @param u controls, {@code u[t]} of length p, T−1 or T of them
   * @param x observations, {@code x[t][j]} of length d_j or {@code null} when missing
   * @param latent the true states {@code latent[t]} if known (simulated cases), else {@code null}
   */
  public LgssmCase(double[][] a, double[][] b, double[][] sz, double[][] sw, double[][][] c,
      double[][][] r, double[][] u, double[][][] x, double[][] latent) {
    this.m = a.length;
    this.steps = x.length;
    if (steps < 1) {
      throw new IllegalArgumentException("need at least one step");
    }
    if (b.length != m) {
      throw new IllegalArgumentException("B must have m = " + m + " rows, has " + b.length);
    }
    this.p = m == 0 ? 0 : b[0].length;
    checkShape("A", a, m, m);
    checkShape("B", b, m, p);
    checkShape("Sz", sz, m, m);
    checkShape("Sw", sw, m, m);
    if (c.length != r.length) {
      throw new IllegalArgumentException(c.length + " sensor matrices but " + r.length + " noise covariances");
    }
    for (int j = 0; j < c.length; j++) {
      int d = c[j].length;
      checkShape("C_" + j, c[j], d, m);
      checkShape("R_" + j, r[j], d, d);
    }
    if (u.length != steps - 1 && u.length != steps) {
      throw new IllegalArgumentException("need T−1 = " + (steps - 1) + " (or T) controls, got " + u.length);
    }
    for (int t = 0; t < u.length; t++) {
      if (u[t].length != p) {
        throw new IllegalArgumentException("u[" + t + "] has length " + u[t].length + ", p = " + p);
      }
    }
    for (int t = 0; t < steps; t++) {
      if (x[t].length != c.length) {
        throw new IllegalArgumentException("x[" + t + "] has " + x[t].length + " sensors, expected " + c.length);
      }
      for (int j = 0; j < c.length; j++) {
        if (x[t][j] != null && x[t][j].length != c[j].length) {
          throw new IllegalArgumentException("x[" + t + "][" + j + "] has length " + x[t][j].length
              + ", sensor dimension is " + c[j].length);
        }
      }
    }
    if (latent != null) {
      checkShape("latent", latent, steps, m);
    }
    this.a = Dense.copy(a);
    this.b = Dense.copy(b);
    this.sz = Dense.copy(sz);
    this.sw = Dense.copy(sw);
    this.c = Dense.copy(c);
    this.r = Dense.copy(r);
    this.u = Dense.copy(u);
    this.x = Dense.copy(x);
    this.latent = latent == null ? null : Dense.copy(latent);
  }

  private static void checkShape(String what, double[][] mat, int rows, int cols) {
    if (mat.length != rows) {
      throw new IllegalArgumentException(what + " must have " + rows + " rows, has " + mat.length);
    }
    for (double[] row : mat) {
      if (row.length != cols) {
        throw new IllegalArgumentException(what + " must have " + cols + " columns, a row has " + row.length);
      }
    }
  }

  /** State dimension m. */
  public int m() {
    return m;
  }

  /** Control dimension p (may be 0). */
  public int p() {
    return p;
  }

  /** Number of steps T. */
  public int steps() {
    return steps;
  }

  /** Number of sensors k. */
  public int sensorCount() {
    return c.length;
  }

  /** Dimension d_j of sensor j. */
  public int sensorDim(int j) {
    return c[j].length;
  }

  public double[][] a() {
    return Dense.copy(a);
  }

  public double[][] b() {
    return Dense.copy(b);
  }

  /** Prior covariance of z at step 0 (the prior mean is 0). */
  public double[][] sz() {
    return Dense.copy(sz);
  }

  /** Process noise covariance. */
  public double[][] sw() {
    return Dense.copy(sw);
  }

  /** Sensor j's observation matrix C_j (d_j×m). */
  public double[][] c(int j) {
    return Dense.copy(c[j]);
  }

  /** Sensor j's noise covariance R_j (d_j×d_j). */
  public double[][] r(int j) {
    return Dense.copy(r[j]);
  }

  /** How many controls the case holds: T−1, or T (the last is then unused). */
  public int controlCount() {
    return u.length;
  }

  /** Control u_t, used by {@code z[t+1] = A z[t] + B u_t + w}; {@code 0 ≤ t < controlCount()}. */
  public double[] u(int t) {
    return u[t].clone();
  }

  /** All controls, {@code [controlCount()][p]}. */
  public double[][] u() {
    return Dense.copy(u);
  }

  /** Sensor j's observation at step t, or {@code null} when missing. */
  public double[] x(int t, int j) {
    return x[t][j] == null ? null : x[t][j].clone();
  }

  /** All observations, {@code [T][k][d_j]} with {@code null} for missing vectors. */
  public double[][][] x() {
    double[][][] out = new double[steps][][];
    for (int t = 0; t < steps; t++) {
      out[t] = new double[c.length][];
      for (int j = 0; j < c.length; j++) {
        out[t][j] = x(t, j);
      }
    }
    return out;
  }

  /** Whether sensor j is observed at step t. */
  public boolean present(int t, int j) {
    return x[t][j] != null;
  }

  /** The simulated true states {@code [T][m]} of a {@link #random} case; {@code null} if unknown. */
  public double[][] latent() {
    return latent == null ? null : Dense.copy(latent);
  }

  /** Mean of the transition into step t+1 before noise: {@code A z + B u_t}. */
  double[] transitionMean(double[] z, int t) {
    return Dense.add(Dense.mul(a, z), Dense.mul(b, u[t]));
  }

  /**
   * {@code log p(z_{0..T−1} | u) = log N(z_0; 0, Sz) + Σ_t log N(z_{t+1}; A z_t + B u_t, Sw)} for a
   * trajectory {@code z[T][m]} (the ELBO's prior term, MATH.md).
   */
  public double logPrior(double[][] z) {
    double lp = Dense.logGaussian(z[0], new double[m], Dense.cholesky(sz));
    double[][] lw = Dense.cholesky(sw);
    for (int t = 0; t + 1 < steps; t++) {
      lp += Dense.logGaussian(z[t + 1], transitionMean(z[t], t), lw);
    }
    return lp;
  }

  /** {@code Σ_t Σ_{j present} log N(x_t^(j); C_j z_t, R_j)} for a trajectory {@code z[T][m]}. */
  public double logObservations(double[][] z) {
    double lp = 0;
    for (int j = 0; j < c.length; j++) {
      double[][] lr = Dense.cholesky(r[j]);
      for (int t = 0; t < steps; t++) {
        if (x[t][j] != null) {
          lp += Dense.logGaussian(x[t][j], Dense.mul(c[j], z[t]), lr);
        }
      }
    }
    return lp;
  }

  /** {@code log p(x, z | u) = logPrior(z) + logObservations(z)}. */
  public double logJoint(double[][] z) {
    return logPrior(z) + logObservations(z);
  }

  /** The same case with sensor j's observations at the listed steps removed (made missing). */
  public LgssmCase withMissing(int j, int... atSteps) {
    double[][][] nx = x();
    for (int t : atSteps) {
      nx[t][j] = null;
    }
    return new LgssmCase(a, b, sz, sw, c, r, u, nx, latent);
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /** A testdata case from the classpath, e.g. {@code resource("random-m3")} reads {@code /lgssm/random-m3.json}. */
  public static LgssmCase resource(String name) {
    return fromJson(MiniJson.resource(LgssmCase.class, "/lgssm/" + name + ".json"));
  }

  /**
   * A case from a parsed testdata document (the whole file, or just its {@code input} object):
   * {@code A, B, Sz, Sw} matrices, {@code sensors: [{C, R}, ...]}, {@code u: [T−1][p]} and
   * {@code x: [k][T]} with {@code null} for a missing vector. {@code u} may be absent when p = 0.
   */
  @SuppressWarnings("unchecked")
  public static LgssmCase fromJson(Object json) {
    Object in = json;
    if (json instanceof Map && ((Map<String, Object>) json).containsKey("input")) {
      in = MiniJson.at(json, "input");
    }
    double[][] a = matrix(MiniJson.at(in, "A"));
    double[][] b = matrix(MiniJson.at(in, "B"));
    double[][] sz = matrix(MiniJson.at(in, "Sz"));
    double[][] sw = matrix(MiniJson.at(in, "Sw"));
    List<Object> sensors = (List<Object>) MiniJson.at(in, "sensors");
    int k = sensors.size();
    double[][][] c = new double[k][][];
    double[][][] r = new double[k][][];
    for (int j = 0; j < k; j++) {
      c[j] = matrix(MiniJson.at(sensors.get(j), "C"));
      r[j] = matrix(MiniJson.at(sensors.get(j), "R"));
    }
    List<Object> xs = (List<Object>) MiniJson.at(in, "x");
    if (xs.size() != k) {
      throw new IllegalArgumentException("x has " + xs.size() + " sensors, sensors has " + k);
    }
    int steps = ((List<Object>) xs.get(0)).size();
    double[][][] x = new double[steps][k][];
    for (int j = 0; j < k; j++) {
      List<Object> series = (List<Object>) xs.get(j);
      if (series.size() != steps) {
        throw new IllegalArgumentException("sensor " + j + " has " + series.size() + " steps, sensor 0 has " + steps);
      }
      for (int t = 0; t < steps; t++) {
        x[t][j] = vectorOrNull(series.get(t), "x[" + j + "][" + t + "]");
      }
    }
    int p = a.length == 0 ? 0 : b[0].length;
    Object uJson = ((Map<String, Object>) in).get("u");
    double[][] u = uJson == null ? new double[0][] : matrix(uJson);
    if (p == 0 && u.length == 0) {
      u = new double[steps - 1][0]; // no controls: u may be absent or []
    }
    return new LgssmCase(a, b, sz, sw, c, r, u, x, null);
  }

  private static double[][] matrix(Object json) {
    List<?> rows = (List<?>) json;
    double[][] out = new double[rows.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = MiniJson.doubles(rows.get(i));
    }
    return out;
  }

  private static double[] vectorOrNull(Object json, String where) {
    if (json == null) {
      return null;
    }
    List<?> list = (List<?>) json;
    for (Object e : list) {
      if (e == null) {
        throw new IllegalArgumentException(where + ": partially missing vectors are not supported");
      }
    }
    return MiniJson.doubles(list);
  }

  // ---------------------------------------------------------------------------------------------
  // Random cases

  /**
   * A random stable system with simulated observations. {@code A = s·G/‖G‖₂} for a Gaussian G and
   * s uniform in [0.3, 0.95), so {@code ρ(A) ≤ ‖A‖₂ < 0.95}; {@code B}, {@code C_j} and the
   * controls are standard normal; the covariances are {@code Q diag(λ) Qᵀ} with Q a random
   * rotation and λ uniform in a range of ratio 10 (Sz: [0.5, 5], Sw: [0.05, 0.5],
   * R_j: [0.05, 0.5]), so each has condition number at most 10. The states z and observations x
   * are then simulated from the model; each sensor vector is dropped (made missing) independently
   * with probability {@code missingProb}. Draws come only from {@code rng}, in a fixed order.
   *
   * @param sensorDims d_j of each sensor (may be empty: no sensors)
   * @param steps T ≥ 1; the case gets T−1 controls
   */
  public static LgssmCase random(SplittableRandom rng, int m, int p, int[] sensorDims, int steps,
      double missingProb) {
    if (m < 1 || p < 0 || steps < 1 || !(missingProb >= 0 && missingProb <= 1)) {
      throw new IllegalArgumentException("bad arguments m=" + m + " p=" + p + " T=" + steps + " missing=" + missingProb);
    }
    double[][] g = gaussianMatrix(rng, m, m);
    double norm = Dense.spectralNorm(g);
    double s = 0.3 + 0.65 * rng.nextDouble();
    double[][] a = Dense.scale(s / norm, g);
    double[][] b = gaussianMatrix(rng, m, p);
    double[][] sz = randomSpd(rng, m, 0.5, 5);
    double[][] sw = randomSpd(rng, m, 0.05, 0.5);
    int k = sensorDims.length;
    double[][][] c = new double[k][][];
    double[][][] r = new double[k][][];
    for (int j = 0; j < k; j++) {
      c[j] = gaussianMatrix(rng, sensorDims[j], m);
      r[j] = randomSpd(rng, sensorDims[j], 0.05, 0.5);
    }
    return simulate(a, b, sz, sw, c, r, rng, steps, missingProb);
  }

  /**
   * The same system with new standard-normal controls and freshly simulated states and
   * observations (T steps, each sensor vector missing with probability {@code missingProb}).
   */
  public LgssmCase simulate(SplittableRandom rng, int steps, double missingProb) {
    double[][][] c = new double[sensorCount()][][];
    double[][][] r = new double[sensorCount()][][];
    for (int j = 0; j < c.length; j++) {
      c[j] = c(j);
      r[j] = r(j);
    }
    return simulate(a(), b(), sz(), sw(), c, r, rng, steps, missingProb);
  }

  private static LgssmCase simulate(double[][] a, double[][] b, double[][] sz, double[][] sw,
      double[][][] c, double[][][] r, SplittableRandom rng, int steps, double missingProb) {
    int m = a.length;
    int p = b.length == 0 ? 0 : b[0].length;
    int k = c.length;
    double[][] u = gaussianMatrix(rng, steps - 1, p);

    double[][] z = new double[steps][];
    double[][][] x = new double[steps][k][];
    double[][] lz = Dense.cholesky(sz);
    double[][] lw = Dense.cholesky(sw);
    z[0] = Dense.mul(lz, gaussianVector(rng, m));
    for (int t = 1; t < steps; t++) {
      double[] mean = Dense.add(Dense.mul(a, z[t - 1]), Dense.mul(b, u[t - 1]));
      z[t] = Dense.add(mean, Dense.mul(lw, gaussianVector(rng, m)));
    }
    for (int t = 0; t < steps; t++) {
      for (int j = 0; j < k; j++) {
        int d = c[j].length;
        double[] v = Dense.mul(Dense.cholesky(r[j]), gaussianVector(rng, d));
        double[] obs = Dense.add(Dense.mul(c[j], z[t]), v);
        x[t][j] = rng.nextDouble() < missingProb ? null : obs;
      }
    }
    return new LgssmCase(a, b, sz, sw, c, r, u, x, z);
  }

  /** A random symmetric positive definite n×n matrix {@code Q diag(λ) Qᵀ}, λ uniform in [lo, hi]. */
  static double[][] randomSpd(SplittableRandom rng, int n, double lo, double hi) {
    double[][] q = randomRotation(rng, n);
    double[] lambda = new double[n];
    for (int i = 0; i < n; i++) {
      lambda[i] = lo + (hi - lo) * rng.nextDouble();
    }
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double v = 0;
        for (int k = 0; k < n; k++) {
          v += q[i][k] * lambda[k] * q[j][k];
        }
        out[i][j] = v;
        out[j][i] = v;
      }
    }
    return out;
  }

  /** An orthogonal n×n matrix: Gram–Schmidt on the columns of a Gaussian matrix. */
  static double[][] randomRotation(SplittableRandom rng, int n) {
    List<double[]> cols = new ArrayList<>();
    while (cols.size() < n) {
      double[] v = gaussianVector(rng, n);
      for (double[] q : cols) {
        double d = Dense.dot(q, v);
        for (int i = 0; i < n; i++) {
          v[i] -= d * q[i];
        }
      }
      double len = Math.sqrt(Dense.dot(v, v));
      if (len < 1e-6) {
        continue; // nearly dependent draw: try again
      }
      for (int i = 0; i < n; i++) {
        v[i] /= len;
      }
      cols.add(v);
    }
    double[][] q = new double[n][n];
    for (int j = 0; j < n; j++) {
      for (int i = 0; i < n; i++) {
        q[i][j] = cols.get(j)[i];
      }
    }
    return q;
  }

  static double[][] gaussianMatrix(SplittableRandom rng, int rows, int cols) {
    double[][] out = new double[rows][];
    for (int i = 0; i < rows; i++) {
      out[i] = gaussianVector(rng, cols);
    }
    return out;
  }

  static double[] gaussianVector(SplittableRandom rng, int n) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = gaussian(rng);
    }
    return out;
  }

  /** One standard normal draw (Box–Muller; spelled out so draws do not depend on the JDK). */
  static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
