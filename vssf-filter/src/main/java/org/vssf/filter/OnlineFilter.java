package org.vssf.filter;

import java.util.List;
import org.vssf.linalg.NotPositiveDefiniteException;

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
    factor("filteredPrecision", nextLambda, chol);
    System.arraycopy(nextLambda, 0, lambda, 0, m * m);
    System.arraycopy(nextEta, 0, eta, 0, m);
    solveInPlace(chol, copyInto(eta, mean));
    started = true;
    steps++;
  }

  /** Prediction into {@code nextLambda}/{@code nextEta} from the current (Λ, η), which stay unchanged. */
  private void predict(float[] u) {
    factor("filteredPrecision", lambda, chol);
    solveInPlace(chol, copyInto(eta, mean)); // μ = Λ⁻¹η
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
    factor("predictedCov", work2, chol);
    solveInPlace(chol, nextEta);
    for (int col = 0; col < m; col++) {
      for (int r = 0; r < m; r++) {
        nextLambda[r * m + col] = r == col ? 1 : 0;
      }
      solveColumn(chol, nextLambda, col);
    }
  }

  private static double[] copyInto(double[] from, double[] to) {
    System.arraycopy(from, 0, to, 0, from.length);
    return to;
  }

  /** Lower Cholesky factor of the m×m SPD {@code s} into {@code l}; clear error when not SPD. */
  private void factor(String name, double[] s, double[] l) {
    for (int j = 0; j < m; j++) {
      double d = s[j * m + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * m + k] * l[j * m + k];
      }
      if (!(d > 0) || Double.isInfinite(d)) {
        throw new NotPositiveDefiniteException(name, 0, j, d);
      }
      double ljj = Math.sqrt(d);
      l[j * m + j] = ljj;
      for (int i = j + 1; i < m; i++) {
        double t = s[i * m + j];
        for (int k = 0; k < j; k++) {
          t -= l[i * m + k] * l[j * m + k];
        }
        l[i * m + j] = t / ljj;
      }
      for (int i = 0; i < j; i++) {
        l[i * m + j] = 0;
      }
    }
  }

  /** v ← (L Lᵀ)⁻¹ v. */
  private void solveInPlace(double[] l, double[] v) {
    for (int i = 0; i < m; i++) {
      double s = v[i];
      for (int k = 0; k < i; k++) {
        s -= l[i * m + k] * v[k];
      }
      v[i] = s / l[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
      double s = v[i];
      for (int k = i + 1; k < m; k++) {
        s -= l[k * m + i] * v[k];
      }
      v[i] = s / l[i * m + i];
    }
  }

  /** Column {@code col} of the row-major matrix x ← (L Lᵀ)⁻¹ x[:, col]. */
  private void solveColumn(double[] l, double[] x, int col) {
    for (int i = 0; i < m; i++) {
      double s = x[i * m + col];
      for (int k = 0; k < i; k++) {
        s -= l[i * m + k] * x[k * m + col];
      }
      x[i * m + col] = s / l[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
      double s = x[i * m + col];
      for (int k = i + 1; k < m; k++) {
        s -= l[k * m + i] * x[k * m + col];
      }
      x[i * m + col] = s / l[i * m + i];
    }
  }

  private void inverseSpd(String name, double[] s, double[] out) {
    double[] l = new double[m * m];
    factor(name, s, l);
    for (int col = 0; col < m; col++) {
      for (int r = 0; r < m; r++) {
        out[r * m + col] = r == col ? 1 : 0;
      }
      solveColumn(l, out, col);
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
    factor("filteredPrecision", lambda, chol);
    for (int col = 0; col < m; col++) {
      for (int r = 0; r < m; r++) {
        work[r * m + col] = r == col ? 1 : 0;
      }
      solveColumn(chol, work, col);
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
    factor("restored filteredPrecision", nextLambda, chol); // throws before anything changes
    System.arraycopy(nextLambda, 0, lambda, 0, m * m);
    System.arraycopy(state, m * m, eta, 0, m);
    started = wasStarted;
    solveInPlace(chol, copyInto(eta, mean));
  }
}
