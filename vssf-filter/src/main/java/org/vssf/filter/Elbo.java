package org.vssf.filter;

import java.util.List;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/**
 * The Monte-Carlo ELBO (MATH.md eq. 3), per sequence:
 *
 * <pre>
 *   log p(z_{1:T}|u) = log N(z_1; 0, Σz) + Σ_{t<T} log N(z_{t+1}; A z_t + B u_t, Σw)
 *   KL    ≈ (1/S) Σ_s [log q(z^s) − log p(z^s | u)]
 *   recon = Σ_t Σ_j mask · log p(x_t^(j) | z_t)     (from the first sample trajectory)
 *   ELBO  = recon − β·KL,   loss = −mean over sequences
 * </pre>
 */
public final class Elbo {
  private Elbo() {}

  /** The terms, each per sequence [B] except {@link #loss} (a scalar). */
  public static final class Terms {
    /** ELBO per sequence. */
    public final Tensor elbo;
    /** KL estimate per sequence. */
    public final Tensor kl;
    /** Reconstruction log-likelihood per sequence. */
    public final Tensor recon;
    /** Mean over samples of log p(z|u), per sequence. */
    public final Tensor logPrior;
    /** Mean over samples of log q(z), per sequence. */
    public final Tensor logQ;
    /** −mean(ELBO): the training loss. */
    public final Tensor loss;

    Terms(Tensor elbo, Tensor kl, Tensor recon, Tensor logPrior, Tensor logQ, Tensor loss) {
      this.elbo = elbo;
      this.kl = kl;
      this.recon = recon;
      this.logPrior = logPrior;
      this.logQ = logQ;
      this.loss = loss;
    }
  }

  /** log p(z^s_{1:T} | u) per sequence and sample, [B, S]. */
  public static Tensor logPrior(LinearGaussianDynamics dynamics, BackwardSampler.Samples samples,
      Tensor controls) {
    Tensor z0 = samples.latent(0);
    int b = z0.dim(0);
    int m = z0.dim(1);
    int s = z0.dim(2);
    Tensor lz = LinalgOps.cholesky(dynamics.initialCov());
    Tensor lp = gaussianColumns(z0, lz, b, m, s);
    Tensor a = dynamics.dynamicsMatrix();
    Tensor lw = dynamics.processCovChol();
    for (int t = 0; t + 1 < samples.steps(); t++) {
      Tensor pred = Ops.add(LinalgOps.matmul(a, samples.latent(t)),
          InformationFilter.controlTerm(dynamics, controls, t));
      lp = Ops.add(lp, gaussianColumns(Ops.sub(samples.latent(t + 1), pred), lw, b, m, s));
    }
    return lp;
  }

  /** log N(r; 0, L Lᵀ) for residual columns r [B, m, S] with covariance factor L [m, m]: [B, S]. */
  private static Tensor gaussianColumns(Tensor r, Tensor l, int b, int m, int s) {
    Tensor cols = Ops.reshape(Ops.permute(r, 1, 0, 2), m, b * s); // [m, B·S]
    Tensor white = LinalgOps.solveTriangular(l, cols, true, false);
    Tensor quad = Ops.reshape(Ops.sum(Ops.square(white), new int[] {0}, false), b, s);
    float constant = (float) (-0.5 * m * Math.log(2 * Math.PI));
    Tensor halfLogDet = Ops.scale(LinalgOps.logDetFromCholesky(l), 0.5f);
    return Ops.sub(Ops.addScalar(Ops.scale(quad, -0.5f), constant), halfLogDet);
  }

  /**
   * All terms. {@code observations}/{@code masks} as for {@link InformationFilter#run}; the
   * reconstruction uses sample 0 of each sequence.
   */
  public static Terms compute(LinearGaussianDynamics dynamics, List<Sensor> sensors,
      List<Tensor> observations, List<Tensor> masks, Tensor controls,
      BackwardSampler.Samples samples, float beta) {
    Tensor logP = samples.logPrior() != null ? samples.logPrior() : logPrior(dynamics, samples, controls);
    Tensor klPerSample = Ops.sub(samples.logQ, logP);
    Tensor kl = Ops.mean(klPerSample, new int[] {1}, false);
    Tensor trajectory = samples.firstTrajectory(); // [B, T, m]
    Tensor recon = null;
    for (int j = 0; j < sensors.size(); j++) {
      Tensor ll = sensors.get(j).logLikelihood(observations.get(j), trajectory); // [B, T]
      Tensor mask = masks == null ? null : masks.get(j);
      if (mask != null) {
        ll = Ops.mul(ll, mask);
      }
      Tensor perSeq = Ops.sum(ll, new int[] {1}, false);
      recon = recon == null ? perSeq : Ops.add(recon, perSeq);
    }
    Tensor elbo = Ops.sub(recon, Ops.scale(kl, beta));
    Tensor loss = Ops.neg(Ops.mean(elbo));
    return new Terms(elbo, kl, recon, Ops.mean(logP, new int[] {1}, false),
        Ops.mean(samples.logQ, new int[] {1}, false), loss);
  }
}
