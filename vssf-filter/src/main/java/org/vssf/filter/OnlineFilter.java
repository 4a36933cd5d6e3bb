package org.vssf.filter;

import java.util.List;

/**
 * The deployment filter: a streaming information filter over a trained model, one step per call,
 * in double precision on preallocated workspaces: with linear sensors a step allocates nothing; an
 * {@link ImageSensor} (in evaluation mode) allocates its encoder's activations per frame.
 *
 * <pre>
 *   first step:  Λ = Σz⁻¹ + Σ_present Λx,                 η = Σ_present ηx(x)
 *   later steps: μ = Λ⁻¹η, P' = A Λ⁻¹ Aᵀ + Σw, μ' = Aμ + Bu, Λ = P'⁻¹ + Σ_present Λx,
 *                η = P'⁻¹μ' + Σ_present ηx(x)
 * </pre>
 *
 * Any subset of the model's sensors may be present at a step (none: a pure prediction). The
 * model's matrices are copied at construction, so the filter is independent of later training.
 * Not thread-safe: use one instance per thread (construction is cheap; the sensors are shared and
 * immutable).
 */
public final class OnlineFilter {
  private final int m;
  private final int p;
  private final StreamingSensor[] sensors;
  private final double[] a;
  private final double[] b;
  private final double[] processCov;
  private final double[] priorPrecision;
  private final double[] lambda;
  private final double[] eta;
  private final double[] chol;
  private final double[] mean;
  private final double[] work;
  private final double[] work2;
  private final double[] nextLambda;
  private final double[] nextEta;
  private boolean started;
  private long steps;

  /** A filter for {@code dynamics} with the given sensors (order fixes the step() arguments). */
  public OnlineFilter(LinearGaussianDynamics dynamics, List<? extends StreamingSensor> sensors) {
    this.m = dynamics.latentSize();
    this.p = dynamics.controlSize();
    this.sensors = sensors.toArray(new StreamingSensor[0]);
    for (int j = 0; j < this.sensors.length; j++) {
      if (this.sensors[j] instanceof org.vssf.nn.Module && ((org.vssf.nn.Module) this.sensors[j]).isTraining()) {
        throw new IllegalArgumentException("OnlineFilter: sensor " + j + " is in training mode; call eval()"
            + " on it (batch norm must use its running statistics)");
      }
      if (this.sensors[j].latentSize() != m) {
        throw new IllegalArgumentException("OnlineFilter: sensor " + j + " has latent size "
            + this.sensors[j].latentSize() + ", the dynamics " + m);
      }
    }
    this.a = toDouble(dynamics.dynamicsMatrix().data());
    this.b = p == 0 ? new double[0] : toDouble(dynamics.controlMatrix().data());
    float[] sw;
    try (org.vssf.autodiff.Tape.Scope ng = org.vssf.autodiff.Tape.noGrad()) {
      sw = dynamics.processCov().data();
    }
    this.processCov = toDouble(sw);
    this.lambda = new double[m * m];
    this.eta = new double[m];
    this.chol = new double[m * m];
    this.mean = new double[m];
    this.work = new double[m * m];
    this.work2 = new double[m * m];
    this.nextLambda = new double[m * m];
    this.nextEta = new double[m];
    this.priorPrecision = new double[m * m];
    inverseSpd("initialCov", toDouble(dynamics.initialCov().data()), priorPrecision);
    reset();
  }

  private static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  /** Back to the prior, before the first observation. */
  public void reset() {
    System.arraycopy(priorPrecision, 0, lambda, 0, m * m);
    java.util.Arrays.fill(eta, 0);
    started = false;
    steps = 0;
  }

  /** Latent size m. */
  public int latentSize() {
    return m;
  }

  /** Steps taken since construction or {@link #reset()}. */
  public long steps() {
    return steps;
  }

