package org.vssf.bench.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.vssf.bench.data.DataSetInfo;
import org.vssf.bench.env.Dynamics;

/**
 * What a run trains (written as {@code model.json}): image size and networks, the supervision
 * (which state components a linear sensor x = C z + v, v ~ N(0, 0.05·I) sees during training), ψ
 * fixed at the data's dynamics or learned (A from I, B from its true value), the model's process
 * noise Σw and the prior Σz; defaults from the reference setup.
 */
public final class ModelConfig {
  /** Format tag of {@code model.json}. */
  public static final String FORMAT = "vssf-model-1";

  public String environment;
  public int size;
  public int nf;
  public int m;
  public int p;
  /** none, partial or full. */
  public String supervision = "partial";
  /** fixed or learned. */
  public String dynamics = "fixed";
  public float initL;
  public float minCov;
  public float sigma = 2f;
  public float clipNorm;
  public float linearNoise = 0.05f;
  public float modelProcessNoise = 1e-3f;
  /** Spectral bound on a learned A (0 = none). */
  public float spectralBound;
  /** The image sensor carries a latent offset after its 10·tanh (for centring; see ImageSensor). */
  public boolean latentOffset;
  /** A, B of the data (row-major) and the prior Σz. */
  public double[] a;
  public double[] b;
  public double[] initialCov;

  /**
   * Defaults for a data set: pendulum init_L 0.01, min_cov 0.001, latent-gradient clip 5; the
   * camera scenes init_L 0.1, min_cov 0.005, no clip; nf 16 at 32×32 and 32 at 64×64.
   */
  public static ModelConfig forData(DataSetInfo info, String supervision, String dynamicsMode) {
    if (info.height() != info.width() || Integer.bitCount(info.height()) != 1 || info.height() < 16) {
      throw new IllegalArgumentException("images must be square with a power-of-two size >= 16, got "
          + info.height() + "x" + info.width());
    }
    Dynamics d = info.dynamics();
    if (d == null) {
      throw new IllegalArgumentException("the data set's dataset.json has no dynamics (A, B and the prior)");
    }
    ModelConfig c = new ModelConfig();
    c.environment = info.environment() == null ? "custom" : info.environment();
    c.size = info.height();
    c.nf = c.size <= 32 ? 16 : 32;
    c.m = info.stateDim();
    c.p = info.controlDim();
    c.supervision = choice("supervision", supervision, "none", "partial", "full");
    c.dynamics = choice("dynamics", dynamicsMode, "fixed", "learned");
    boolean pendulum = c.m == 2;
    c.initL = pendulum ? 0.01f : 0.1f;
    c.minCov = pendulum ? 0.001f : 0.005f;
    c.clipNorm = pendulum ? 5f : 0f;
    c.a = d.dynamicsMatrix();
    c.b = d.controlMatrix();
    c.initialCov = d.initialCov();
    return c;
  }

