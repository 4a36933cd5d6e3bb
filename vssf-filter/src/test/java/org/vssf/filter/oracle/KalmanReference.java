package org.vssf.filter.oracle;

/**
 * Textbook covariance-form Kalman filter (Joseph-form update) and Rauch–Tung–Striebel smoother
 * for an {@link LgssmCase}, in double precision: the reference the information filter and the
 * backward sampler are tested against (MATH.md identities 1–3).
 *
 * <p>Steps are 0-based (step t here is step t+1 of MATH.md):
 *
 * <pre>
 *   predicted(0)   = N(0, Sz)
 *   predicted(t+1) = N(A μ_{t|t} + B u_t,  A P_{t|t} Aᵀ + Sw)
 *   filtered(t)    = predicted(t) updated with every sensor present at step t
 * </pre>
 *
 * <p>Update: the present sensors of a step are <em>stacked</em> into one observation
 * {@code y = [x^(j)]}, {@code C = [C_j]}, {@code R = blockdiag(R_j)} (equivalent to processing them
 * one after another, since their noises are independent). With the innovation {@code e = y − C μ},
 * {@code S = C P Cᵀ + R = L Lᵀ} (Cholesky), {@code K = P Cᵀ S⁻¹} (by triangular solves):
 * {@code μ ← μ + K e}, {@code P ← (I − K C) P (I − K C)ᵀ + K R Kᵀ} (Joseph form). A step with no
 * sensor present keeps the prediction. The marginal log-likelihood is the sum over steps of
 * {@code log N(e; 0, S)}.
 *
 * <p>RTS: {@code G_t = P_{t|t} Aᵀ P_{t+1|t}⁻¹} (Cholesky solve),
 * {@code μ^s_t = μ_{t|t} + G_t (μ^s_{t+1} − μ_{t+1|t})},
 * {@code P^s_t = P_{t|t} + G_t (P^s_{t+1} − P_{t+1|t}) G_tᵀ}, and the lag-one cross-covariance
 * {@code Cov(z_{t+1}, z_t | x) = P^s_{t+1} G_tᵀ}.
 */
public final class KalmanReference {
  private KalmanReference() {}

  /** Everything the filter and smoother compute; arrays are indexed by step t = 0 .. T−1. */
  public static final class Result {
    /** μ_{t|t−1} ([T][m]); step 0 holds the prior mean 0. */
    public final double[][] predictedMean;
    /** P_{t|t−1} ([T][m][m]); step 0 holds Sz. */
    public final double[][][] predictedCov;
    /** μ_{t|t} ([T][m]). */
    public final double[][] filteredMean;
    /** P_{t|t} ([T][m][m]). */
    public final double[][][] filteredCov;
    /** μ_{t|T} ([T][m]). */
    public final double[][] smoothedMean;
    /** P_{t|T} ([T][m][m]). */
    public final double[][][] smoothedCov;
    /** Cov(z_{t+1}, z_t | x_{all}) ([T−1][m][m]); row index is z_{t+1}'s component. */
    public final double[][][] smoothedCrossCov;
    /** log p(x_t | x_{&lt;t}, u) per step ([T]); 0 at a step with no observation. */
    public final double[] stepLogLik;
    /** log p(x_{all} | u), the sum of {@link #stepLogLik}. */
    public final double logLik;

    Result(double[][] predictedMean, double[][][] predictedCov, double[][] filteredMean,
        double[][][] filteredCov, double[][] smoothedMean, double[][][] smoothedCov,
        double[][][] smoothedCrossCov, double[] stepLogLik, double logLik) {
      this.predictedMean = predictedMean;
      this.predictedCov = predictedCov;
      this.filteredMean = filteredMean;
      this.filteredCov = filteredCov;
      this.smoothedMean = smoothedMean;
      this.smoothedCov = smoothedCov;
      this.smoothedCrossCov = smoothedCrossCov;
      this.stepLogLik = stepLogLik;
      this.logLik = logLik;
    }

    /** Smoothed mean of the pair {@code (z_t, z_{t+1})} (length 2m), for {@code t < T−1}. */
    public double[] pairMean(int t) {
      int m = smoothedMean[t].length;
      double[] out = new double[2 * m];
      System.arraycopy(smoothedMean[t], 0, out, 0, m);
      System.arraycopy(smoothedMean[t + 1], 0, out, m, m);
      return out;
    }

