package org.vssf.bench.env;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vssf.filter.Lyapunov;
import org.vssf.nn.io.Json;

/**
 * The data-generating linear-Gaussian system with a linear feedback controller: {@code z_1 ~ N(0,
 * Σz)}, {@code u_t = K z_t + n_t}, {@code n_t ~ N(0, Σu)}, {@code z_{t+1} = A z_t + B u_t + w_t},
 * {@code w_t ~ N(0, Σ)}, where by default Σz is the stationary covariance of the closed loop, the
 * solution of {@code Σz = (A+BK) Σz (A+BK)ᵀ + B Σu Bᵀ + Σ} ({@link Lyapunov}).
 *
 * <p>Immutable and thread-safe. Matrices are row-major {@code double[]}: A {@code m×m}, B {@code
 * m×p}, K {@code p×m}, Σu {@code p×p}, Σ and Σz {@code m×m}. The JSON form (dynamics files and
 * {@code dataset.json}) is an object with the fields {@code "A"}, {@code "B"}, {@code "K"},
 * {@code "control_noise"} (Σu), {@code "process_noise"} (Σ) and {@code "prior"} (Σz), each a list
 * of rows; a covariance may also be a single number s, meaning s·I.
 */
public final class Dynamics {
  /** JSON field names, in the order they are written. */
  public static final List<String> FIELDS =
      List.of("A", "B", "K", "control_noise", "process_noise", "prior");

  private final int m;
  private final int p;
  private final double[] a;
  private final double[] b;
  private final double[] k;
  private final double[] controlNoiseCov;
  private final double[] processCov;
  private final double[] initialCov;
  private final double[] controlNoiseChol;
  private final double[] processChol;
  private final double[] initialChol;

  private Dynamics(int m, int p, double[] a, double[] b, double[] k, double[] controlNoiseCov,
      double[] processCov, double[] initialCov, String where) {
    this.m = m;
    this.p = p;
    this.a = a.clone();
    this.b = b.clone();
    this.k = k.clone();
    this.controlNoiseCov = controlNoiseCov.clone();
    this.processCov = processCov.clone();
    this.initialCov = initialCov.clone();
    this.controlNoiseChol = covarianceFactor(where, "control_noise", p, controlNoiseCov, false);
    this.processChol = covarianceFactor(where, "process_noise", m, processCov, false);
    this.initialChol = covarianceFactor(where, "prior", m, initialCov, true);
  }

  /**
   * A system from its matrices; {@code initialCov == null} means the stationary prior.
   *
   * @throws IllegalArgumentException if a size is wrong, a value is not finite, a covariance is not
   *     symmetric positive semi-definite (the prior: definite), or the prior is to be computed and
   *     the closed loop {@code A+BK} is not stable
   */
  public static Dynamics of(int m, int p, double[] a, double[] b, double[] k,
      double[] controlNoiseCov, double[] processCov, double[] initialCov) {
    String where = "dynamics";
    checkMatrix(where, "A", a, m, m);
    checkMatrix(where, "B", b, m, p);
    checkMatrix(where, "K", k, p, m);
    checkMatrix(where, "control_noise", controlNoiseCov, p, p);
    checkMatrix(where, "process_noise", processCov, m, m);
    if (initialCov != null) {
      checkMatrix(where, "prior", initialCov, m, m);
    }
    return create(where, m, p, a, b, k, controlNoiseCov, processCov, initialCov);
  }

  private static Dynamics create(String where, int m, int p, double[] a, double[] b, double[] k,
      double[] su, double[] sigma, double[] prior) {
    // check the noise matrices before Lyapunov, so an indefinite noise is named as such
    covarianceFactor(where, "control_noise", p, su, false);
    covarianceFactor(where, "process_noise", m, sigma, false);
    double[] z = prior != null ? prior : stationaryPrior(where, m, p, a, b, k, su, sigma);
    return new Dynamics(m, p, a, b, k, su, sigma, z, where);
  }

