package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.testing.MiniJson;

/** The RTS smoother and the exact log-likelihood against the independent reference cases. */
class RtsSmootherTest {
  @ParameterizedTest
  @ValueSource(strings = {"random-m3.json", "pendulum-like-1sensor-missing.json", "blocks-like-2sensors.json"})
  void smoothedMomentsAndLogLikelihoodMatchTheReference(String name) {
    ReferenceCasesTest.Case c = ReferenceCasesTest.load(name);
    RtsSmoother.Result r;
    try (Tape.Scope noGrad = Tape.noGrad()) {
      FilterResult f = InformationFilter.run(c.dynamics, c.sensors, c.observations, c.masks, c.controls);
      r = RtsSmoother.smooth(c.dynamics, f, c.controls);
    }
    double[] mean = ReferenceCasesTest.doubles(MiniJson.at(c.expected, "smoothed_mean"));
    double[] cov = ReferenceCasesTest.doubles(MiniJson.at(c.expected, "smoothed_cov"));
    int m = c.m;
    for (int t = 0; t < c.steps; t++) {
      for (int i = 0; i < m; i++) {
        double sd = Math.sqrt(cov[(t * m + i) * m + i]);
        assertEquals(mean[t * m + i], r.mean[0][t][i], 2e-4 * (sd + Math.abs(mean[t * m + i])), name + " mean t=" + t);
        for (int k = 0; k < m; k++) {
          double s = Math.sqrt(cov[(t * m + i) * m + i] * cov[(t * m + k) * m + k]);
          assertEquals(cov[(t * m + i) * m + k], r.cov[0][t][i * m + k], 2e-4 * s, name + " cov t=" + t);
        }
      }
    }
    double exact = ((Number) MiniJson.at(c.expected, "marginal_log_lik")).doubleValue();
    float[] ll = RtsSmoother.marginalLogLik(c.dynamics, c.sensors, c.observations, c.masks, c.controls);
    assertEquals(exact, ll[0], 2e-4 * Math.abs(exact) + 2e-3);
  }

  @Test
  void marginalLogLikRefusesNonlinearSensors() {
    float[] eye = {1, 0, 0, 1};
    LinearGaussianDynamics d = new LinearGaussianDynamics(2, 0, eye, eye, null, eye, false, false, false);
    ImageSensor image = new ImageSensor(2, 16, 2, 0.1f, 0.01f, 2f, 0f, new SplittableRandom(1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RtsSmoother.marginalLogLik(d,
        List.of(image), List.of(Tensor.zeros(1, 2, 3, 16, 16)), null, null));
    assertEquals("marginalLogLik: sensor 0 (ImageSensor) is not linear; the exact likelihood needs"
        + " linear-Gaussian sensors", e.getMessage());
  }
}
