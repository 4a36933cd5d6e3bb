package org.vssf.bench.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The held-out affine alignment and the model description's JSON. */
class EvaluatorTest {
  @Test
  void anAffinelyRelatedLatentAlignsExactly() {
    SplittableRandom rng = new SplittableRandom(3);
    int n = 4;
    int len = 30;
    double[][] mean = new double[n][len * 2];
    double[][] truth = new double[n][len];
    for (int k = 0; k < n; k++) {
      for (int t = 0; t < len; t++) {
        double a = rng.nextGaussian();
        double b = rng.nextGaussian();
        mean[k][t * 2] = a;
        mean[k][t * 2 + 1] = b;
        truth[k][t] = -2 * a + 0.5 * b + 3; // a sign flip, a mix and an offset
      }
    }
    assertEquals(0, Evaluator.alignedMse(mean, truth, 2, 1, len), 1e-12);
    for (int t = 0; t < len; t++) { // unrelated noise: held-out error about the truth's variance
      truth[3][t] = rng.nextGaussian();
      truth[2][t] = rng.nextGaussian();
    }
    assertTrue(Evaluator.alignedMse(mean, truth, 2, 1, len) > 0.3);
  }

  @Test
  void modelJsonRoundTripsAndRejectsBadFields() {
    ModelConfig c = new ModelConfig();
    c.environment = "pendulum";
    c.size = 32;
    c.nf = 16;
    c.m = 2;
    c.p = 1;
    c.supervision = "full";
    c.dynamics = "learned";
    c.initL = 0.01f;
    c.minCov = 0.001f;
    c.clipNorm = 5;
    c.spectralBound = 1.05f;
    c.a = new double[] {0.99, 0.2, 0, 0.998};
    c.b = new double[] {0.03, 0.3};
    c.initialCov = new double[] {2.5, 0.1, 0.1, 1.9};
    ModelConfig back = ModelConfig.fromJson(c.toJson());
    assertEquals(c.toJson(), back.toJson());
    assertArrayEquals(new int[] {0, 1}, back.supervised());
    assertArrayEquals(new int[] {0}, back.measured());
    java.util.Map<String, Object> bad = c.toJson();
    bad.put("A", java.util.List.of(1.0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(bad));
    assertEquals("model.json: field 'A' must be a list of 4 numbers", e.getMessage());
  }
}
