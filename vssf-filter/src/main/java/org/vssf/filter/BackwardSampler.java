package org.vssf.filter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;
import org.vssf.nn.RandomStreams;

/**
 * Samples the smoothing posterior backwards (MATH.md, eqs. 4–5), S samples per sequence, with the
 * reparameterisation {@code z = μ + L⁻ᵀε} where {@code Λ = L Lᵀ}:
 *
 * <pre>
 *   z_T ~ N(μ_{T|T}, Λ_{T|T}⁻¹)
 *   t < T:  Λ_t^b = Λ_{t|t} + Aᵀ Σw⁻¹ A,   η_t^b = η_{t|t} + Aᵀ Σw⁻¹ (z_{t+1} − B u_t),
 *           z_t ~ N((Λ_t^b)⁻¹ η_t^b, (Λ_t^b)⁻¹)
 *   log q = Σ_t log N(z_t; μ_t^b, (Λ_t^b)⁻¹)
 * </pre>
 *
 * Λ_t^b does not depend on the sample, so each step factors once per sequence and the S samples
 * are the columns of one batched solve ({@code [B, m, S]}). At {@code z = μ + L⁻ᵀε} the log
 * density is {@code −½‖ε‖² + Σ log L_ii − (m/2) log 2π} exactly, as a function of the parameters
 * and ε, so that form (and its reparameterised gradient) is used.
 */
public final class BackwardSampler {
  private BackwardSampler() {}

  /**
   * Samples and their log-densities: either a list of per-step tensors (this class's composite
   * sampler) or the packed {@code [B, T·m + 2, S]} output of {@link FusedPosterior}, which also
   * carries log p(z | u).
   */
  public static final class Samples {
    private final List<Tensor> latents;
    private final Tensor packed;
    private final int steps;
    private final int m;
    /** log q(z^s_{1:T}) per sequence and sample, [B, S]. */
    public final Tensor logQ;
    private final Tensor logPrior;

    Samples(List<Tensor> latents, Tensor logQ) {
      this.latents = Collections.unmodifiableList(latents);
      this.packed = null;
      this.steps = latents.size();
      this.m = latents.get(0).dim(1);
      this.logQ = logQ;
      this.logPrior = null;
    }

    Samples(Tensor packed, int steps, int m) {
      this.latents = null;
      this.packed = packed;
      this.steps = steps;
      this.m = m;
      int b = packed.dim(0);
      int s = packed.dim(2);
      this.logQ = Ops.reshape(Ops.slice(packed, 1, steps * m, steps * m + 1), b, s);
      this.logPrior = Ops.reshape(Ops.slice(packed, 1, steps * m + 1, steps * m + 2), b, s);
    }

    /** z_t for all sequences and samples, [B, m, S]. */
    public Tensor latent(int t) {
      if (packed != null) {
        if (t < 0 || t >= steps) {
          throw new IndexOutOfBoundsException("latent(" + t + ") of " + steps + " steps");
        }
        return Ops.slice(packed, 1, t * m, (t + 1) * m);
      }
      return latents.get(t);
    }

    /** The first sample's trajectory, [B, T, m] (what the reconstruction term decodes). */
    public Tensor firstTrajectory() {
      if (packed != null) {
        int b = packed.dim(0);
        return Ops.reshape(Ops.slice(Ops.slice(packed, 2, 0, 1), 1, 0, steps * m), b, steps, m);
      }
      Tensor[] first = new Tensor[steps];
      for (int t = 0; t < steps; t++) {
        Tensor z = latents.get(t);
        first[t] = Ops.reshape(Ops.slice(z, 2, 0, 1), z.dim(0), m);
      }
      return Ops.stack(1, first);
    }

    /** log p(z^s_{1:T} | u), [B, S], when the sampler computed it ({@link FusedPosterior}); else null. */
    public Tensor logPrior() {
      return logPrior;
    }

    /** Number of steps T. */
    public int steps() {
      return steps;
    }
  }

  /** Draws S samples per sequence using standard normal noise from {@code noise}. */
  public static Samples sample(LinearGaussianDynamics dynamics, FilterResult filter, Tensor controls,
      int samples, SplittableRandom noise) {
    if (samples < 1) {
      throw new IllegalArgumentException("BackwardSampler: samples must be >= 1, got " + samples);
    }
    int steps = filter.steps();
    int m = dynamics.latentSize();
    int b = filter.filteredMean(0).dim(0);
    InformationFilter.checkControls(dynamics, controls, b, steps);
    Tensor a = dynamics.dynamicsMatrix();
    Tensor eye = Tensor.wrap(LinearGaussianDynamics.identity(m), m, m);
    Tensor processPrec = LinalgOps.spdSolve(dynamics.processCov(), eye); // Σw⁻¹
    Tensor g = LinalgOps.matmul(Ops.transpose(a), processPrec); // Aᵀ Σw⁻¹
    Tensor h = LinalgOps.matmul(g, a); // Aᵀ Σw⁻¹ A
    float constant = (float) (-0.5 * m * Math.log(2 * Math.PI));
    Tensor[] z = new Tensor[steps];
    Tensor logQ = null;
    for (int t = steps - 1; t >= 0; t--) {
      Tensor l;
      Tensor mu;
      if (t == steps - 1) {
        l = filter.filteredPrecisionChol(t);
        mu = filter.filteredMean(t);
      } else {
        l = LinalgOps.cholesky(Ops.add(filter.filteredPrecision(t), h).named("backward precision"));
        Tensor r = Ops.sub(z[t + 1], InformationFilter.controlTerm(dynamics, controls, t));
        Tensor eta = Ops.add(filter.filteredInfo(t), LinalgOps.matmul(g, r));
        mu = InformationFilter.cholSolve(l, eta);
      }
      Tensor eps = standardNormal(noise, b, m, samples);
      z[t] = Ops.add(mu, LinalgOps.solveTriangular(l, eps, true, true));
      // −½‖ε‖² + ½ log det Λ + const, per (b, s)
      Tensor quad = Ops.scale(Ops.sum(Ops.square(eps), new int[] {1}, false), -0.5f); // [B, S]
      Tensor halfLogDet = Ops.reshape(Ops.scale(LinalgOps.logDetFromCholesky(l), 0.5f), b, 1);
      Tensor term = Ops.addScalar(Ops.add(quad, halfLogDet), constant);
      logQ = logQ == null ? term : Ops.add(logQ, term);
    }
    List<Tensor> list = new ArrayList<>();
    Collections.addAll(list, z);
    return new Samples(list, logQ);
  }

  private static Tensor standardNormal(SplittableRandom rng, int b, int m, int s) {
    float[] e = new float[b * m * s];
    RandomStreams.fillGaussian(rng, e, 0, e.length);
    return Tensor.wrap(e, b, m, s);
  }
}
