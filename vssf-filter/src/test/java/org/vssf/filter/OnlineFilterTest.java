package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vssf.testing.Allocations;
import org.vssf.testing.MiniJson;

/** The streaming filter against the reference cases, allocation-free steps, save/restore. */
class OnlineFilterTest {
  /** Runs the online filter over a reference case; returns [T][m] means and [T][m·m] covariances. */
  static float[][][] run(ReferenceCasesTest.Case c, OnlineFilter f) {
    int m = c.m;
    float[][] means = new float[c.steps][m];
    float[][] covs = new float[c.steps][m * m];
    float[] u = c.controls.data();
    int p = c.controls.dim(2);
    for (int t = 0; t < c.steps; t++) {
      float[][] obs = observationsAt(c, t);
      float[] control = t == 0 ? null : Arrays.copyOfRange(u, (t - 1) * p, t * p);
      f.step(obs, control);
      f.mean(means[t]);
      f.covariance(covs[t]);
    }
    return new float[][][] {means, covs};
  }

  static float[][] observationsAt(ReferenceCasesTest.Case c, int t) {
    float[][] obs = new float[c.sensors.size()][];
    for (int j = 0; j < obs.length; j++) {
      if (c.masks.get(j).data()[t] != 0f) {
        int d = c.observations.get(j).dim(2);
        obs[j] = Arrays.copyOfRange(c.observations.get(j).data(), t * d, (t + 1) * d);
      }
    }
    return obs;
  }

  static List<StreamingSensor> streaming(ReferenceCasesTest.Case c) {
    List<StreamingSensor> s = new ArrayList<>();
    for (Sensor x : c.sensors) {
      s.add((LinearSensor) x);
    }
    return s;
  }

  @ParameterizedTest
  @ValueSource(strings = {"random-m3.json", "pendulum-like-1sensor-missing.json", "blocks-like-2sensors.json"})
  void matchesTheKalmanFilterStepByStep(String name) {
    ReferenceCasesTest.Case c = ReferenceCasesTest.load(name);
    float[][][] r = run(c, new OnlineFilter(c.dynamics, streaming(c)));
    double[] mean = ReferenceCasesTest.doubles(MiniJson.at(c.expected, "filtered_mean"));
    double[] cov = ReferenceCasesTest.doubles(MiniJson.at(c.expected, "filtered_cov"));
    int m = c.m;
    for (int t = 0; t < c.steps; t++) {
      for (int i = 0; i < m; i++) {
        double sd = Math.sqrt(cov[(t * m + i) * m + i]);
        assertEquals(mean[t * m + i], r[0][t][i], 1e-5 * (sd + Math.abs(mean[t * m + i])), name + " mean t=" + t);
        for (int k = 0; k < m; k++) {
          double s = Math.sqrt(cov[(t * m + i) * m + i] * cov[(t * m + k) * m + k]);
          assertEquals(cov[(t * m + i) * m + k], r[1][t][i * m + k], 1e-5 * s, name + " cov t=" + t);
        }
      }
    }
  }

  @Test
  void warmStepsAllocateNothingAndStateRoundTrips() {
    ReferenceCasesTest.Case c = ReferenceCasesTest.load("blocks-like-2sensors.json");
    OnlineFilter f = new OnlineFilter(c.dynamics, streaming(c));
    float[][] obs = observationsAt(c, 1);
    float[] u = Arrays.copyOfRange(c.controls.data(), 0, 2);
    float[] mean = new float[c.m];
    float[] cov = new float[c.m * c.m];
    for (int i = 0; i < 200; i++) { // warm-up of exactly the measured calls (first calls resolve
      f.step(obs, u);               // constants lazily, which allocates)
      f.mean(mean);
      f.covariance(cov);
    }
    long bytes = Allocations.minBytesAllocatedBy(() -> {
      for (int i = 0; i < 100; i++) {
        f.step(obs, u);
        f.mean(mean);
        f.covariance(cov);
      }
    }, 3);
    assertEquals(0, bytes, "bytes allocated by 100 warm steps");
    double[] saved = f.saveState();
    f.step(obs, u);
    float[] next = new float[c.m];
    f.mean(next);
    OnlineFilter g = new OnlineFilter(c.dynamics, streaming(c));
    g.restore(saved);
    g.step(obs, u);
    float[] again = new float[c.m];
    g.mean(again);
    assertArrayEquals(next, again, "restored filter continues identically");
    // A rejected step leaves the state exactly as it was.
    double[] before = f.saveState();
    assertThrows(IllegalArgumentException.class, () -> f.step(new float[][] {obs[0], {Float.NaN}}, u));
    assertThrows(IllegalArgumentException.class, () -> f.step(obs, new float[] {Float.NaN, 0f}));
    assertArrayEquals(before, f.saveState(), "state after rejected steps");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> f.step(new float[][] {{Float.NaN, 0f}, null}, u));
    assertEquals("OnlineFilter.step: observation of sensor 0 contains NaN; pass null for a missing"
        + " observation", e.getMessage());
  }
}
