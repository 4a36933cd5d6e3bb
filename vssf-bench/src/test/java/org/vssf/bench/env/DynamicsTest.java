package org.vssf.bench.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.nn.io.Json;
import org.vssf.testing.SeededTest;

/** The data-generating dynamics: presets, stationary prior, simulation moments, JSON files. */
class DynamicsTest extends SeededTest {
  @TempDir
  Path tmp;

  @Test
  void presetsAreTheReferenceSetup() {
    Dynamics p = Dynamics.pendulum();
    assertArrayEquals(new double[] {0.99, 0.2, 0, 0.998}, p.dynamicsMatrix());
    assertArrayEquals(new double[] {0.03, 0.3}, p.controlMatrix());
    assertArrayEquals(new double[] {-0.5, -0.05}, p.feedbackGain());
    assertArrayEquals(new double[] {0.5}, p.controlNoiseCov());
    assertArrayEquals(new double[] {1e-4, 0, 0, 1e-4}, p.processCov());
    // NumPy: 5000 iterations of S = F S Fᵀ + Q
    assertArrayEquals(new double[] {2.540423233605609, 0.1264476916869421, 0.1264476916869421,
        1.927267019004095}, p.initialCov(), 1e-9);
    Dynamics b = Dynamics.blocks();
    assertEquals(4, b.stateDim());
    assertEquals(2, b.controlDim());
    assertArrayEquals(new double[] {1.98259402, 0, 0.29581308, 0}, slice(b.initialCov(), 0, 4),
        1e-7);
    assertArrayEquals(new double[] {0.29581308, 0, 1.52105418, 0}, slice(b.initialCov(), 8, 4),
        1e-7);
  }

  @Test
  void priorSolvesTheLyapunovEquation() {
    for (Dynamics d : new Dynamics[] {Dynamics.pendulum(), Dynamics.blocks()}) {
      int m = d.stateDim();
      int p = d.controlDim();
      double[] f = add(d.dynamicsMatrix(), mul(d.controlMatrix(), d.feedbackGain(), m, p, m));
      double[] q = add(mul(mul(d.controlMatrix(), d.controlNoiseCov(), m, p, p),
          transpose(d.controlMatrix(), m, p), m, p, m), d.processCov());
      double[] z = d.initialCov();
      double[] rhs = add(mul(mul(f, z, m, m, m), transpose(f, m, m), m, m, m), q);
      assertArrayEquals(z, rhs, 1e-12);
    }
  }

  @Test
  void simulatedStatesHaveTheStationaryCovariance() {
    for (Dynamics d : new Dynamics[] {Dynamics.pendulum(), Dynamics.blocks()}) {
      int m = d.stateDim();
      int p = d.controlDim();
      int n = 20_000;
      int t = 4;
      float[] states = new float[n * t * m];
      float[] controls = new float[n * (t - 1) * p];
      for (int i = 0; i < n; i++) {
        d.simulate(rng.split(), t, states, i * t * m, controls, i * (t - 1) * p);
      }
      double[] sz = d.initialCov();
      for (int step : new int[] {0, t - 1}) { // stationary: the same covariance at every step
        double[] mean = new double[m];
        double[] cov = new double[m * m];
        for (int i = 0; i < n; i++) {
          for (int a = 0; a < m; a++) {
            mean[a] += states[(i * t + step) * m + a] / n;
          }
        }
        for (int i = 0; i < n; i++) {
          int o = (i * t + step) * m;
          for (int a = 0; a < m; a++) {
            for (int b = 0; b < m; b++) {
              cov[a * m + b] += (states[o + a] - mean[a]) * (states[o + b] - mean[b]) / (n - 1);
            }
          }
        }
        for (int a = 0; a < m; a++) {
          double se = Math.sqrt(sz[a * m + a] / n);
          assertEquals(0, mean[a], 5 * se, "mean of z" + a + " at step " + step + seedInfo());
          for (int b = 0; b < m; b++) {
            // standard error of a Gaussian sample covariance
            double seCov = Math.sqrt((sz[a * m + a] * sz[b * m + b] + sz[a * m + b] * sz[a * m + b])
                / n);
            assertEquals(sz[a * m + b], cov[a * m + b], 5 * seCov,
                "cov[" + a + "][" + b + "] at step " + step + seedInfo());
          }
        }
      }
      // the control noise u − K z has covariance Σu
      double[] k = d.feedbackGain();
      double var = 0;
      for (int i = 0; i < n; i++) {
        double kz = 0;
        for (int j = 0; j < m; j++) {
          kz += k[j] * states[(i * t) * m + j];
        }
        double e = controls[i * (t - 1) * p] - kz;
        var += e * e / n;
      }
      double su = d.controlNoiseCov()[0];
      assertEquals(su, var, 5 * su * Math.sqrt(2.0 / n), "control noise variance" + seedInfo());
    }
  }

