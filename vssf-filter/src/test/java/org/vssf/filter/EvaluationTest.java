package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.oracle.LgssmCase;
import org.vssf.testing.SeededTest;

/** Evaluation metrics on simulated systems where the model is exact: calibrated by construction. */
class EvaluationTest extends SeededTest {
  @Test
  void exactModelIsCalibratedAndSmoothingBeatsFiltering() {
    LgssmCase system = LgssmCase.random(new SplittableRandom(21), 2, 1, new int[] {1}, 2, 0.0);
    List<LgssmCase> cases = new ArrayList<>();
    SplittableRandom data = new SplittableRandom(22);
    for (int k = 0; k < 400; k++) {
      cases.add(system.simulate(data, 20, 0.2));
    }
    RandomSystemsTest.Batch b = RandomSystemsTest.batch(cases, RandomSystemsTest.flat(system.a()),
        RandomSystemsTest.flat(system.b()), false);
    float[] truth = new float[400 * 20 * 2];
    for (int k = 0; k < 400; k++) {
      double[][] z = cases.get(k).latent();
      for (int t = 0; t < 20; t++) {
        truth[(k * 20 + t) * 2] = (float) z[t][0];
        truth[(k * 20 + t) * 2 + 1] = (float) z[t][1];
      }
    }
    Evaluation.Metrics e = Evaluation.evaluate(b.dynamics, b.sensors, b.observations, b.masks, b.controls,
        Tensor.wrap(truth, 400, 20, 2), new int[] {0, 1});
    // 16 000 values: the 2σ coverage of a calibrated Gaussian is 0.9545 ± 0.0017 (1 s.e.).
    assertEquals(0.9545, e.filterCoverage2Sigma, 0.01, "filter coverage");
    assertEquals(0.9545, e.smootherCoverage2Sigma, 0.01, "smoother coverage");
    assertTrue(e.smootherMse < e.filterMse, "smoothing uses future observations: " + e.smootherMse + " vs " + e.filterMse);
    assertTrue(e.smootherNll < e.filterNll);
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Evaluation.evaluate(
        b.dynamics, b.sensors, b.observations, b.masks, b.controls, Tensor.wrap(truth, 400, 20, 2), new int[] {2}));
    assertEquals("Evaluation: component 2 outside 0..1", ex.getMessage());
  }
}