  static String choice(String what, String value, String... allowed) {
    String v = value == null ? "" : value.toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(v)) {
        return a;
      }
    }
    throw new IllegalArgumentException(what + " must be one of " + String.join(", ", allowed) + ", got '"
        + value + "'");
  }

  /**
   * State components that have a ground-truth meaning and are scored (MATH.md "What is measured"):
   * θ for the pendulum (m = 2), (x, y) otherwise.
   */
  public int[] measured() {
    return m == 2 ? new int[] {0} : new int[] {0, 1};
  }

  /** Components the linear sensor observes: none, the measured ones (partial), or all (full). */
  public int[] supervised() {
    switch (supervision) {
      case "none":
        return new int[0];
      case "partial":
        return measured();
      default:
        int[] all = new int[m];
        for (int i = 0; i < m; i++) {
          all[i] = i;
        }
        return all;
    }
  }

  /** The JSON object. */
  public Map<String, Object> toJson() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("format", FORMAT);
    o.put("environment", environment);
    o.put("image_size", (long) size);
    o.put("nf", (long) nf);
    o.put("latent_dim", (long) m);
    o.put("control_dim", (long) p);
    o.put("supervision", supervision);
    o.put("dynamics", dynamics);
    o.put("init_L", Runs.decimal(initL));
    o.put("min_cov", Runs.decimal(minCov));
    o.put("decoder_sigma", Runs.decimal(sigma));
    o.put("latent_grad_clip", Runs.decimal(clipNorm));
    o.put("linear_noise", Runs.decimal(linearNoise));
    o.put("model_process_noise", Runs.decimal(modelProcessNoise));
    o.put("spectral_bound", Runs.decimal(spectralBound));
    o.put("latent_offset", latentOffset);
    o.put("A", list(a));
    o.put("B", list(b));
    o.put("prior_cov", list(initialCov));
    return o;
  }

  /**
   * Reads {@code model.json}'s object.
   *
   * @throws IllegalArgumentException naming the missing or bad field
   */
  public static ModelConfig fromJson(Object json) {
    if (!(json instanceof Map)) {
      throw new IllegalArgumentException("model.json: not a JSON object");
    }
    Map<?, ?> o = (Map<?, ?>) json;
    if (!FORMAT.equals(o.get("format"))) {
      throw new IllegalArgumentException("model.json: format is " + o.get("format") + ", expected " + FORMAT);
    }
    ModelConfig c = new ModelConfig();
    c.environment = string(o, "environment");
    c.size = (int) number(o, "image_size");
    c.nf = (int) number(o, "nf");
    c.m = (int) number(o, "latent_dim");
    c.p = (int) number(o, "control_dim");
    c.supervision = choice("model.json: supervision", string(o, "supervision"), "none", "partial", "full");
    c.dynamics = choice("model.json: dynamics", string(o, "dynamics"), "fixed", "learned");
    c.initL = (float) number(o, "init_L");
    c.minCov = (float) number(o, "min_cov");
    c.sigma = (float) number(o, "decoder_sigma");
    c.clipNorm = (float) number(o, "latent_grad_clip");
    c.linearNoise = (float) number(o, "linear_noise");
    c.modelProcessNoise = (float) number(o, "model_process_noise");
    c.spectralBound = (float) number(o, "spectral_bound");
    // Absent in models written before the option existed: those have no offset.
    Object offset = o.containsKey("latent_offset") ? o.get("latent_offset") : Boolean.FALSE;
    if (!(offset instanceof Boolean)) {
      throw new IllegalArgumentException("model.json: field 'latent_offset' must be true or false");
    }
    c.latentOffset = (Boolean) offset;
    c.a = array(o, "A", c.m * c.m);
    c.b = array(o, "B", c.m * c.p);
    c.initialCov = array(o, "prior_cov", c.m * c.m);
    return c;
  }

  /** The values as a JSON list. */
  static List<Object> list(double[] v) {
    List<Object> l = new ArrayList<>();
    for (double x : v) {
      l.add(x);
    }
    return l;
  }

  private static String string(Map<?, ?> o, String key) {
    Object v = o.get(key);
    if (!(v instanceof String)) {
      throw new IllegalArgumentException("model.json: field '" + key + "' must be a string");
    }
    return (String) v;
  }

  private static double number(Map<?, ?> o, String key) {
    Object v = o.get(key);
    if (!(v instanceof Number) || !Double.isFinite(((Number) v).doubleValue())) {
      throw new IllegalArgumentException("model.json: field '" + key + "' must be a finite number");
    }
    return ((Number) v).doubleValue();
  }

  private static double[] array(Map<?, ?> o, String key, int n) {
    Object v = o.get(key);
    if (!(v instanceof List) || ((List<?>) v).size() != n) {
      throw new IllegalArgumentException("model.json: field '" + key + "' must be a list of " + n + " numbers");
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      Object x = ((List<?>) v).get(i);
      if (!(x instanceof Number)) {
        throw new IllegalArgumentException("model.json: field '" + key + "' must be a list of " + n + " numbers");
      }
      out[i] = ((Number) x).doubleValue();
    }
    return out;
  }
}
