package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.testing.MiniJson;

/**
 * The filter against the independently computed linear-Gaussian cases (double-precision Joseph
 * Kalman filter, RTS smoother, exact marginal log-likelihood; controls, two sensors, missing
 * observations): filtered moments (MATH.md identity 2), one-sample ELBO = exact log-likelihood
 * for every sample (identity 1), and backward samples' moments = RTS moments (identity 3).
 */
class ReferenceCasesTest {
  /** A case loaded into the model's shapes (batch 1). */
  static final class Case {
    LinearGaussianDynamics dynamics;
    List<Sensor> sensors = new ArrayList<>();
    List<Tensor> observations = new ArrayList<>();
    List<Tensor> masks = new ArrayList<>();
    Tensor controls;
    int m;
    int steps;
    Object expected;
  }

  static void flatten(Object v, List<Double> out) {
    if (v instanceof List) {
      for (Object o : (List<?>) v) {
        flatten(o, out);
      }
    } else {
      out.add(((Number) v).doubleValue());
    }
  }

  static float[] floats(Object v) {
    List<Double> d = new ArrayList<>();
    flatten(v, d);
    float[] f = new float[d.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = d.get(i).floatValue();
    }
    return f;
  }

  static double[] doubles(Object v) {
    List<Double> d = new ArrayList<>();
    flatten(v, d);
    return d.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static Case load(String name) {
    Object root = MiniJson.resource(ReferenceCasesTest.class, "/lgssm/" + name);
    Object in = MiniJson.at(root, "input");
    Case c = new Case();
    c.expected = MiniJson.at(root, "expected");
    float[] a = floats(MiniJson.at(in, "A"));
    c.m = (int) Math.round(Math.sqrt(a.length));
    float[] b = floats(MiniJson.at(in, "B"));
    int p = b.length / c.m;
    List<?> u = (List<?>) MiniJson.at(in, "u");
    c.dynamics = new LinearGaussianDynamics(c.m, p, floats(MiniJson.at(in, "Sz")), a, b,
        floats(MiniJson.at(in, "Sw")), false, false, false);
    c.controls = Tensor.wrap(floats(u), 1, u.size(), p);
    List<?> sensors = (List<?>) MiniJson.at(in, "sensors");
    List<?> xs = (List<?>) MiniJson.at(in, "x");
    for (int j = 0; j < sensors.size(); j++) {
      float[] cm = floats(MiniJson.at(sensors.get(j), "C"));
      int d = cm.length / c.m;
      c.sensors.add(new LinearSensor(d, c.m, cm, floats(MiniJson.at(sensors.get(j), "R"))));
      List<?> series = (List<?>) xs.get(j);
      c.steps = series.size();
      float[] obs = new float[c.steps * d];
      float[] mask = new float[c.steps];
      for (int t = 0; t < c.steps; t++) {
        if (series.get(t) != null) { // missing: placeholder 0, mask 0
          System.arraycopy(floats(series.get(t)), 0, obs, t * d, d);
          mask[t] = 1f;
        }
      }
      c.observations.add(Tensor.wrap(obs, 1, c.steps, d));
      c.masks.add(Tensor.wrap(mask, 1, c.steps));
    }
    return c;
  }

  @ParameterizedTest
  @ValueSource(strings = {"random-m3.json", "pendulum-like-1sensor-missing.json", "blocks-like-2sensors.json"})
  void filteredMomentsMatchTheKalmanFilter(String name) {
    Case c = load(name);
    FilterResult r;
    try (Tape.Scope ng = Tape.noGrad()) {
      r = InformationFilter.run(c.dynamics, c.sensors, c.observations, c.masks, c.controls);
    }
    double[] mean = doubles(MiniJson.at(c.expected, "filtered_mean"));
    double[] cov = doubles(MiniJson.at(c.expected, "filtered_cov"));
    int m = c.m;
    for (int t = 0; t < c.steps; t++) {
      float[] mu = r.filteredMean(t).data();
      float[] p = r.filteredCov(t).data();
      for (int i = 0; i < m; i++) {
        double scale = Math.sqrt(cov[(t * m + i) * m + i]);
        assertEquals(mean[t * m + i], mu[i], 2e-4 * (scale + Math.abs(mean[t * m + i])),
            name + " mean t=" + t + " i=" + i);
        for (int k = 0; k < m; k++) {
          double e = cov[(t * m + i) * m + k];
          double s = Math.sqrt(cov[(t * m + i) * m + i] * cov[(t * m + k) * m + k]);
          assertEquals(e, p[i * m + k], 2e-4 * s, name + " cov t=" + t + " (" + i + "," + k + ")");
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"random-m3.json", "pendulum-like-1sensor-missing.json", "blocks-like-2sensors.json"})
  void oneSampleElboEqualsTheExactLogLikelihood(String name) {
    Case c = load(name);
    double exact = ((Number) MiniJson.at(c.expected, "marginal_log_lik")).doubleValue();
    SplittableRandom noise = new SplittableRandom(17);
    try (Tape.Scope ng = Tape.noGrad()) {
      FilterResult r = InformationFilter.run(c.dynamics, c.sensors, c.observations, c.masks, c.controls);
      for (int rep = 0; rep < 20; rep++) { // every single sample, not just on average
        BackwardSampler.Samples s = BackwardSampler.sample(c.dynamics, r, c.controls, 1, noise);
        Elbo.Terms terms = Elbo.compute(c.dynamics, c.sensors, c.observations, c.masks, c.controls, s, 1f);
        assertEquals(exact, terms.elbo.item(), 2e-4 * Math.abs(exact) + 2e-3, name + " sample " + rep);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"random-m3.json", "pendulum-like-1sensor-missing.json", "blocks-like-2sensors.json"})
  void backwardSamplesMatchTheRtsSmoother(String name) {
    Case c = load(name);
    int n = 4000;
    double[] mean = doubles(MiniJson.at(c.expected, "smoothed_mean"));
    double[] cov = doubles(MiniJson.at(c.expected, "smoothed_cov"));
    int m = c.m;
    try (Tape.Scope ng = Tape.noGrad()) {
      FilterResult r = InformationFilter.run(c.dynamics, c.sensors, c.observations, c.masks, c.controls);
      BackwardSampler.Samples s = BackwardSampler.sample(c.dynamics, r, c.controls, n, new SplittableRandom(5));
      for (int t = 0; t < c.steps; t++) {
        float[] z = s.latent(t).data(); // [1, m, n]
        for (int i = 0; i < m; i++) {
          double avg = 0;
          for (int k = 0; k < n; k++) {
            avg += z[i * n + k] / (double) n;
          }
          double sd = Math.sqrt(cov[(t * m + i) * m + i]);
          // 4.5 standard errors: over ~100 checked means a false alarm has probability < 1e-3.
          assertEquals(mean[t * m + i], avg, 4.5 * sd / Math.sqrt(n), name + " smoothed mean t=" + t + " i=" + i);
          double var = 0;
          for (int k = 0; k < n; k++) {
            var += Math.pow(z[i * n + k] - avg, 2) / (n - 1);
          }
          // Standard error of a sample variance: σ²·√(2/(n−1)).
          assertEquals(sd * sd, var, 4.5 * sd * sd * Math.sqrt(2.0 / (n - 1)), name + " smoothed var t=" + t + " i=" + i);
        }
      }
    }
  }
}