  @Test
  void simulationIsAFunctionOfTheSeed() {
    Dynamics d = Dynamics.blocks();
    float[] s1 = new float[20 * 4];
    float[] c1 = new float[19 * 2];
    float[] s2 = new float[20 * 4];
    float[] c2 = new float[19 * 2];
    d.simulate(new SplittableRandom(5), 20, s1, 0, c1, 0);
    d.simulate(new SplittableRandom(5), 20, s2, 0, c2, 0);
    assertArrayEquals(s1, s2);
    assertArrayEquals(c1, c2);
    d.simulate(new SplittableRandom(6), 20, s2, 0, c2, 0);
    assertNotEquals(s1[0], s2[0]);
  }

  @Test
  void jsonRoundTripAndPartialOverrides() throws Exception {
    Dynamics p = Dynamics.pendulum();
    assertEquals(p, Dynamics.fromJson(Json.parse(Json.write(p.toJson())), null, "test"));
    Dynamics noisier = Dynamics.load(write("{\"process_noise\": 0.01}"), p);
    assertArrayEquals(new double[] {0.01, 0, 0, 0.01}, noisier.processCov());
    assertArrayEquals(p.dynamicsMatrix(), noisier.dynamicsMatrix());
    assertTrue(noisier.initialCov()[0] > p.initialCov()[0], "prior recomputed");
    Dynamics fixedPrior = Dynamics.load(write("{\"prior\": [[1, 0], [0, 2]]}"), p);
    assertArrayEquals(new double[] {1, 0, 0, 2}, fixedPrior.initialCov());
    assertEquals(p, Dynamics.load(write("{}"), p));
    // two controls for the pendulum: B, K and control_noise change together
    Dynamics twoControls = Dynamics.load(write("{\"B\": [[0.03, 0], [0.3, 0.1]],"
        + " \"K\": [[-0.5, -0.05], [0, 0]], \"control_noise\": 0.5}"), p);
    assertEquals(2, twoControls.controlDim());
  }

  @Test
  void badDynamicsFilesNameTheFieldAndTheFile() throws IOException {
    Dynamics p = Dynamics.pendulum();
    assertBad("{\"A\": [[1, 0], [0, 1]], \"a\": 1}", "unknown field \"a\"");
    assertBad("{\"B\": [[0.03, 1, 2]]}", "field \"B\" must be a 2x3 matrix");
    assertBad("{\"A\": [[0.9, 0.1, 0], [0, 0.9, 0], [0, 0, 0.9]]}",
        "field \"A\" must be a 2x2 matrix (m = 2 states, p = 1 controls), got 3 rows");
    assertBad("{\"K\": [[-0.5, \"x\"]]}", "field \"K\" [0][1] is not a number");
    assertBad("{\"process_noise\": [[1, 0.5], [0, 1]]}", "field \"process_noise\" is not symmetric");
    assertBad("{\"process_noise\": [[1, 2], [2, 1]]}",
        "field \"process_noise\" is not a covariance matrix");
    assertBad("{\"prior\": [[1, 0], [0, 0]]}", "field \"prior\" must be positive definite");
    assertBad("{\"control_noise\": -1}", "field \"control_noise\" must be a non-negative number");
    assertBad("{\"A\": [[1.1, 0], [0, 1.1]], \"K\": [[0, 0]]}", "closed loop A+BK is not stable");
    assertBad("{\"B\": [[0.03, 0], [0.3, 0]]}", "so \"K\" must be given too");
    assertBad("{\"A\": [[1, 0], [0, 1]],}", "invalid JSON");
    assertBad("[1, 2]", "expected a JSON object");
    Path missing = tmp.resolve("missing.json");
    assertThrows(java.nio.file.NoSuchFileException.class, () -> Dynamics.load(missing, p));
  }

  private void assertBad(String json, String expected) throws IOException {
    Path f = write(json);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dynamics.load(f, Dynamics.pendulum()), json);
    assertTrue(e.getMessage().startsWith("dynamics file " + f + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private int files;

  private Path write(String json) throws IOException {
    Path f = tmp.resolve("dyn" + files++ + ".json");
    Files.write(f, json.getBytes(StandardCharsets.UTF_8));
    return f;
  }

  private static double[] slice(double[] x, int from, int n) {
    return java.util.Arrays.copyOfRange(x, from, from + n);
  }

  private static double[] add(double[] a, double[] b) {
    double[] c = a.clone();
    for (int i = 0; i < c.length; i++) {
      c[i] += b[i];
    }
    return c;
  }

  /** (r×k)·(k×c). */
  private static double[] mul(double[] a, double[] b, int r, int k, int c) {
    double[] out = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        for (int q = 0; q < k; q++) {
          out[i * c + j] += a[i * k + q] * b[q * c + j];
        }
      }
    }
    return out;
  }

  private static double[] transpose(double[] a, int r, int c) {
    double[] out = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        out[j * r + i] = a[i * c + j];
      }
    }
    return out;
  }
}
