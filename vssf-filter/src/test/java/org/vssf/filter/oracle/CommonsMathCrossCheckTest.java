package org.vssf.filter.oracle;

import org.apache.commons.math3.filter.DefaultMeasurementModel;
import org.apache.commons.math3.filter.DefaultProcessModel;
import org.apache.commons.math3.filter.KalmanFilter;
import org.junit.jupiter.api.RepeatedTest;
import org.vssf.testing.SeededTest;

/**
 * {@link KalmanReference} agrees with Apache Commons Math's {@link KalmanFilter} on random stable
 * systems with one sensor and no missing steps: predicted and filtered moments to 1e-9.
 *
 * <p>Mapping of conventions. Commons Math holds a current estimate (x, P), initialised from the
 * process model's initial state and error covariance; {@code predict(u)} does
 * {@code x ← A x + B u, P ← A P Aᵀ + Q} and {@code correct(z)} applies one measurement (with the
 * plain {@code P ← (I − K H) P} update, not Joseph). It does not force a predict before the first
 * correct. Our step 0 is the prior N(0, Sz) corrected by x_0 with no transition in front of it, so:
 * initial state 0 and initial covariance Sz; at step 0 call {@code correct(x_0)} only; at step
 * t ≥ 1 call {@code predict(u_{t−1})} (our u(t−1) drives z_{t−1} → z_t) and then
 * {@code correct(x_t)}. Setting the initial estimate to "z_{−1}" and predicting first would need a
 * prior one step before ours, which the model does not have.
 *
 * <p>The sensor is one-dimensional. Commons Math's plain covariance update leaves P asymmetric at
 * the rounding level, and its Cholesky of the innovation covariance S rejects any asymmetry above
 * 1e-15 relative, which random multi-dimensional sensors hit within a few steps; a scalar S cannot be
 * asymmetric. Multi-dimensional and multiple sensors are covered by the testdata and the
 * brute-force comparison.
 */
class CommonsMathCrossCheckTest extends SeededTest {
  static final double REL = 1e-9;

  @RepeatedTest(20)
  void filteredMomentsAgree() {
    int m = 1 + rng.nextInt(4);
    int p = 1 + rng.nextInt(3);
    int d = 1; // see the class comment
    int steps = 1 + rng.nextInt(30);
    LgssmCase c = LgssmCase.random(rng, m, p, new int[] {d}, steps, 0.0);
    KalmanReference.Result ref = KalmanReference.run(c);

    DefaultProcessModel process = new DefaultProcessModel(c.a(), c.b(), c.sw(), new double[m], c.sz());
    DefaultMeasurementModel measurement = new DefaultMeasurementModel(c.c(0), c.r(0));
    KalmanFilter kf = new KalmanFilter(process, measurement);
    String info = " (m=" + m + " p=" + p + " d=" + d + " T=" + steps + ")" + seedInfo();
    for (int t = 0; t < steps; t++) {
      if (t > 0) {
        kf.predict(c.u(t - 1));
      }
      OracleAsserts.assertMoments("predicted step " + t + info, ref.predictedMean[t],
          ref.predictedCov[t], kf.getStateEstimation(), kf.getErrorCovariance(), REL);
      kf.correct(c.x(t, 0));
      OracleAsserts.assertMoments("filtered step " + t + info, ref.filteredMean[t],
          ref.filteredCov[t], kf.getStateEstimation(), kf.getErrorCovariance(), REL);
    }
  }
}