  /**
   * The pendulum of the reference setup: θ, θ̇ with {@code A = [[0.99, 0.2], [0, 0.998]]}, {@code
   * B = [[0.03], [0.3]]}, {@code K = [[-0.5, -0.05]]}, Σu = 0.5, Σ = 1e-4·I, stationary prior.
   */
  public static Dynamics pendulum() {
    return of(2, 1, new double[] {0.99, 0.2, 0, 0.998}, new double[] {0.03, 0.3},
        new double[] {-0.5, -0.05}, new double[] {0.5}, identity(2, 1e-4), null);
  }

  /**
   * The camera's double integrator of the reference setup: (x, y, ẋ, ẏ) with {@code A = [[0.98,
   * 0, 0.2, 0], [0, 0.98, 0, 0.2], [0, 0, 0.999, 0], [0, 0, 0, 0.999]]}, {@code B = [[0.05, 0],
   * [0, 0.05], [0.3, 0], [0, 0.3]]}, {@code K = [[-0.5, 0, -0.05, 0], [0, -0.5, 0, -0.05]]}, Σu =
   * I, Σ = 1e-3·I, stationary prior.
   */
  public static Dynamics blocks() {
    return of(4, 2,
        new double[] {0.98, 0, 0.2, 0, 0, 0.98, 0, 0.2, 0, 0, 0.999, 0, 0, 0, 0, 0.999},
        new double[] {0.05, 0, 0, 0.05, 0.3, 0, 0, 0.3},
        new double[] {-0.5, 0, -0.05, 0, 0, -0.5, 0, -0.05},
        identity(2, 1), identity(4, 1e-3), null);
  }

  /**
   * Σz solving {@code Σz = F Σz Fᵀ + B Σu Bᵀ + Σ} with {@code F = A + BK}.
   *
   * @throws IllegalArgumentException if F is not stable
   */
  public static double[] stationaryPrior(int m, int p, double[] a, double[] b, double[] k,
      double[] controlNoiseCov, double[] processCov) {
    return stationaryPrior("dynamics", m, p, a, b, k, controlNoiseCov, processCov);
  }

