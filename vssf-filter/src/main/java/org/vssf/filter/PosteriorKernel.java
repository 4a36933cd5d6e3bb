package org.vssf.filter;

import org.vssf.linalg.Parallel;

/**
 * The fused forward filter, backward sampler and log-densities of {@link FusedPosterior}, with the
 * hand-derived adjoint. Per sequence, in double, with the S samples as contiguous rows so that the
 * per-sample loops are simple streams; sequences run in parallel chunks and every shared gradient
 * is reduced in sequence order, so results do not depend on the thread count.
 *
 * <p>Inputs (float, row-major): A, Σw, Σz [m, m]; the control term c_t = B u_t [B, T−1, m] (or
 * none); per sensor j a precision Λx [m, m] or [B, T, m, m], an information vector ηx [B, T, m] and
 * a 0/1 mask [B, T] (or none); noise ε in blocks [B, m, S], one per step from t = T−1 down to 0.
 * Output [B, T·m + 2, S]: rows t·m + i hold z_t,i, then log q, then log p(z | u).
 *
 * <p>Forward, per sequence (MATH.md): Λ_0 = Σz⁻¹ + Σ_j Λx, η_0 = Σ_j ηx; for t ≥ 1, ν = Aμ_{t−1} +
 * c_{t−1}, M = L_{t−1}⁻¹Aᵀ, P = MᵀM + Σw, Λ_t = P⁻¹ + Σ_j Λx, η_t = P⁻¹ν + Σ_j ηx, L_t = chol(Λ_t),
 * μ_t = Λ_t⁻¹η_t. Backward sampler: L^b_t = chol(Λ_t + AᵀWA) (L_{T−1} at the end), W = Σw⁻¹,
 * η^b = η_t + AᵀW(z_{t+1} − c_t), z_t = L^b⁻ᵀ(L^b⁻¹η^b + ε); log q = Σ_t (−½‖ε_t‖² + Σ_i log
 * L^b_ii − (m/2) log 2π); log p = log N(z_0; 0, Σz) + Σ_t log N(z_{t+1} − Az_t − c_t; 0, Σw).
 *
 * <p>Adjoint (reverse order: prior, then sampler for t = 0 … T−1, then filter for t = T−1 … 0),
 * with q = Λ⁻¹ḡ for a mean μ = Λ⁻¹η: η̄ += q, Λ̄ −= q μᵀ; for v = L⁻ᵀε: L̄ −= v (L⁻¹v̄)ᵀ; for
 * Σ log L_ii: L̄_ii += 1/L_ii; Cholesky by Murray's rule (as {@code LinalgOps.cholesky}); for Λ =
 * P⁻¹, y = P⁻¹ν: ν̄ = Λȳ, P̄ = −ΛΛ̄Λ − ν̄yᵀ; for P = MᵀM + Σw: M̄ = M(P̄ + P̄ᵀ); for M = L⁻¹Aᵀ with R =
 * L⁻ᵀM̄: Ā += Rᵀ, L̄ −= RMᵀ; for G = AᵀW, H = GA: Ā += W Ḡᵀ + WA(H̄ + H̄ᵀ), W̄ = AḠ + AH̄Aᵀ; for W =
 * Σw⁻¹: Σ̄w −= WW̄W. Gradients of symmetric inputs are returned symmetric (the convention of
 * {@code LinalgOps}).
 */
final class PosteriorKernel {
  private static final double LOG_2PI = Math.log(2 * Math.PI);

  final int batch;
  final int steps;
  final int m;
  final int samples;
  private final int mm;
  private final float[] a;
  private final float[] control;
  private final float[][] precision;
  private final boolean[] shared;
  private final float[][] info;
  private final float[][] mask;
  private final float[] eps;
  private final int parallelism;

  // Constants of the dynamics, in double.
  private final double[] ad;
  private final double[] swd;
  private final double[] lw;
  private final double[] w;
  private final double[] lz;
  private final double[] zinv;
  private final double[] g;
  private final double[] h;
  private final double halfLogDetW;
  private final double halfLogDetZ;