  /**
   * One filter step.
   *
   * @param observations one entry per sensor (constructor order): the observation, or {@code null}
   *     when that sensor is absent at this step
   * @param control the control applied since the previous step ({@code u_{t−1}}, length p);
   *     ignored on the first step; may be {@code null} when p = 0
   */
  public void step(float[][] observations, float[] control) {
    // Validate everything first: a rejected step must leave the state as it was.
    if (observations.length != sensors.length) {
      throw new IllegalArgumentException("OnlineFilter.step: " + observations.length
          + " observation slots for " + sensors.length + " sensors");
    }
    if (started && p > 0) {
      if (control == null || control.length != p) {
        throw new IllegalArgumentException("OnlineFilter.step: control must have length " + p);
      }
      for (float v : control) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException("OnlineFilter.step: control contains " + v);
        }
      }
    }
    for (int j = 0; j < sensors.length; j++) {
      float[] x = observations[j];
      if (x != null) {
        if (x.length != sensors[j].observationSize()) {
          throw new IllegalArgumentException("OnlineFilter.step: observation of sensor " + j + " has length "
              + x.length + ", expected " + sensors[j].observationSize());
        }
        for (float v : x) {
          if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("OnlineFilter.step: observation of sensor " + j
                + " contains " + v + "; pass null for a missing observation");
          }
        }
      }
    }
    // Compute the new (Λ, η) into scratch arrays; commit only when its factorisation succeeds.
    if (started) {
      predict(control); // into nextLambda / nextEta
    } else {
      System.arraycopy(lambda, 0, nextLambda, 0, m * m);
      System.arraycopy(eta, 0, nextEta, 0, m);
    }
    for (int j = 0; j < sensors.length; j++) {
      if (observations[j] != null) {
        sensors[j].addContribution(observations[j], 0, nextLambda, nextEta);
      }
    }
    SmallDense.cholesky("filteredPrecision", 0, nextLambda, chol, m);
    System.arraycopy(nextLambda, 0, lambda, 0, m * m);
    System.arraycopy(nextEta, 0, eta, 0, m);
    SmallDense.solve(chol, copyInto(eta, mean), m);
    started = true;
    steps++;
  }

  /** Prediction into {@code nextLambda}/{@code nextEta} from the current (Λ, η), which stay unchanged. */
  private void predict(float[] u) {
    SmallDense.cholesky("filteredPrecision", 0, lambda, chol, m);
    SmallDense.solve(chol, copyInto(eta, mean), m); // μ = Λ⁻¹η
    // M = L⁻¹Aᵀ (columns: rows of A), then P' = MᵀM + Σw in work2
    for (int col = 0; col < m; col++) {
      for (int r = 0; r < m; r++) {
        double s = a[col * m + r];
        for (int q = 0; q < r; q++) {
          s -= chol[r * m + q] * work[q * m + col];
        }
        work[r * m + col] = s / chol[r * m + r];
      }
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j <= i; j++) {
        double s = processCov[i * m + j];
        for (int r = 0; r < m; r++) {
          s += work[r * m + i] * work[r * m + j];
        }
        work2[i * m + j] = s;
        work2[j * m + i] = s;
      }
    }
    // μ' = Aμ + Bu
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int k = 0; k < m; k++) {
        s += a[i * m + k] * mean[k];
      }
      for (int k = 0; k < p; k++) {
        s += b[i * p + k] * u[k];
      }
      nextEta[i] = s;
    }
    // Λ' = P'⁻¹ through its factor; η' = P'⁻¹ μ'
    SmallDense.cholesky("predictedCov", 0, work2, chol, m);
    SmallDense.solve(chol, nextEta, m);
    for (int col = 0; col < m; col++) {
      for (int r = 0; r < m; r++) {
        nextLambda[r * m + col] = r == col ? 1 : 0;
      }
      SmallDense.solveColumn(chol, nextLambda, col, m);
    }
  }

  private static double[] copyInto(double[] from, double[] to) {
    System.arraycopy(from, 0, to, 0, from.length);
    return to;
  }

  /** Lower Cholesky factor of the m×m SPD {@code s} into {@code l}; clear error when not SPD. */
  /** Column {@code col} of the row-major matrix x ← (L Lᵀ)⁻¹ x[:, col]. */
  private void inverseSpd(String name, double[] s, double[] out) {
    double[] l = new double[m * m];
    SmallDense.cholesky(name, 0, s, l, m);
    for (int col = 0; col < m; col++) {
      for (int r = 0; r < m; r++) {
        out[r * m + col] = r == col ? 1 : 0;
      }
      SmallDense.solveColumn(l, out, col, m);
    }
  }

  /** The filtered mean μ_{t|t} into {@code out[0..m)} (the prior mean 0 before the first step). */
  public void mean(float[] out) {
    for (int i = 0; i < m; i++) {
      out[i] = started ? (float) mean[i] : 0f;
    }
  }

  /** The filtered covariance P_{t|t} = Λ⁻¹ (row-major m×m) into {@code out}. */
  public void covariance(float[] out) {
    SmallDense.cholesky("filteredPrecision", 0, lambda, chol, m);
    for (int col = 0; col < m; col++) {
      for (int r = 0; r < m; r++) {
        work[r * m + col] = r == col ? 1 : 0;
      }
      SmallDense.solveColumn(chol, work, col, m);
    }
    for (int i = 0; i < m * m; i++) {
      out[i] = (float) work[i];
    }
  }

  /** A copy of the state (Λ, η, started), for {@link #restore}. */
  public double[] saveState() {
    double[] s = new double[m * m + m + 1];
    System.arraycopy(lambda, 0, s, 0, m * m);
    System.arraycopy(eta, 0, s, m * m, m);
    s[m * m + m] = started ? 1 : 0;
    return s;
  }

  /** Restores a state from {@link #saveState()} of a filter over the same model. */
  public void restore(double[] state) {
    if (state.length != m * m + m + 1) {
      throw new IllegalArgumentException("OnlineFilter.restore: state of length " + state.length
          + ", expected " + (m * m + m + 1) + " for m = " + m);
    }
    boolean wasStarted = state[m * m + m] != 0;
    System.arraycopy(state, 0, nextLambda, 0, m * m);
    SmallDense.cholesky("restored filteredPrecision", 0, nextLambda, chol, m); // throws before anything changes
    System.arraycopy(nextLambda, 0, lambda, 0, m * m);
    System.arraycopy(state, m * m, eta, 0, m);
    started = wasStarted;
    SmallDense.solve(chol, copyInto(eta, mean), m);
  }
}
