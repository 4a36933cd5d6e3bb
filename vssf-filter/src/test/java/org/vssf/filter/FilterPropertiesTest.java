package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.oracle.KalmanReference;
import org.vssf.filter.oracle.LgssmCase;
import org.vssf.testing.SeededTest;

/** Gradient identity, any-subset filtering, the Lyapunov solver and input validation. */
class FilterPropertiesTest extends SeededTest {
  /** Exact log p(X|u) in double (independent Kalman filter) with A, B, raw chol(Σw) replaced. */
  private static double exactLogLik(LgssmCase base, double[][] a, double[][] b, double[][] raw) {
    int m = raw.length;
    double[][] l = new double[m][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < i; j++) {
        l[i][j] = raw[i][j];
      }
      l[i][i] = Math.max(raw[i][i], 0) + Math.log1p(Math.exp(-Math.abs(raw[i][i]))); // softplus
    }
    double[][] sw = new double[m][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        for (int k = 0; k < m; k++) {
          sw[i][j] += l[i][k] * l[j][k];
        }
      }
    }
    double[][][] c = new double[base.sensorCount()][][];
    double[][][] r = new double[base.sensorCount()][][];
    for (int j = 0; j < c.length; j++) {
      c[j] = base.c(j);
      r[j] = base.r(j);
    }
    LgssmCase changed = new LgssmCase(a, b, base.sz(), sw, c, r, base.u(), base.x(), null);
    return KalmanReference.run(changed).logLik;
  }

  private static double[][] matrix(float[] v, int rows, int cols) {
    double[][] out = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[i][j] = v[i * cols + j];
      }
    }
    return out;
  }

  @Test
  void elboGradientIsTheExactLogLikelihoodGradient() {
    // MATH.md identity 1: with linear sensors a one-sample ELBO equals log p(X|u) for every
    // sample, so its gradient in ψ = (A, B, Σw) must equal the exact log-likelihood's gradient.
    // The oracle is central differences (h = 1e-6) of the independent double-precision Kalman
    // log-likelihood; the float32 analytic gradient must agree to 1e-3 of each matrix's largest.
    String name = "blocks-like-2sensors.json";
    ReferenceCasesTest.Case c = ReferenceCasesTest.load(name);
    LgssmCase base = LgssmCase.resource(name.replace(".json", ""));
    int m = c.m;
    LinearGaussianDynamics learned = new LinearGaussianDynamics(m, 2, c.dynamics.initialCov().data().clone(),
        c.dynamics.dynamicsMatrix().data().clone(), c.dynamics.controlMatrix().data().clone(),
        c.dynamics.processCov().data().clone(), true, true, true);
    FilterResult r = InformationFilter.run(learned, c.sensors, c.observations, c.masks, c.controls);
    BackwardSampler.Samples s = BackwardSampler.sample(learned, r, c.controls, 1, new SplittableRandom(3));
    Elbo.compute(learned, c.sensors, c.observations, c.masks, c.controls, s, 1f).loss.backward();
    java.util.List<Tensor> p = learned.parameters(); // A, B, raw chol(Σw)
    int[][] shapes = {{m, m}, {m, 2}, {m, m}};
    double[][][] point = new double[3][][];
    for (int k = 0; k < 3; k++) {
      point[k] = matrix(p.get(k).data(), shapes[k][0], shapes[k][1]);
    }
    for (int k = 0; k < 3; k++) {
      float[] analytic = p.get(k).grad();
      double[] numeric = new double[analytic.length];
      double max = 0;
      for (int e = 0; e < analytic.length; e++) {
        int i = e / shapes[k][1];
        int j = e % shapes[k][1];
        if (k == 2 && j > i) {
          continue; // above the diagonal: not part of the factor (gradient must be 0)
        }
        double h = 1e-6;
        double orig = point[k][i][j];
        point[k][i][j] = orig + h;
        double up = exactLogLik(base, point[0], point[1], point[2]);
        point[k][i][j] = orig - h;
        double down = exactLogLik(base, point[0], point[1], point[2]);
        point[k][i][j] = orig;
        numeric[e] = -(up - down) / (2 * h); // the loss is −ELBO
        max = Math.max(max, Math.abs(numeric[e]));
      }
      for (int e = 0; e < analytic.length; e++) {
        assertEquals(numeric[e], analytic[e], 1e-3 * max + 1e-6,
            "d loss / d " + new String[] {"A", "B", "chol(Σw) raw"}[k] + " element " + e);
      }
    }
  }

  @Test
  void filteringWithASensorSubsetEqualsMaskingTheOthers() {
    ReferenceCasesTest.Case c = ReferenceCasesTest.load("blocks-like-2sensors.json");
    try (Tape.Scope noGrad = Tape.noGrad()) {
      assertEquals(false, Tape.isRecording());
      FilterResult subset = InformationFilter.run(c.dynamics, List.of(c.sensors.get(0)),
          List.of(c.observations.get(0)), List.of(c.masks.get(0)), c.controls);
      FilterResult masked = InformationFilter.run(c.dynamics, c.sensors, c.observations,
          List.of(c.masks.get(0), Tensor.zeros(1, c.steps)), c.controls);
      for (int t = 0; t < c.steps; t++) {
        assertArrayEquals(subset.filteredMean(t).data(), masked.filteredMean(t).data(), 1e-6f, "t=" + t);
        assertArrayEquals(subset.filteredPrecision(t).data(), masked.filteredPrecision(t).data(), 1e-6f);
      }
    }
  }

  @Test
  void lyapunovGivesTheStationaryCovariance() {
    // The pendulum's closed loop F = A + BK, Q = 0.5·BBᵀ + 1e-4·I (reference setup).
    double[] a = {0.99, 0.2, 0, 0.998};
    double[] bk = {0.03 * -0.5, 0.03 * -0.05, 0.3 * -0.5, 0.3 * -0.05};
    double[] f = {a[0] + bk[0], a[1] + bk[1], a[2] + bk[2], a[3] + bk[3]};
    double[] q = {0.5 * 0.03 * 0.03 + 1e-4, 0.5 * 0.03 * 0.3, 0.5 * 0.3 * 0.03, 0.5 * 0.3 * 0.3 + 1e-4};
    double[] s = Lyapunov.solve(2, f, q);
    // Check Σ = FΣFᵀ + Q directly.
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        double v = q[i * 2 + j];
        for (int k = 0; k < 2; k++) {
          for (int l = 0; l < 2; l++) {
            v += f[i * 2 + k] * s[k * 2 + l] * f[j * 2 + l];
          }
        }
        assertEquals(s[i * 2 + j], v, 1e-12 * Math.abs(s[0] + s[3]));
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Lyapunov.solve(1, new double[] {1.01}, new double[] {1}));
    assertEquals("Lyapunov.solve: no stationary covariance; the closed-loop dynamics F must have"
        + " spectral radius < 1", e.getMessage());
  }

  @Test
  void badInputIsRejectedWithClearMessages() {
    float[] eye = {1, 0, 0, 1};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LinearGaussianDynamics(2, 0, new float[] {1, 0, 0, -1}, eye, null, eye, false, false, false));
    assertEquals("LinearGaussianDynamics: matrix 'initialCov' is not positive definite: batch index 0,"
        + " pivot 1, value -1.0", e.getMessage());
    LinearGaussianDynamics d = new LinearGaussianDynamics(2, 0, eye, eye, null, eye, false, false, false);
    LinearSensor s = new LinearSensor(1, 2, new float[] {1, 0}, new float[] {0.1f});
    e = assertThrows(IllegalArgumentException.class, () -> InformationFilter.run(d, List.of(s),
        List.of(Tensor.zeros(3, 4, 2)), null, null));
    assertEquals("LinearSensor: observations must be [B, T, 1], got [3, 4, 2]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InformationFilter.run(d, List.of(s),
        List.of(Tensor.zeros(3, 4, 1)), null, Tensor.zeros(3, 3, 1)));
    assertEquals("controls given but the dynamics have no control matrix", e.getMessage());
  }
}