  private static double[] stationaryPrior(String where, int m, int p, double[] a, double[] b,
      double[] k, double[] su, double[] sigma) {
    double[] f = new double[m * m];
    double[] q = new double[m * m];
    double[] bsu = new double[m * p];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = a[i * m + j];
        for (int r = 0; r < p; r++) {
          s += b[i * p + r] * k[r * m + j];
        }
        f[i * m + j] = s;
      }
      for (int j = 0; j < p; j++) {
        double s = 0;
        for (int r = 0; r < p; r++) {
          s += b[i * p + r] * su[r * p + j];
        }
        bsu[i * p + j] = s;
      }
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = sigma[i * m + j];
        for (int r = 0; r < p; r++) {
          s += bsu[i * p + r] * b[j * p + r];
        }
        q[i * m + j] = s;
      }
    }
    try {
      return Lyapunov.solve(m, f, q);
    } catch (IllegalArgumentException unstable) {
      throw new IllegalArgumentException(where + ": the closed loop A+BK is not stable (spectral"
          + " radius >= 1), so there is no stationary prior; give \"prior\" explicitly or change"
          + " A, B or K");
    }
  }

  // ------------------------------------------------------------------------------------- JSON

  /**
   * Reads a dynamics file: a JSON object with any of {@link #FIELDS}; fields it leaves out keep
   * the values of {@code base}. The prior is recomputed (stationary) unless the file gives it.
   *
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException naming the file and the field when the content is invalid
   */
  public static Dynamics load(Path file, Dynamics base) throws IOException {
    String where = "dynamics file " + file;
    if (Files.isDirectory(file)) {
      throw new IOException(where + " is a directory");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(where + ": not UTF-8 text");
    }
    Object json;
    try {
      json = Json.parse(text);
    } catch (Json.SyntaxException e) {
      throw new IllegalArgumentException(where + ": invalid JSON: " + e.getMessage());
    }
    return fromJson(json, base, where);
  }

  /**
   * The system described by a parsed JSON object (see the class comment). With {@code base ==
   * null} the fields A, B, K, control_noise and process_noise are required; otherwise missing
   * fields come from {@code base} and the state dimension must stay {@code base}'s.
   *
   * @param where prefix of error messages, e.g. the file name
   * @throws IllegalArgumentException naming {@code where} and the offending field
   */
  public static Dynamics fromJson(Object json, Dynamics base, String where) {
    if (!(json instanceof Map)) {
      throw new IllegalArgumentException(where + ": expected a JSON object with the fields "
          + String.join(", ", FIELDS));
    }
    Map<?, ?> obj = (Map<?, ?>) json;
    for (Object key : obj.keySet()) {
      if (!FIELDS.contains(key)) {
        throw new IllegalArgumentException(where + ": unknown field " + Json.quote((String) key)
            + " (known: " + String.join(", ", FIELDS) + ")");
      }
    }
    if (base == null) {
      for (String f : FIELDS.subList(0, 5)) {
        if (!obj.containsKey(f)) {
          throw new IllegalArgumentException(where + ": missing field \"" + f + "\"");
        }
      }
    }
    // sizes: m from A (or base), p from B (or base)
    int m = base != null ? base.m : rows(where, "A", obj.get("A"));
    int p = obj.containsKey("B") ? cols(where, "B", obj.get("B"), m) : base.p;
    String dims = " (m = " + m + " states, p = " + p + " controls)";
    double[] a = obj.containsKey("A") ? matrix(where, "A", obj.get("A"), m, m, false, dims) : base.a;
    double[] b = obj.containsKey("B") ? matrix(where, "B", obj.get("B"), m, p, false, dims) : base.b;
    double[] k = field(where, "K", obj, base == null ? null : base.k, base != null && p != base.p,
        p, m, false, dims);
    double[] su = field(where, "control_noise", obj, base == null ? null : base.controlNoiseCov,
        base != null && p != base.p, p, p, true, dims);
    double[] sigma = obj.containsKey("process_noise")
        ? matrix(where, "process_noise", obj.get("process_noise"), m, m, true, dims)
        : base.processCov;
    double[] prior = null;
    if (obj.containsKey("prior")) {
      prior = matrix(where, "prior", obj.get("prior"), m, m, true, dims);
    } else if (base != null && obj.isEmpty()) {
      prior = base.initialCov; // nothing changed
    }
    return create(where, m, p, a, b, k, su, sigma, prior);
  }

  private static double[] field(String where, String name, Map<?, ?> obj, double[] fromBase,
      boolean baseSizeChanged, int rows, int cols, boolean covariance, String dims) {
    if (obj.containsKey(name)) {
      return matrix(where, name, obj.get(name), rows, cols, covariance, dims);
    }
    if (baseSizeChanged) {
      throw new IllegalArgumentException(where + ": \"B\" changes the number of controls to "
          + rows + ", so \"" + name + "\" must be given too" + dims);
    }
    return fromBase;
  }

  /** This system as a JSON object (see the class comment); the prior is written explicitly. */
  public Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("A", rowsOf(a, m, m));
    out.put("B", rowsOf(b, m, p));
    out.put("K", rowsOf(k, p, m));
    out.put("control_noise", rowsOf(controlNoiseCov, p, p));
    out.put("process_noise", rowsOf(processCov, m, m));
    out.put("prior", rowsOf(initialCov, m, m));
    return out;
  }

  private static List<Object> rowsOf(double[] x, int rows, int cols) {
    List<Object> out = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      List<Object> row = new ArrayList<>(cols);
      for (int j = 0; j < cols; j++) {
        row.add(x[i * cols + j]);
      }
      out.add(row);
    }
    return out;
  }

  private static int rows(String where, String name, Object v) {
    if (!(v instanceof List) || ((List<?>) v).isEmpty()) {
      throw new IllegalArgumentException(where + ": field \"" + name
          + "\" must be a non-empty list of rows, e.g. [[1, 0], [0, 1]]");
    }
    return ((List<?>) v).size();
  }

  private static int cols(String where, String name, Object v, int m) {
    rows(where, name, v);
    Object first = ((List<?>) v).get(0);
    if (!(first instanceof List) || ((List<?>) first).isEmpty()) {
      throw new IllegalArgumentException(where + ": field \"" + name
          + "\" must be a list of non-empty rows (an " + m + "xp matrix)");
    }
    return ((List<?>) first).size();
  }

  private static double[] matrix(String where, String name, Object v, int rows, int cols,
      boolean covariance, String dims) {
    String shape = rows + "x" + cols;
    if (covariance && v instanceof Number && rows == cols) {
      double s = ((Number) v).doubleValue();
      if (!(s >= 0) || !Double.isFinite(s)) {
        throw new IllegalArgumentException(where + ": field \"" + name
            + "\" must be a non-negative number (times the identity) or a matrix, got " + v);
      }
      return identity(rows, s);
    }
    if (!(v instanceof List)) {
      throw new IllegalArgumentException(where + ": field \"" + name + "\" must be a " + shape
          + " matrix (a list of " + rows + " rows)" + dims);
    }
    List<?> list = (List<?>) v;
    double[] out = new double[rows * cols];
    boolean ok = list.size() == rows;
    for (int i = 0; ok && i < rows; i++) {
      ok = list.get(i) instanceof List && ((List<?>) list.get(i)).size() == cols;
    }
    if (!ok) {
      throw new IllegalArgumentException(where + ": field \"" + name + "\" must be a " + shape
          + " matrix" + dims + ", got " + describeShape(list));
    }
    for (int i = 0; i < rows; i++) {
      List<?> row = (List<?>) list.get(i);
      for (int j = 0; j < cols; j++) {
        Object x = row.get(j);
        if (!(x instanceof Number)) {
          throw new IllegalArgumentException(where + ": field \"" + name + "\" [" + i + "][" + j
              + "] is not a number");
        }
        out[i * cols + j] = ((Number) x).doubleValue();
      }
    }
    checkMatrix(where, name, out, rows, cols);
    return out;
  }

  private static String describeShape(List<?> list) {
    StringBuilder sb = new StringBuilder().append(list.size()).append(" rows");
    if (!list.isEmpty()) {
      sb.append(" of lengths ");
      for (int i = 0; i < list.size() && i < 8; i++) {
        Object r = list.get(i);
        sb.append(i == 0 ? "" : ", ").append(r instanceof List ? String.valueOf(((List<?>) r).size())
            : "(not a list)");
      }
      if (list.size() > 8) {
        sb.append(", ...");
      }
    }
    return sb.toString();
  }

  private static void checkMatrix(String where, String name, double[] x, int rows, int cols) {
    if (rows < 1 || cols < 1 || x == null || x.length != rows * cols) {
      throw new IllegalArgumentException(where + ": field \"" + name + "\" must be a " + rows + "x"
          + cols + " matrix" + (x == null ? "" : " (" + x.length + " values given)"));
    }
    for (int i = 0; i < x.length; i++) {
      if (!Double.isFinite(x[i])) {
        throw new IllegalArgumentException(where + ": field \"" + name + "\" [" + (i / cols) + "]["
            + (i % cols) + "] is not finite");
      }
    }
  }

  private static double[] covarianceFactor(String where, String name, int n, double[] s,
      boolean definite) {
    double scale = 0;
    for (double v : s) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < i; j++) {
        if (Math.abs(s[i * n + j] - s[j * n + i]) > 1e-9 * scale) {
          throw new IllegalArgumentException(where + ": field \"" + name
              + "\" is not symmetric ([" + i + "][" + j + "] = " + s[i * n + j] + ", [" + j + "]["
              + i + "] = " + s[j * n + i] + ")");
        }
      }
    }
    double[] l = Gaussian.semidefiniteCholesky(n, s);
    if (l == null) {
      throw new IllegalArgumentException(where + ": field \"" + name
          + "\" is not a covariance matrix (not positive semi-definite)");
    }
    if (definite) {
      for (int i = 0; i < n; i++) {
        if (l[i * n + i] == 0) {
          throw new IllegalArgumentException(where + ": field \"" + name
              + "\" must be positive definite (it is singular)");
        }
      }
    }
    return l;
  }

  private static double[] identity(int n, double s) {
    double[] out = new double[n * n];
    for (int i = 0; i < n; i++) {
      out[i * n + i] = s;
    }
    return out;
  }

  // ------------------------------------------------------------------------------- simulation

  /**
   * Simulates one trajectory of {@code length ≥ 1} steps with draws from {@code rng} in a fixed
   * order (z_1, then per step u_t's noise and w_t). Writes {@code length·m} states to {@code
   * states[sOff..]} and {@code (length-1)·p} controls to {@code controls[cOff..]}, rounded to
   * float32; the simulation itself runs in double.
   */
  public void simulate(SplittableRandom rng, int length, float[] states, int sOff,
      float[] controls, int cOff) {
    if (length < 1) {
      throw new IllegalArgumentException("simulate: length must be >= 1, got " + length);
    }
    double[] z = new double[m];
    double[] zNext = new double[m];
    double[] u = new double[p];
    double[] eps = new double[Math.max(m, p)];
    Gaussian.addCorrelated(rng, m, initialChol, eps, z, 0);
    for (int t = 0; ; t++) {
      for (int i = 0; i < m; i++) {
        states[sOff + t * m + i] = (float) z[i];
      }
      if (t == length - 1) {
        return;
      }
      for (int r = 0; r < p; r++) {
        double s = 0;
        for (int j = 0; j < m; j++) {
          s += k[r * m + j] * z[j];
        }
        u[r] = s;
      }
      Gaussian.addCorrelated(rng, p, controlNoiseChol, eps, u, 0);
      for (int i = 0; i < m; i++) {
        double s = 0;
        for (int j = 0; j < m; j++) {
          s += a[i * m + j] * z[j];
        }
        for (int r = 0; r < p; r++) {
          s += b[i * p + r] * u[r];
        }
        zNext[i] = s;
      }
      Gaussian.addCorrelated(rng, m, processChol, eps, zNext, 0);
      for (int r = 0; r < p; r++) {
        controls[cOff + t * p + r] = (float) u[r];
      }
      double[] swap = z;
      z = zNext;
      zNext = swap;
    }
  }

  // -------------------------------------------------------------------------------- accessors

  /** State dimension m. */
  public int stateDim() {
    return m;
  }

  /** Control dimension p. */
  public int controlDim() {
    return p;
  }

  /** A, {@code m×m} row-major (a copy). */
  public double[] dynamicsMatrix() {
    return a.clone();
  }

  /** B, {@code m×p} row-major (a copy). */
  public double[] controlMatrix() {
    return b.clone();
  }

  /** K, {@code p×m} row-major (a copy). */
  public double[] feedbackGain() {
    return k.clone();
  }

  /** Σu, the covariance of the control noise, {@code p×p} (a copy). */
  public double[] controlNoiseCov() {
    return controlNoiseCov.clone();
  }

  /** Σ, the process noise covariance, {@code m×m} (a copy). */
  public double[] processCov() {
    return processCov.clone();
  }

  /** Σz, the covariance of the first state, {@code m×m} (a copy). */
  public double[] initialCov() {
    return initialCov.clone();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Dynamics)) {
      return false;
    }
    Dynamics d = (Dynamics) o;
    return m == d.m && p == d.p && Arrays.equals(a, d.a) && Arrays.equals(b, d.b)
        && Arrays.equals(k, d.k) && Arrays.equals(controlNoiseCov, d.controlNoiseCov)
        && Arrays.equals(processCov, d.processCov) && Arrays.equals(initialCov, d.initialCov);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(a) * 31 + Arrays.hashCode(initialCov);
  }

  @Override
  public String toString() {
    return "Dynamics" + Json.write(toJson());
  }
}
