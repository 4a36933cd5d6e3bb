package org.vssf.filter.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vssf.testing.MiniJson;

/**
 * {@link KalmanReference} reproduces every expected array of the externally computed testdata
 * cases (covariance-form Joseph filter and RTS smoother, double precision) to 1e-9 relative.
 *
 * <p>"Relative" needs a scale where values pass through zero: a covariance entry is compared
 * relative to {@code max(|P_ij|, √(P_ii P_jj))}, a mean entry relative to
 * {@code max(|μ_i|, √P_ii)} (its own standard deviation); the log-likelihood relative to itself.
 */
class KalmanReferenceTestdataTest {
  static final double REL = 1e-9;

  static List<String> cases() {
    return LgssmCase.TESTDATA;
  }

  @ParameterizedTest
  @MethodSource("cases")
  void reproducesExpectedValues(String name) {
    Object doc = MiniJson.resource(KalmanReferenceTestdataTest.class, "/lgssm/" + name + ".json");
    LgssmCase c = LgssmCase.fromJson(doc);
    KalmanReference.Result r = KalmanReference.run(c);

    double[][] fm = OracleAsserts.matrix(MiniJson.at(doc, "expected", "filtered_mean"));
    double[][][] fc = OracleAsserts.matrices(MiniJson.at(doc, "expected", "filtered_cov"));
    double[][] sm = OracleAsserts.matrix(MiniJson.at(doc, "expected", "smoothed_mean"));
    double[][][] sc = OracleAsserts.matrices(MiniJson.at(doc, "expected", "smoothed_cov"));
    double ll = ((Number) MiniJson.at(doc, "expected", "marginal_log_lik")).doubleValue();

    assertEquals(c.steps(), fm.length, name + ": steps");
    OracleAsserts.assertMoments(name + " filtered", fm, fc, r.filteredMean, r.filteredCov, REL);
    OracleAsserts.assertMoments(name + " smoothed", sm, sc, r.smoothedMean, r.smoothedCov, REL);
    assertEquals(ll, r.logLik, REL * Math.abs(ll), name + ": marginal log-likelihood");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void loaderFollowsTheFileConventions(String name) {
    Object doc = MiniJson.resource(KalmanReferenceTestdataTest.class, "/lgssm/" + name + ".json");
    LgssmCase c = LgssmCase.fromJson(doc);
    List<?> xs = (List<?>) MiniJson.at(doc, "input", "x");
    assertEquals(xs.size(), c.sensorCount());
    assertEquals(c.steps() - 1, c.controlCount(), "the files hold T−1 controls");
    for (int j = 0; j < c.sensorCount(); j++) {
      List<?> series = (List<?>) xs.get(j);
      for (int t = 0; t < c.steps(); t++) {
        Object v = series.get(t);
        assertEquals(v == null, !c.present(t, j), name + " x[" + j + "][" + t + "]");
        if (v != null) {
          double[] expect = MiniJson.doubles(v);
          double[] got = c.x(t, j);
          for (int i = 0; i < expect.length; i++) {
            assertEquals(expect[i], got[i], 0.0);
          }
        }
      }
    }
    // The same document through its "input" object alone.
    LgssmCase viaInput = LgssmCase.fromJson(MiniJson.at(doc, "input"));
    assertEquals(KalmanReference.run(c).logLik, KalmanReference.run(viaInput).logLik, 0.0);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void unusedTrailingControlChangesNothing(String name) {
    LgssmCase c = LgssmCase.resource(name);
    double[][] u = c.u();
    double[][] longer = new double[u.length + 1][];
    System.arraycopy(u, 0, longer, 0, u.length);
    longer[u.length] = new double[c.p()];
    java.util.Arrays.fill(longer[u.length], 1e6);
    double[][][] cs = new double[c.sensorCount()][][];
    double[][][] rs = new double[c.sensorCount()][][];
    for (int j = 0; j < cs.length; j++) {
      cs[j] = c.c(j);
      rs[j] = c.r(j);
    }
    LgssmCase withT = new LgssmCase(c.a(), c.b(), c.sz(), c.sw(), cs, rs, longer, c.x(), null);
    assertEquals(c.steps(), withT.controlCount());
    KalmanReference.Result a = KalmanReference.run(c);
    KalmanReference.Result b = KalmanReference.run(withT);
    assertEquals(a.logLik, b.logLik, 0.0);
    OracleAsserts.assertMoments(name + " T controls", a.smoothedMean, a.smoothedCov, b.smoothedMean,
        b.smoothedCov, 0.0);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void caseIsImmutable(String name) {
    LgssmCase c = LgssmCase.resource(name);
    double before = KalmanReference.run(c).logLik;
    boolean present = c.present(0, 0);
    c.a()[0][0] += 1;
    c.sz()[0][0] += 1;
    double[][][] x = c.x();
    x[0][0] = null;
    c.u()[0] = null;
    c.x(1, 0);
    assertEquals(present, c.present(0, 0));
    assertEquals(before, KalmanReference.run(c).logLik, 0.0);
  }
}
