package org.vssf.filter.oracle;

/**
 * The exact answer by brute force, for small T·m: build the joint Gaussian of the whole trajectory
 * {@code Z = (z_0, …, z_{T−1})} and of every observed sensor vector, then condition. Shares no
 * recursion with {@link KalmanReference}, so it is an oracle for the oracle.
 *
 * <pre>
 *   E z_0 = 0,            E z_{t+1} = A E z_t + B u_t
 *   V_0 = Sz,             V_{t+1} = A V_t Aᵀ + Sw                       (V_t = Var z_t)
 *   Cov(z_s, z_t) = A^{s−t} V_t  for s ≥ t
 *   Y = H Z + v,          v ~ N(0, blockdiag R)      (H stacks C_j at the present (t, j))
 *   log p(Y) = log N(Y; H E Z, S),   S = H Σ Hᵀ + R
 *   Z | Y ~ N(E Z + Σ Hᵀ S⁻¹ (Y − H E Z),  Σ − Σ Hᵀ S⁻¹ H Σ)
 * </pre>
 *
 * Observations can be limited to the steps before {@code horizon}, which gives the filtered
 * moments at step {@code horizon − 1} and the prefix log-likelihood.
 */
public final class BruteForceGaussian {
  /** Joint posterior of the whole trajectory. */
  public final double[] mean;
  /** Joint posterior covariance, (T·m)×(T·m); block (s, t) is Cov(z_s, z_t | Y). */
  public final double[][] cov;
  /** log p(observations used | u). */
  public final double logLik;
  private final int m;
  private final int steps;

  private BruteForceGaussian(double[] mean, double[][] cov, double logLik, int m, int steps) {
    this.mean = mean;
    this.cov = cov;
    this.logLik = logLik;
    this.m = m;
    this.steps = steps;
  }

  /** Conditions on every observation of the case (the smoothing posterior). */
  public static BruteForceGaussian condition(LgssmCase c) {
    return condition(c, c.steps());
  }

  /** Conditions on the observations at steps {@code t < horizon} only. */
  public static BruteForceGaussian condition(LgssmCase c, int horizon) {
    int m = c.m();
    int steps = c.steps();
    int n = steps * m;
    double[][] a = c.a();
    double[][] sw = c.sw();

    // Prior mean and covariance of Z.
    double[][] priorMean = new double[steps][];
    double[][][] var = new double[steps][][];
    priorMean[0] = new double[m];
    var[0] = c.sz();
    for (int t = 1; t < steps; t++) {
      priorMean[t] = c.transitionMean(priorMean[t - 1], t - 1);
      var[t] = Dense.add(Dense.mul(Dense.mul(a, var[t - 1]), Dense.transpose(a, m)), sw);
    }
    double[] mu = new double[n];
    double[][] sigma = new double[n][n];
    for (int t = 0; t < steps; t++) {
      System.arraycopy(priorMean[t], 0, mu, t * m, m);
      double[][] block = var[t]; // Cov(z_s, z_t) for s = t, t+1, ...
      for (int s = t; s < steps; s++) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < m; j++) {
            sigma[s * m + i][t * m + j] = block[i][j];
            sigma[t * m + j][s * m + i] = block[i][j];
          }
        }
        block = Dense.mul(a, block);
      }
    }

    // Observation model over the used steps.
    int d = 0;
    for (int t = 0; t < horizon; t++) {
      for (int j = 0; j < c.sensorCount(); j++) {
        if (c.present(t, j)) {
          d += c.sensorDim(j);
        }
      }
    }
    if (d == 0) {
      return new BruteForceGaussian(mu, sigma, 0, m, steps);
    }
    double[][] h = new double[d][n];
    double[][] r = new double[d][d];
    double[] y = new double[d];
    int off = 0;
    for (int t = 0; t < horizon; t++) {
      for (int j = 0; j < c.sensorCount(); j++) {
        if (!c.present(t, j)) {
          continue;
        }
        double[][] cj = c.c(j);
        double[][] rj = c.r(j);
        double[] xj = c.x(t, j);
        for (int i = 0; i < xj.length; i++) {
          y[off + i] = xj[i];
          System.arraycopy(cj[i], 0, h[off + i], t * m, m);
          for (int q = 0; q < xj.length; q++) {
            r[off + i][off + q] = rj[i][q];
          }
        }
        off += xj.length;
      }
    }
    double[][] sigmaHt = Dense.mul(sigma, Dense.transpose(h, n), d); // n×d
    double[][] s = Dense.add(Dense.mul(h, sigmaHt, d), r);
    double[][] l = Dense.cholesky(s);
    double[] yMean = Dense.mul(h, mu);
    double logLik = Dense.logGaussian(y, yMean, l);
    double[] w = Dense.cholSolve(l, Dense.sub(y, yMean)); // S⁻¹ (y − H μ)
    double[] postMean = Dense.add(mu, Dense.mul(sigmaHt, w));
    double[][] gain = Dense.cholSolve(l, Dense.transpose(sigmaHt, d), n); // S⁻¹ H Σ, d×n
    double[][] postCov = Dense.sub(sigma, Dense.mul(sigmaHt, gain, n));
    return new BruteForceGaussian(postMean, Dense.symmetrize(postCov), logLik, m, steps);
  }

  /** {@code log N(Z; mean, cov)} of a whole trajectory {@code z[T][m]} under this posterior. */
  public double logDensity(double[][] z) {
    double[] flat = new double[steps * m];
    for (int t = 0; t < steps; t++) {
      System.arraycopy(z[t], 0, flat, t * m, m);
    }
    return Dense.logGaussian(flat, mean, Dense.cholesky(cov));
  }

  /** Posterior mean of z_t. */
  public double[] mean(int t) {
    double[] out = new double[m];
    System.arraycopy(mean, t * m, out, 0, m);
    return out;
  }

  /** Posterior Cov(z_s, z_t). */
  public double[][] cov(int s, int t) {
    double[][] out = new double[m][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        out[i][j] = cov[s * m + i][t * m + j];
      }
    }
    return out;
  }

  /** Posterior means of every step, [T][m]. */
  public double[][] means() {
    double[][] out = new double[steps][];
    for (int t = 0; t < steps; t++) {
      out[t] = mean(t);
    }
    return out;
  }

  /** Posterior marginal covariances of every step, [T][m][m]. */
  public double[][][] covs() {
    double[][][] out = new double[steps][][];
    for (int t = 0; t < steps; t++) {
      out[t] = cov(t, t);
    }
    return out;
  }
}