  PosteriorKernel(int batch, int steps, int m, int samples, float[] a, float[] processCov, float[] initialCov,
      float[] control, float[][] precision, boolean[] shared, float[][] info, float[][] mask, float[] eps,
      int parallelism) {
    this.batch = batch;
    this.steps = steps;
    this.m = m;
    this.samples = samples;
    this.mm = m * m;
    this.a = a;
    this.control = control;
    this.precision = precision;
    this.shared = shared;
    this.info = info;
    this.mask = mask;
    this.eps = eps;
    this.parallelism = parallelism;
    ad = toDouble(a);
    swd = toDouble(processCov);
    lw = new double[mm];
    SmallDense.cholesky("process covariance Σw", 0, swd, lw, m);
    w = inverse(lw);
    lz = new double[mm];
    SmallDense.cholesky("initial covariance Σz", 0, toDouble(initialCov), lz, m);
    zinv = inverse(lz);
    g = new double[mm];
    h = new double[mm];
    for (int i = 0; i < m; i++) { // G = AᵀW
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < m; k++) {
          s += ad[k * m + i] * w[k * m + j];
        }
        g[i * m + j] = s;
      }
    }
    mul(g, ad, h, m); // H = G A
    halfLogDetW = halfLogDet(lw);
    halfLogDetZ = halfLogDet(lz);
  }

  /** Rows of the output per sequence. */
  int rows() {
    return steps * m + 2;
  }

  // ================================================================================== forward

  /** Fills {@code out} ([B, T·m + 2, S]). */
  void forward(float[] out) {
    Parallel.forEachChunk(batch, parallelism, (chunk, from, to) -> {
      Work wk = new Work();
      for (int b = from; b < to; b++) {
        filter(b, wk);
        sample(b, wk, out);
      }
    });
  }

  /** The forward filter of sequence b into the work arrays. */
  private void filter(int b, Work wk) {
    double[] col = wk.vec;
    for (int t = 0; t < steps; t++) {
      int om = t * mm;
      int ov = t * m;
      if (t == 0) {
        System.arraycopy(zinv, 0, wk.lam, 0, mm);
        java.util.Arrays.fill(wk.eta, 0, m, 0);
      } else {
        int pm = om - mm;
        int pv = ov - m;
        for (int i = 0; i < m; i++) { // ν = A μ_{t−1} + c_{t−1}
          double s = controlAt(b, t - 1, i);
          for (int k = 0; k < m; k++) {
            s += ad[i * m + k] * wk.mu[pv + k];
          }
          wk.nu[ov + i] = s;
        }
        for (int j = 0; j < m; j++) { // column j of M = L⁻¹Aᵀ solves L x = (row j of A)
          for (int i = 0; i < m; i++) {
            double s = ad[j * m + i];
            for (int k = 0; k < i; k++) {
              s -= wk.l[pm + i * m + k] * wk.mmat[om + k * m + j];
            }
            wk.mmat[om + i * m + j] = s / wk.l[pm + i * m + i];
          }
        }
        double[] p = wk.tmp;
        for (int i = 0; i < m; i++) { // P = MᵀM + Σw
          for (int j = 0; j < m; j++) {
            double s = swd[i * m + j];
            for (int k = 0; k < m; k++) {
              s += wk.mmat[om + k * m + i] * wk.mmat[om + k * m + j];
            }
            p[i * m + j] = s;
          }
        }
        SmallDense.cholesky("predicted covariance", b, p, wk.tmp2, m);
        for (int j = 0; j < m; j++) { // Λp = P⁻¹, column by column
          for (int i = 0; i < m; i++) {
            col[i] = i == j ? 1 : 0;
          }
          SmallDense.solve(wk.tmp2, col, m);
          for (int i = 0; i < m; i++) {
            wk.lamP[om + i * m + j] = col[i];
          }
        }
        for (int i = 0; i < m; i++) { // y = Λp ν
          double s = 0;
          for (int k = 0; k < m; k++) {
            s += wk.lamP[om + i * m + k] * wk.nu[ov + k];
          }
          wk.y[ov + i] = s;
        }
        System.arraycopy(wk.lamP, om, wk.lam, om, mm);
        System.arraycopy(wk.y, ov, wk.eta, ov, m);
      }
      for (int j = 0; j < precision.length; j++) {
        if (present(j, b, t)) {
          float[] pj = precision[j];
          int po = shared[j] ? 0 : (b * steps + t) * mm;
          for (int e = 0; e < mm; e++) {
            wk.lam[om + e] += pj[po + e];
          }
          int io = (b * steps + t) * m;
          for (int i = 0; i < m; i++) {
            wk.eta[ov + i] += info[j][io + i];
          }
        }
      }
      System.arraycopy(wk.lam, om, wk.tmp, 0, mm);
      SmallDense.cholesky("filteredPrecision", b, wk.tmp, wk.tmp2, m);
      System.arraycopy(wk.tmp2, 0, wk.l, om, mm);
      for (int i = 0; i < m; i++) {
        col[i] = wk.eta[ov + i];
      }
      SmallDense.solve(wk.tmp2, col, m);
      System.arraycopy(col, 0, wk.mu, ov, m);
    }
  }

  /** Backward factor of step t into {@code lb}: L_{T−1}, or chol(Λ_t + H). */
  private void backwardFactor(int b, int t, Work wk, double[] lb) {
    if (t == steps - 1) {
      System.arraycopy(wk.l, t * mm, lb, 0, mm);
      return;
    }
    for (int e = 0; e < mm; e++) {
      wk.tmp[e] = wk.lam[t * mm + e] + h[e];
    }
    SmallDense.cholesky("backward precision", b, wk.tmp, lb, m);
  }

  /** Backward sampler and log-densities of sequence b (after {@link #filter}). */
  private void sample(int b, Work wk, float[] out) {
    int s = samples;
    int rows = rows();
    double[][] znext = wk.rowsA;
    double[][] z = wk.rowsB;
    double[] logQ = wk.accQ;
    double[] logP = wk.accP;
    java.util.Arrays.fill(logQ, 0, s, 0);
    java.util.Arrays.fill(logP, 0, s, 0);
    double[] lb = wk.lb;
    for (int t = steps - 1; t >= 0; t--) {
      backwardFactor(b, t, wk, lb);
      int eo = epsOffset(b, t);
      for (int i = 0; i < m; i++) { // η^b = η_t + G (z_{t+1} − c_t)
        double[] zi = z[i];
        java.util.Arrays.fill(zi, 0, s, wk.eta[t * m + i]);
        if (t < steps - 1) {
          for (int k = 0; k < m; k++) {
            double gik = g[i * m + k];
            double ck = controlAt(b, t, k);
            double[] zk = znext[k];
            for (int q = 0; q < s; q++) {
              zi[q] += gik * (zk[q] - ck);
            }
          }
        }
      }
      forwardSolve(lb, z, s); // L⁻¹η^b
      for (int i = 0; i < m; i++) { // + ε
        double[] zi = z[i];
        int o = eo + i * s;
        for (int q = 0; q < s; q++) {
          zi[q] += eps[o + q];
        }
      }
      backSolve(lb, z, s); // z = L⁻ᵀ(L⁻¹η^b + ε)
      double cq = halfLogDet(lb) - 0.5 * m * LOG_2PI; // Σ log L_ii − (m/2) log 2π
      for (int i = 0; i < m; i++) {
        int o = eo + i * s;
        for (int q = 0; q < s; q++) {
          double e = eps[o + q];
          logQ[q] -= 0.5 * e * e;
        }
      }
      for (int q = 0; q < s; q++) {
        logQ[q] += cq;
      }
      if (t < steps - 1) { // log N(z_{t+1} − A z_t − c_t; 0, Σw)
        addTransitionLogDensity(b, t, z, znext, wk.rowsC, logP);
      }
      for (int i = 0; i < m; i++) {
        double[] zi = z[i];
        int o = (b * rows + t * m + i) * s;
        for (int q = 0; q < s; q++) {
          out[o + q] = (float) zi[q];
        }
      }
      double[][] swap = znext;
      znext = z;
      z = swap;
    }
    // znext now holds z_0: log N(z_0; 0, Σz)
    double[][] r = wk.rowsC;
    for (int i = 0; i < m; i++) {
      System.arraycopy(znext[i], 0, r[i], 0, s);
    }
    forwardSolve(lz, r, s);
    addGaussianLogDensity(r, halfLogDetZ, logP);
    int oq = (b * rows + steps * m) * s;
    for (int q = 0; q < s; q++) {
      out[oq + q] = (float) logQ[q];
      out[oq + s + q] = (float) logP[q];
    }
  }

  /** logP += log N(z_{t+1} − A z_t − c_t; 0, Σw), residual built in {@code r}. */
  private void addTransitionLogDensity(int b, int t, double[][] z, double[][] znext, double[][] r, double[] logP) {
    residual(b, t, z, znext, r);
    forwardSolve(lw, r, samples);
    addGaussianLogDensity(r, halfLogDetW, logP);
  }

  /** r = z_{t+1} − A z_t − c_t. */
  private void residual(int b, int t, double[][] z, double[][] znext, double[][] r) {
    int s = samples;
    for (int i = 0; i < m; i++) {
      double[] ri = r[i];
      double[] zn = znext[i];
      double ci = controlAt(b, t, i);
      for (int q = 0; q < s; q++) {
        ri[q] = zn[q] - ci;
      }
      for (int k = 0; k < m; k++) {
        double aik = ad[i * m + k];
        double[] zk = z[k];
        for (int q = 0; q < s; q++) {
          ri[q] -= aik * zk[q];
        }
      }
    }
  }

  /** logP += −½‖white‖² − ½ log det Σ − (m/2) log 2π for whitened residual rows. */
  private void addGaussianLogDensity(double[][] white, double halfLogDet, double[] logP) {
    int s = samples;
    double c = -halfLogDet - 0.5 * m * LOG_2PI;
    for (int i = 0; i < m; i++) {
      double[] wi = white[i];
      for (int q = 0; q < s; q++) {
        logP[q] -= 0.5 * wi[q] * wi[q];
      }
    }
    for (int q = 0; q < s; q++) {
      logP[q] += c;
    }
  }

  // ================================================================================= backward

  /** Gradient buffers (float, accumulated into; {@code null} when not wanted). */
  static final class Grads {
    float[] a;
    float[] processCov;
    float[] initialCov;
    float[] control;
    float[][] precision;
    float[][] info;
  }

  /** Accumulates the inputs' gradients given ∂loss/∂out ({@code gOut}) and the forward output. */
  void backward(float[] out, float[] gOut, Grads grads) {
    int k = precision.length;
    // Per-sequence partial sums of the gradients of shared inputs, reduced in sequence order below.
    double[][] pa = new double[batch][];
    double[][] pg = new double[batch][];
    double[][] ph = new double[batch][];
    double[][] psw = new double[batch][];
    double[][] pzinv = new double[batch][];
    double[][] psz = new double[batch][];
    double[][][] pprec = new double[batch][k][];
    Parallel.forEachChunk(batch, parallelism, (chunk, from, to) -> {
      Work wk = new Work();
      for (int b = from; b < to; b++) {
        Partial p = new Partial(m, k, shared);
        backwardSequence(b, wk, out, gOut, grads, p);
        pa[b] = p.a;
        pg[b] = p.g;
        ph[b] = p.h;
        psw[b] = p.sw;
        pzinv[b] = p.zinv;
        psz[b] = p.sz;
        pprec[b] = p.prec;
      }
    });
    double[] ga = reduce(pa);
    double[] gg = reduce(pg);
    double[] gh = reduce(ph);
    double[] gsw = reduce(psw);
    double[] gzinv = reduce(pzinv);
    double[] gsz = reduce(psz);
    double[] wa = new double[mm];
    mul(w, ad, wa, m); // W A
    for (int i = 0; i < m; i++) { // Ā += W Ḡᵀ + W A (H̄ + H̄ᵀ)
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int q = 0; q < m; q++) {
          s += w[i * m + q] * gg[j * m + q] + wa[i * m + q] * (gh[q * m + j] + gh[j * m + q]);
        }
        ga[i * m + j] += s;
      }
    }
    double[] gw = new double[mm]; // W̄ = A Ḡ + A H̄ Aᵀ
    double[] t1 = new double[mm];
    mul(ad, gg, gw, m);
    mul(ad, gh, t1, m);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int q = 0; q < m; q++) {
          s += t1[i * m + q] * ad[j * m + q];
        }
        gw[i * m + j] += s;
      }
    }
    subSandwich(w, gw, gsw); // Σ̄w −= W W̄ W
    subSandwich(zinv, gzinv, gsz); // Σ̄z −= Σz⁻¹ Σ̄z⁻¹ Σz⁻¹
    addInto(grads.a, ga, false);
    addInto(grads.processCov, gsw, true);
    addInto(grads.initialCov, gsz, true);
    for (int j = 0; j < k; j++) {
      if (shared[j] && grads.precision[j] != null) {
        double[][] parts = new double[batch][];
        for (int b = 0; b < batch; b++) {
          parts[b] = pprec[b][j];
        }
        addInto(grads.precision[j], reduce(parts), true);
      }
    }
  }

  /** Shared-gradient partial sums of one sequence. */
  private static final class Partial {
    final double[] a;
    final double[] g;
    final double[] h;
    final double[] sw;
    final double[] zinv;
    final double[] sz;
    final double[][] prec;

    Partial(int m, int k, boolean[] shared) {
      int mm = m * m;
      a = new double[mm];
      g = new double[mm];
      h = new double[mm];
      sw = new double[mm];
      zinv = new double[mm];
      sz = new double[mm];
      prec = new double[k][];
      for (int j = 0; j < k; j++) {
        prec[j] = shared[j] ? new double[mm] : null;
      }
    }
  }

  private void backwardSequence(int b, Work wk, float[] out, float[] gOut, Grads grads, Partial p) {
    filter(b, wk);
    wk.allocateTrajectories();
    int s = samples;
    int rows = rows();
    for (int t = 0; t < steps; t++) {
      for (int i = 0; i < m; i++) {
        int o = (b * rows + t * m + i) * s;
        load(gOut, o, wk.gz[t][i], s);
        load(out, o, wk.z[t][i], s);
      }
    }
    int oq = (b * rows + steps * m) * s;
    load(gOut, oq, wk.accQ, s);
    load(gOut, oq + s, wk.accP, s);
    java.util.Arrays.fill(wk.gLam, 0, steps * mm, 0);
    java.util.Arrays.fill(wk.gEta, 0, steps * m, 0);
    java.util.Arrays.fill(wk.gc, 0, Math.max(0, steps - 1) * m, 0);
    priorReverse(b, wk, p);
    double sumGq = sum(wk.accQ, s);
    for (int t = 0; t < steps; t++) {
      samplerReverse(b, t, wk, p, sumGq);
    }
    for (int t = steps - 1; t >= 0; t--) {
      filterReverse(b, t, wk, grads, p);
    }
    if (grads.control != null) {
      int co = b * (steps - 1) * m;
      for (int e = 0; e < (steps - 1) * m; e++) {
        grads.control[co + e] += (float) wk.gc[e];
      }
    }
  }

  /**
   * Adjoint of log p(z | u) = log N(z_0; 0, Σz) + Σ_t log N(e_t; 0, Σw), e_t = z_{t+1} − A z_t − c_t:
   * with k = ḡp ⊙ W e, z̄_{t+1} −= k, z̄_t += Aᵀk, c̄_t += Σ k, Ā += Σ k z_tᵀ, Σ̄w += ½ Σ ḡp (We)(We)ᵀ −
   * ½ Σ ḡp W; the Σ over samples of the last two is kept per lane across steps and reduced once.
   */
  private void priorReverse(int b, Work wk, Partial p) {
    int s = samples;
    double[] gp = wk.accP;
    double sumGp = sum(gp, s);
    double[][] z0 = wk.z[0];
    double[][] u = wk.rowsA;
    for (int i = 0; i < m; i++) { // u = Σz⁻¹ z_0
      java.util.Arrays.fill(u[i], 0, s, 0);
      for (int k = 0; k < m; k++) {
        axpy(zinv[i * m + k], z0[k], u[i], s);
      }
    }
    for (int i = 0; i < m; i++) { // z̄_0 −= ḡp u;  Σ̄z += ½ Σ ḡp u uᵀ − ½ (Σ ḡp) Σz⁻¹
      for (int j = 0; j <= i; j++) {
        double v = 0.5 * weightedDot(gp, u[i], u[j], s) - 0.5 * sumGp * zinv[i * m + j];
        p.sz[i * m + j] += v;
        if (j != i) {
          p.sz[j * m + i] += v;
        }
      }
      mulSub(gp, u[i], wk.gz[0][i], s);
    }
    if (steps < 2) {
      return;
    }
    double[][] r = wk.rowsB;
    double[][] kk = wk.rowsC;
    for (int e = 0; e < wk.laneSw.length; e++) {
      java.util.Arrays.fill(wk.laneSw[e], 0, s, 0);
    }
    for (int e = 0; e < mm; e++) {
      java.util.Arrays.fill(wk.laneA[e], 0, s, 0);
    }
    for (int t = 0; t + 1 < steps; t++) {
      double[][] zt = wk.z[t];
      residual(b, t, zt, wk.z[t + 1], r);
      for (int i = 0; i < m; i++) { // W e
        java.util.Arrays.fill(kk[i], 0, s, 0);
        for (int j = 0; j < m; j++) {
          axpy(w[i * m + j], r[j], kk[i], s);
        }
      }
      int e = 0;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j <= i; j++) {
          accumulate3(gp, kk[i], kk[j], wk.laneSw[e++], s);
        }
      }
      for (int i = 0; i < m; i++) {
        double[] ki = kk[i];
        mulInPlace(gp, ki, s); // k = ḡp ⊙ W e
        sub(ki, wk.gz[t + 1][i], s);
        wk.gc[t * m + i] += sum(ki, s);
        for (int j = 0; j < m; j++) {
          accumulate(ki, zt[j], wk.laneA[i * m + j], s);
          axpy(ad[i * m + j], ki, wk.gz[t][j], s);
        }
      }
    }
    int e = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j <= i; j++) {
        double v = 0.5 * sum(wk.laneSw[e++], s) - 0.5 * (steps - 1) * sumGp * w[i * m + j];
        p.sw[i * m + j] += v;
        if (j != i) {
          p.sw[j * m + i] += v;
        }
      }
    }
    for (int k = 0; k < mm; k++) {
      p.a[k] += sum(wk.laneA[k], s);
    }
  }

  /**
   * Adjoint of the backward sampler's step t (z_t = L⁻ᵀ(L⁻¹η^b + ε), log q's Σ log L_ii): with w =
   * L⁻¹z̄, q = L⁻ᵀw, v = L⁻ᵀε: η̄_t += Σ q, L̄ = −tril(Σ v wᵀ) + diag(Σ ḡq / L_ii), Λ̄^b = −Σ q μ^bᵀ +
   * chol'(L̄); for t < T−1 also z̄_{t+1} += Gᵀq, c̄_t −= Gᵀ Σ q, Ḡ += Σ q (z_{t+1} − c_t)ᵀ, H̄ += Λ̄^b.
   * Σ q μ^bᵀ comes from Σ q z_{t+1}ᵀ, since μ^b = Λb⁻¹(η_t − G c_t) + Λb⁻¹G z_{t+1} is affine in
   * z_{t+1}.
   */
  private void samplerReverse(int b, int t, Work wk, Partial p, double sumGq) {
    int s = samples;
    double[] lb = wk.lb;
    backwardFactor(b, t, wk, lb);
    double[][] v = wk.rowsA;
    double[][] wv = wk.rowsB;
    double[][] qq = wk.rowsC;
    int eo = epsOffset(b, t);
    for (int i = 0; i < m; i++) {
      load(eps, eo + i * s, v[i], s);
      System.arraycopy(wk.gz[t][i], 0, wv[i], 0, s);
    }
    backSolve(lb, v, s); // v = L⁻ᵀε
    forwardSolve(lb, wv, s); // w = L⁻¹ z̄
    for (int i = 0; i < m; i++) {
      System.arraycopy(wv[i], 0, qq[i], 0, s);
    }
    backSolve(lb, qq, s); // q = L⁻ᵀw = Λb⁻¹ z̄
    double[] sq = wk.vec;
    double[] gl = wk.tmp3;
    java.util.Arrays.fill(gl, 0, mm, 0);
    for (int i = 0; i < m; i++) {
      sq[i] = sum(qq[i], s);
      wk.gEta[t * m + i] += sq[i];
      for (int j = 0; j <= i; j++) {
        gl[i * m + j] = -dot(v[i], wv[j], s);
      }
      gl[i * m + i] += sumGq / lb[i * m + i];
    }
    double[] gLamB = wk.tmp4;
    if (t == steps - 1) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          gLamB[i * m + j] = -sq[i] * wk.mu[t * m + j];
        }
      }
    } else {
      double[] sqz = wk.tmp5; // Σ q z_{t+1}ᵀ
      for (int i = 0; i < m; i++) {
        for (int k = 0; k < m; k++) {
          sqz[i * m + k] = dot(qq[i], wk.z[t + 1][k], s);
        }
      }
      double[] kb = wk.tmp; // Λb⁻¹ G, and κ = Λb⁻¹(η_t − G c_t)
      double[] kappa = wk.vec2;
      System.arraycopy(g, 0, kb, 0, mm);
      for (int j = 0; j < m; j++) {
        SmallDense.solveColumn(lb, kb, j, m);
      }
      for (int i = 0; i < m; i++) {
        double acc = wk.eta[t * m + i];
        for (int k = 0; k < m; k++) {
          acc -= g[i * m + k] * controlAt(b, t, k);
        }
        kappa[i] = acc;
      }
      SmallDense.solve(lb, kappa, m);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          double acc = kappa[j] * sq[i];
          for (int k = 0; k < m; k++) {
            acc += kb[j * m + k] * sqz[i * m + k];
          }
          gLamB[i * m + j] = -acc;
          p.g[i * m + j] += sqz[i * m + j] - sq[i] * controlAt(b, t, j);
        }
      }
      for (int j = 0; j < m; j++) { // z̄_{t+1} += Gᵀ q; c̄_t −= Gᵀ Σ q
        for (int i = 0; i < m; i++) {
          double c = g[i * m + j];
          axpy(c, qq[i], wk.gz[t + 1][j], s);
          wk.gc[t * m + j] -= c * sq[i];
        }
      }
    }
    choleskyBackward(lb, gl, gLamB, wk);
    if (t < steps - 1) {
      for (int e = 0; e < mm; e++) {
        p.h[e] += gLamB[e];
      }
    }
    for (int e = 0; e < mm; e++) {
      wk.gLam[t * mm + e] += gLamB[e];
    }
  }

  /**
   * Adjoint of the filter's step t: sensors receive Λ̄_t, η̄_t; for t ≥ 1 the prediction from step
   * t−1 (ν̄, P̄, M̄, R as in the class comment) adds into Ā, Σ̄w, c̄_{t−1}, η̄_{t−1} and Λ̄_{t−1} (through
   * μ_{t−1} and the Cholesky factor L_{t−1}); at t = 0, Λ̄_0 goes to Σz⁻¹.
   */
  private void filterReverse(int b, int t, Work wk, Grads grads, Partial p) {
    double[] gLam = wk.gLam;
    double[] gEta = wk.gEta;
    double[] gc = wk.gc;
    double[] gl = wk.tmp3;
    double[] gPcov = wk.tmp;
    double[] gM = wk.tmp2;
    {
      int om = t * mm;
      int ov = t * m;
      symmetrise(gLam, om, m);
      for (int j = 0; j < precision.length; j++) {
        if (!present(j, b, t)) {
          continue;
        }
        if (shared[j]) {
          if (p.prec[j] != null) {
            for (int e = 0; e < mm; e++) {
              p.prec[j][e] += gLam[om + e];
            }
          }
        } else if (grads.precision[j] != null) {
          int po = (b * steps + t) * mm;
          for (int e = 0; e < mm; e++) {
            grads.precision[j][po + e] += (float) gLam[om + e];
          }
        }
        if (grads.info[j] != null) {
          int io = (b * steps + t) * m;
          for (int i = 0; i < m; i++) {
            grads.info[j][io + i] += (float) gEta[ov + i];
          }
        }
      }
      if (t == 0) {
        for (int e = 0; e < mm; e++) {
          p.zinv[e] += gLam[e];
        }
        return;
      }
      int pm = om - mm;
      int pv = ov - m;
      double[] gnu = wk.vec;
      for (int i = 0; i < m; i++) { // ν̄ = Λp ȳ
        double sum = 0;
        for (int k = 0; k < m; k++) {
          sum += wk.lamP[om + i * m + k] * gEta[ov + k];
        }
        gnu[i] = sum;
      }
      for (int i = 0; i < m; i++) { // P̄ = −Λp Λ̄ Λp − ν̄ yᵀ
        for (int j = 0; j < m; j++) {
          double sum = 0;
          for (int k = 0; k < m; k++) {
            double left = 0;
            for (int q = 0; q < m; q++) {
              left += wk.lamP[om + i * m + q] * gLam[om + q * m + k];
            }
            sum += left * wk.lamP[om + k * m + j];
          }
          gPcov[i * m + j] = -sum - gnu[i] * wk.y[ov + j];
        }
      }
      for (int e = 0; e < mm; e++) {
        p.sw[e] += gPcov[e];
      }
      for (int i = 0; i < m; i++) { // M̄ = M (P̄ + P̄ᵀ)
        for (int j = 0; j < m; j++) {
          double sum = 0;
          for (int k = 0; k < m; k++) {
            sum += wk.mmat[om + i * m + k] * (gPcov[k * m + j] + gPcov[j * m + k]);
          }
          gM[i * m + j] = sum;
        }
      }
      double[] rr = gM; // R = L_{t−1}⁻ᵀ M̄, in place, column by column (back substitution)
      for (int j = 0; j < m; j++) {
        for (int i = m - 1; i >= 0; i--) {
          double sum = rr[i * m + j];
          for (int k = i + 1; k < m; k++) {
            sum -= wk.l[pm + k * m + i] * rr[k * m + j];
          }
          rr[i * m + j] = sum / wk.l[pm + i * m + i];
        }
      }
      java.util.Arrays.fill(gl, 0, mm, 0);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          p.a[i * m + j] += rr[j * m + i] + gnu[i] * wk.mu[pv + j]; // Ā += Rᵀ + ν̄ μ_{t−1}ᵀ
        }
        for (int j = 0; j <= i; j++) { // L̄_{t−1} = −tril(R Mᵀ)
          double sum = 0;
          for (int k = 0; k < m; k++) {
            sum += rr[i * m + k] * wk.mmat[om + j * m + k];
          }
          gl[i * m + j] = -sum;
        }
        gc[pv + i] += gnu[i];
      }
      double[] qv = wk.vec2;
      for (int i = 0; i < m; i++) { // μ̄ = Aᵀ ν̄; q = Λ_{t−1}⁻¹ μ̄
        double sum = 0;
        for (int k = 0; k < m; k++) {
          sum += ad[k * m + i] * gnu[k];
        }
        qv[i] = sum;
      }
      System.arraycopy(wk.l, pm, wk.lb, 0, mm);
      SmallDense.solve(wk.lb, qv, m);
      double[] gLamPrev = wk.tmp4;
      for (int i = 0; i < m; i++) {
        gEta[pv + i] += qv[i];
        for (int j = 0; j < m; j++) {
          gLamPrev[i * m + j] = -qv[i] * wk.mu[pv + j];
        }
      }
      choleskyBackward(wk.lb, gl, gLamPrev, wk);
      for (int e = 0; e < mm; e++) {
        gLam[pm + e] += gLamPrev[e];
      }
    }
  }

  /**
   * {@code ga += L⁻ᵀ·½(Φ(LᵀL̄) + Φ(LᵀL̄)ᵀ)·L⁻¹} (Murray's rule, symmetric convention), L̄ lower.
   */
  private void choleskyBackward(double[] l, double[] gl, double[] ga, Work wk) {
    double[] s = wk.tmp5;
    for (int i = 0; i < m; i++) { // P = Lᵀ L̄, lower triangle only
      for (int j = 0; j <= i; j++) {
        double sum = 0;
        for (int k = i; k < m; k++) {
          sum += l[k * m + i] * gl[k * m + j];
        }
        s[i * m + j] = sum;
      }
    }
    for (int i = 0; i < m; i++) { // S = ½(Φ(P) + Φ(P)ᵀ)
      for (int j = 0; j < i; j++) {
        double v = 0.5 * s[i * m + j];
        s[i * m + j] = v;
        s[j * m + i] = v;
      }
      s[i * m + i] *= 0.5;
    }
    // X = L⁻ᵀ S (columns), then L⁻ᵀ Xᵀ = (X L⁻¹)ᵀ … Ā = L⁻ᵀ S L⁻¹ is symmetric, so Ā = L⁻ᵀ (L⁻ᵀ S)ᵀ.
    for (int pass = 0; pass < 2; pass++) {
      for (int j = 0; j < m; j++) {
        for (int i = m - 1; i >= 0; i--) {
          double sum = s[i * m + j];
          for (int k = i + 1; k < m; k++) {
            sum -= l[k * m + i] * s[k * m + j];
          }
          s[i * m + j] = sum / l[i * m + i];
        }
      }
      if (pass == 0) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < i; j++) {
            double tmp = s[i * m + j];
            s[i * m + j] = s[j * m + i];
            s[j * m + i] = tmp;
          }
        }
      }
    }
    for (int e = 0; e < mm; e++) {
      ga[e] += s[e];
    }
  }

  // ================================================================================== helpers

  /** Per-chunk scratch, sized once. */
  private final class Work {
    final double[] lam = new double[steps * mm];
    final double[] eta = new double[steps * m];
    final double[] l = new double[steps * mm];
    final double[] mu = new double[steps * m];
    final double[] mmat = new double[steps * mm];
    final double[] lamP = new double[steps * mm];
    final double[] nu = new double[steps * m];
    final double[] y = new double[steps * m];
    final double[] gLam = new double[steps * mm];
    final double[] gEta = new double[steps * m];
    final double[] gc = new double[Math.max(1, steps - 1) * m];
    final double[] tmp = new double[mm];
    final double[] tmp2 = new double[mm];
    final double[] tmp3 = new double[mm];
    final double[] tmp4 = new double[mm];
    final double[] tmp5 = new double[mm];
    final double[] lb = new double[mm];
    final double[] vec = new double[m];
    final double[] vec2 = new double[m];
    final double[][] rowsA = new double[m][samples];
    final double[][] rowsB = new double[m][samples];
    final double[][] rowsC = new double[m][samples];
    final double[] accQ = new double[samples];
    final double[] accP = new double[samples];
    double[][] laneSw;
    double[][] laneA;
    double[][][] gz;
    double[][][] z;

    /** Per-step sample rows, needed by the backward pass only. */
    void allocateTrajectories() {
      if (gz == null) {
        laneSw = new double[m * (m + 1) / 2][samples];
        laneA = new double[mm][samples];
        gz = new double[steps][m][samples];
        z = new double[steps][m][samples];
      }
    }
  }

  private boolean present(int sensor, int b, int t) {
    float[] mk = mask[sensor];
    return mk == null || mk[b * steps + t] != 0f;
  }

  private double controlAt(int b, int t, int i) {
    return control == null ? 0 : control[(b * (steps - 1) + t) * m + i];
  }

  /** Offset of ε for (b, t): blocks [B, m, S] stored from t = T−1 down to 0. */
  private int epsOffset(int b, int t) {
    return ((steps - 1 - t) * batch + b) * m * samples;
  }

  /** rows ← L⁻¹ rows (forward substitution across the sample axis). */
  private void forwardSolve(double[] l, double[][] x, int s) {
    for (int i = 0; i < m; i++) {
      double[] xi = x[i];
      for (int k = 0; k < i; k++) {
        double c = l[i * m + k];
        double[] xk = x[k];
        for (int q = 0; q < s; q++) {
          xi[q] -= c * xk[q];
        }
      }
      double inv = 1 / l[i * m + i];
      for (int q = 0; q < s; q++) {
        xi[q] *= inv;
      }
    }
  }

  /** rows ← L⁻ᵀ rows (back substitution across the sample axis). */
  private void backSolve(double[] l, double[][] x, int s) {
    for (int i = m - 1; i >= 0; i--) {
      double[] xi = x[i];
      for (int k = i + 1; k < m; k++) {
        double c = l[k * m + i];
        double[] xk = x[k];
        for (int q = 0; q < s; q++) {
          xi[q] -= c * xk[q];
        }
      }
      double inv = 1 / l[i * m + i];
      for (int q = 0; q < s; q++) {
        xi[q] *= inv;
      }
    }
  }

  /** {@code dst[0, n) = src[off, off + n)} widened to double. */
  private static void load(float[] src, int off, double[] dst, int n) {
    for (int q = 0; q < n; q++) {
      dst[q] = src[off + q];
    }
  }

  /** y += c·x. */
  private static void axpy(double c, double[] x, double[] y, int n) {
    for (int q = 0; q < n; q++) {
      y[q] += c * x[q];
    }
  }

  /** y −= x. */
  private static void sub(double[] x, double[] y, int n) {
    for (int q = 0; q < n; q++) {
      y[q] -= x[q];
    }
  }

  /** y −= a ⊙ x. */
  private static void mulSub(double[] a, double[] x, double[] y, int n) {
    for (int q = 0; q < n; q++) {
      y[q] -= a[q] * x[q];
    }
  }

  /** x ⊙= a. */
  private static void mulInPlace(double[] a, double[] x, int n) {
    for (int q = 0; q < n; q++) {
      x[q] *= a[q];
    }
  }

  /** lanes += x ⊙ y (a sum over samples kept per lane, reduced later in fixed order). */
  private static void accumulate(double[] x, double[] y, double[] lanes, int n) {
    for (int q = 0; q < n; q++) {
      lanes[q] += x[q] * y[q];
    }
  }

  /** lanes += a ⊙ x ⊙ y. */
  private static void accumulate3(double[] a, double[] x, double[] y, double[] lanes, int n) {
    for (int q = 0; q < n; q++) {
      lanes[q] += a[q] * x[q] * y[q];
    }
  }

  /** Σ_q x_q y_q with four fixed-order partial sums. */
  private static double dot(double[] x, double[] y, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int q = 0;
    for (; q + 3 < n; q += 4) {
      s0 += x[q] * y[q];
      s1 += x[q + 1] * y[q + 1];
      s2 += x[q + 2] * y[q + 2];
      s3 += x[q + 3] * y[q + 3];
    }
    for (; q < n; q++) {
      s0 += x[q] * y[q];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Σ_q w_q x_q y_q. */
  private static double weightedDot(double[] wt, double[] x, double[] y, int n) {
    double s0 = 0;
    double s1 = 0;
    int q = 0;
    for (; q + 1 < n; q += 2) {
      s0 += wt[q] * x[q] * y[q];
      s1 += wt[q + 1] * x[q + 1] * y[q + 1];
    }
    for (; q < n; q++) {
      s0 += wt[q] * x[q] * y[q];
    }
    return s0 + s1;
  }

  private static double sum(double[] x, int n) {
    double s0 = 0;
    double s1 = 0;
    int q = 0;
    for (; q + 1 < n; q += 2) {
      s0 += x[q];
      s1 += x[q + 1];
    }
    for (; q < n; q++) {
      s0 += x[q];
    }
    return s0 + s1;
  }

  private static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }

  /** (L Lᵀ)⁻¹ from the factor. */
  private double[] inverse(double[] l) {
    double[] inv = new double[mm];
    double[] col = new double[m];
    for (int j = 0; j < m; j++) {
      java.util.Arrays.fill(col, 0);
      col[j] = 1;
      SmallDense.solve(l, col, m);
      for (int i = 0; i < m; i++) {
        inv[i * m + j] = col[i];
      }
    }
    return inv;
  }

  /** Σ log L_ii (half the log-determinant of L Lᵀ). */
  private double halfLogDet(double[] l) {
    double s = 0;
    for (int i = 0; i < m; i++) {
      s += Math.log(l[i * m + i]);
    }
    return s;
  }

  private static void mul(double[] x, double[] y, double[] out, int m) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < m; k++) {
          s += x[i * m + k] * y[k * m + j];
        }
        out[i * m + j] = s;
      }
    }
  }

  /** {@code acc −= X Ȳ X} for symmetric X. */
  private void subSandwich(double[] x, double[] gy, double[] acc) {
    double[] t = new double[mm];
    mul(x, gy, t, m);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < m; k++) {
          s += t[i * m + k] * x[k * m + j];
        }
        acc[i * m + j] -= s;
      }
    }
  }

  private static void symmetrise(double[] x, int o, int m) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < i; j++) {
        double v = 0.5 * (x[o + i * m + j] + x[o + j * m + i]);
        x[o + i * m + j] = v;
        x[o + j * m + i] = v;
      }
    }
  }

  /** Sum of per-sequence parts in sequence order. */
  private double[] reduce(double[][] parts) {
    double[] s = new double[mm];
    for (double[] part : parts) {
      for (int e = 0; e < mm; e++) {
        s[e] += part[e];
      }
    }
    return s;
  }

  private void addInto(float[] target, double[] g, boolean symmetric) {
    if (target == null) {
      return;
    }
    if (symmetric) {
      symmetrise(g, 0, m);
    }
    for (int e = 0; e < mm; e++) {
      target[e] += (float) g[e];
    }
  }
}