    /**
     * Smoothed joint covariance of the pair {@code (z_t, z_{t+1})} (2m×2m), for {@code t < T−1}:
     * a sampler that gets every marginal right but the coupling between steps wrong fails here.
     */
    public double[][] pairCov(int t) {
      int m = smoothedMean[t].length;
      double[][] out = new double[2 * m][2 * m];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          out[i][j] = smoothedCov[t][i][j];
          out[m + i][m + j] = smoothedCov[t + 1][i][j];
          out[m + i][j] = smoothedCrossCov[t][i][j];
          out[j][m + i] = smoothedCrossCov[t][i][j];
        }
      }
      return out;
    }
  }

  /** Runs the filter and the smoother over the whole case. */
  public static Result run(LgssmCase c) {
    int steps = c.steps();
    int m = c.m();
    double[][] a = c.a();
    double[][] at = Dense.transpose(a, m);
    double[][] sw = c.sw();

    double[][] predMean = new double[steps][];
    double[][][] predCov = new double[steps][][];
    double[][] filtMean = new double[steps][];
    double[][][] filtCov = new double[steps][][];
    double[] stepLogLik = new double[steps];
    double logLik = 0;

    double[] mean = new double[m];
    double[][] cov = c.sz();
    for (int t = 0; t < steps; t++) {
      if (t > 0) {
        mean = c.transitionMean(filtMean[t - 1], t - 1);
        cov = Dense.add(Dense.mul(Dense.mul(a, filtCov[t - 1]), at), sw);
      }
      predMean[t] = mean.clone();
      predCov[t] = Dense.copy(cov);

      Stacked obs = Stacked.at(c, t);
      if (obs.dim > 0) {
        double[][] ct = Dense.transpose(obs.c, m);
        double[][] pct = Dense.mul(cov, ct, obs.dim); // P Cᵀ, m×d
        double[][] s = Dense.add(Dense.mul(obs.c, pct, obs.dim), obs.r);
        double[][] l = Dense.cholesky(s);
        double[] e = Dense.sub(obs.y, Dense.mul(obs.c, mean));
        // Kᵀ = S⁻¹ C P (S and P symmetric), so K = (S⁻¹ (P Cᵀ)ᵀ)ᵀ.
        double[][] kt = Dense.cholSolve(l, Dense.transpose(pct, obs.dim), m);
        double[][] k = Dense.transpose(kt, m);
        mean = Dense.add(mean, Dense.mul(k, e));
        double[][] ikc = Dense.sub(Dense.identity(m), Dense.mul(k, obs.c, m));
        cov = Dense.add(Dense.mul(Dense.mul(ikc, cov), Dense.transpose(ikc, m)),
            Dense.mul(Dense.mul(k, obs.r, obs.dim), kt, m));
        stepLogLik[t] = Dense.logGaussian(e, new double[obs.dim], l);
        logLik += stepLogLik[t];
      }
      filtMean[t] = mean.clone();
      filtCov[t] = Dense.copy(cov);
    }

    double[][] smMean = new double[steps][];
    double[][][] smCov = new double[steps][][];
    double[][][] cross = new double[Math.max(0, steps - 1)][][];
    smMean[steps - 1] = filtMean[steps - 1].clone();
    smCov[steps - 1] = Dense.copy(filtCov[steps - 1]);
    for (int t = steps - 2; t >= 0; t--) {
      // Gᵀ = P_{t+1|t}⁻¹ A P_{t|t}.
      double[][] l = Dense.cholesky(predCov[t + 1]);
      double[][] gt = Dense.cholSolve(l, Dense.mul(a, filtCov[t]), m);
      double[][] g = Dense.transpose(gt, m);
      smMean[t] = Dense.add(filtMean[t], Dense.mul(g, Dense.sub(smMean[t + 1], predMean[t + 1])));
      smCov[t] = Dense.add(filtCov[t], Dense.mul(Dense.mul(g, Dense.sub(smCov[t + 1], predCov[t + 1])), gt));
      cross[t] = Dense.mul(smCov[t + 1], gt);
    }
    return new Result(predMean, predCov, filtMean, filtCov, smMean, smCov, cross, stepLogLik, logLik);
  }

  /** The present sensors of one step stacked into one linear observation. */
  static final class Stacked {
    final int dim;
    final double[] y;
    final double[][] c;
    final double[][] r;

    private Stacked(int dim, double[] y, double[][] c, double[][] r) {
      this.dim = dim;
      this.y = y;
      this.c = c;
      this.r = r;
    }

    static Stacked at(LgssmCase cs, int t) {
      int dim = 0;
      for (int j = 0; j < cs.sensorCount(); j++) {
        if (cs.present(t, j)) {
          dim += cs.sensorDim(j);
        }
      }
      double[] y = new double[dim];
      double[][] c = new double[dim][];
      double[][] r = new double[dim][dim];
      int off = 0;
      for (int j = 0; j < cs.sensorCount(); j++) {
        if (!cs.present(t, j)) {
          continue;
        }
        double[] xj = cs.x(t, j);
        double[][] cj = cs.c(j);
        double[][] rj = cs.r(j);
        for (int i = 0; i < xj.length; i++) {
          y[off + i] = xj[i];
          c[off + i] = cj[i];
          for (int q = 0; q < xj.length; q++) {
            r[off + i][off + q] = rj[i][q];
          }
        }
        off += xj.length;
      }
      return new Stacked(dim, y, c, r);
    }
  }
}
