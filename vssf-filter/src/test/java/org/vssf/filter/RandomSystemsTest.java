package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.oracle.KalmanReference;
import org.vssf.filter.oracle.LgssmCase;
import org.vssf.nn.Adam;
import org.vssf.nn.LearningRate;
import org.vssf.testing.SeededTest;

/** The filter on random stable systems against the independent Kalman filter; learning ψ. */
class RandomSystemsTest extends SeededTest {
  /** The model's inputs for a batch of cases with identical dynamics and sensors. */
  static final class Batch {
    LinearGaussianDynamics dynamics;
    List<Sensor> sensors = new ArrayList<>();
    List<Tensor> observations = new ArrayList<>();
    List<Tensor> masks = new ArrayList<>();
    Tensor controls;
  }

  static float[] flat(double[][] a) {
    int cols = a.length == 0 ? 0 : a[0].length;
    float[] f = new float[a.length * cols];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < cols; j++) {
        f[i * cols + j] = (float) a[i][j];
      }
    }
    return f;
  }

  /** Builds model inputs; all cases share the first case's system. */
  static Batch batch(List<LgssmCase> cases, float[] a, float[] b, boolean learn) {
    LgssmCase c0 = cases.get(0);
    int n = cases.size();
    int steps = c0.steps();
    int m = c0.m();
    int p = c0.p();
    Batch out = new Batch();
    out.dynamics = new LinearGaussianDynamics(m, p, flat(c0.sz()), a, b, flat(c0.sw()), learn, learn, false);
    float[] u = new float[n * (steps - 1) * p];
    for (int k = 0; k < n; k++) {
      for (int t = 0; t + 1 < steps; t++) {
        for (int i = 0; i < p; i++) {
          u[(k * (steps - 1) + t) * p + i] = (float) cases.get(k).u(t)[i];
        }
      }
    }
    out.controls = p == 0 ? null : Tensor.wrap(u, n, steps - 1, p);
    for (int j = 0; j < c0.sensorCount(); j++) {
      int d = c0.sensorDim(j);
      out.sensors.add(new LinearSensor(d, m, flat(c0.c(j)), flat(c0.r(j))));
      float[] x = new float[n * steps * d];
      float[] mask = new float[n * steps];
      for (int k = 0; k < n; k++) {
        for (int t = 0; t < steps; t++) {
          double[] v = cases.get(k).x(t, j);
          if (v != null) {
            mask[k * steps + t] = 1f;
            for (int i = 0; i < d; i++) {
              x[(k * steps + t) * d + i] = (float) v[i];
            }
          }
        }
      }
      out.observations.add(Tensor.wrap(x, n, steps, d));
      out.masks.add(Tensor.wrap(mask, n, steps));
    }
    return out;
  }

  @Test
  void filterMatchesTheKalmanFilterOnRandomStableSystems() {
    for (int m = 1; m <= 8; m++) {
      int p = m % 3;
      int[] dims = m % 2 == 0 ? new int[] {1 + m / 2, 1} : new int[] {m};
      LgssmCase c = LgssmCase.random(rng, m, p, dims, 12, 0.25);
      KalmanReference.Result ref = KalmanReference.run(c);
      Batch b = batch(List.of(c), flat(c.a()), flat(c.b()), false);
      try (Tape.Scope noGrad = Tape.noGrad()) {
        FilterResult r = InformationFilter.run(b.dynamics, b.sensors, b.observations, b.masks, b.controls);
        for (int t = 0; t < c.steps(); t++) {
          float[] mu = r.filteredMean(t).data();
          float[] cov = r.filteredCov(t).data();
          for (int i = 0; i < m; i++) {
            double sd = Math.sqrt(ref.filteredCov[t][i][i]);
            assertEquals(ref.filteredMean[t][i], mu[i], 1e-3 * (sd + Math.abs(ref.filteredMean[t][i])),
                "m=" + m + " t=" + t + " mean " + i + seedInfo());
            for (int k = 0; k < m; k++) {
              double s = Math.sqrt(ref.filteredCov[t][i][i] * ref.filteredCov[t][k][k]);
              assertEquals(ref.filteredCov[t][i][k], cov[i * m + k], 1e-3 * s,
                  "m=" + m + " t=" + t + " cov " + i + "," + k + seedInfo());
            }
          }
        }
      }
    }
  }

  @Test
  void learningDynamicsRecoversAandB() {
    // Data from a known 2-D system with a control and a full, fairly precise linear sensor; A
    // starts at I and B 30 % off. Maximising the ELBO (= the exact log-likelihood for linear
    // sensors) must recover A and B. Stated tolerance: every entry within 0.05 after 1000 steps
    // (the maximum-likelihood estimate itself is within ~0.02 of the truth for 2208 transitions).
    SplittableRandom data = new SplittableRandom(2024);
    LgssmCase drawn = LgssmCase.random(new SplittableRandom(77), 2, 1, new int[] {2}, 2, 0.0);
    // Keep its dynamics, observe the state directly and precisely (C = I, R = 0.01·I), so the
    // data identify A and B well.
    double[][] eye = {{1, 0}, {0, 1}};
    double[][] noise2 = {{0.01, 0}, {0, 0.01}};
    LgssmCase truth = new LgssmCase(drawn.a(), drawn.b(), drawn.sz(), drawn.sw(), new double[][][] {eye},
        new double[][][] {noise2}, drawn.u(), drawn.x(), null);
    List<LgssmCase> cases = new ArrayList<>();
    for (int k = 0; k < 96; k++) {
      cases.add(truth.simulate(data, 24, 0.0)); // same system, fresh trajectories
    }
    float[] a0 = {1f, 0f, 0f, 1f};
    float[] bTrue = flat(truth.b());
    float[] b0 = {1.3f * bTrue[0], 1.3f * bTrue[1]};
    Batch b = batch(cases, a0, b0, true);
    Adam adam = new Adam(List.of(new Adam.Group("psi", b.dynamics.namedParameters(), 0f)),
        LearningRate.exponentialDecay(3e-2f, 0.1, 1000, false), 0.9f, 0.999f, 1e-8f, 0f);
    SplittableRandom noise = new SplittableRandom(5);
    for (int step = 0; step < 1000; step++) {
      b.dynamics.zeroGrad();
      FilterResult r = InformationFilter.run(b.dynamics, b.sensors, b.observations, b.masks, b.controls);
      BackwardSampler.Samples s = BackwardSampler.sample(b.dynamics, r, b.controls, 1, noise);
      Elbo.compute(b.dynamics, b.sensors, b.observations, b.masks, b.controls, s, 1f).loss.backward();
      adam.update();
    }
    float[] a = b.dynamics.dynamicsMatrix().data();
    float[] aTrue = flat(truth.a());
    float[] bl = b.dynamics.controlMatrix().data();
    for (int i = 0; i < 4; i++) {
      assertTrue(Math.abs(a[i] - aTrue[i]) < 0.05, "A[" + i + "] = " + a[i] + ", true " + aTrue[i]);
    }
    for (int i = 0; i < 2; i++) {
      assertTrue(Math.abs(bl[i] - bTrue[i]) < 0.05, "B[" + i + "] = " + bl[i] + ", true " + bTrue[i]);
    }
  }
}
