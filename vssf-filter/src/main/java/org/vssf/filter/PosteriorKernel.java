package org.vssf.filter;

import org.vssf.linalg.KernelSupport;
import org.vssf.linalg.Kernels;
import org.vssf.linalg.Parallel;

/**
 * The fused forward filter, backward sampler and log-densities of {@link FusedPosterior}, with the
 * hand-derived adjoint. Per sequence, in double, with the samples as contiguous rows processed a
 * tile of at most {@value #TILE} at a time, so that the per-sample loops are simple streams over
 * data in the L1 cache; the forward pass keeps each sequence's filter state for the adjoint.
 * Sequences run in parallel chunks, sums over samples are accumulated tile by tile in a fixed
 * order, and every shared gradient is reduced in sequence order, so results do not depend on the
 * thread count.
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
  /** Largest tile of samples. */
  static final int TILE = 128;

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
  /** Samples per tile (every per-sample row of a tile stays in the L1 cache). */
  private final int tile;
  /** Filter state per sequence, written by {@link #forward} for {@link #backward}. */
  private final Seq[] seqs;
  private final KernelSupport kernels = Kernels.support();

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
    this.tile = Math.min(TILE, samples);
    this.seqs = new Seq[batch];
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
    halfLogDetW = halfLogDet(lw, 0);
    halfLogDetZ = halfLogDet(lz, 0);
  }

  /** Rows of the output per sequence. */
  int rows() {
    return steps * m + 2;
  }

  // ================================================================================== forward

  /** Fills {@code out} ([B, T·m + 2, S]) and keeps each sequence's filter state for {@link #backward}. */
  void forward(float[] out) {
    Parallel.forEachChunk(batch, parallelism, (chunk, from, to) -> {
      Work wk = new Work();
      for (int b = from; b < to; b++) {
        Seq sq = new Seq();
        filter(b, sq, wk);
        seqs[b] = sq;
        sample(b, sq, wk, out);
      }
    });
  }

  /** The forward filter of sequence b, then the backward factors L^b_t and η_t − G c_t. */
  private void filter(int b, Seq sq, Work wk) {
    double[] col = wk.vec;
    double[] lam = wk.lam;
    for (int t = 0; t < steps; t++) {
      int om = t * mm;
      int ov = t * m;
      if (t == 0) {
        System.arraycopy(zinv, 0, lam, 0, mm);
        java.util.Arrays.fill(sq.eta, 0, m, 0);
      } else {
        int pm = om - mm;
        int pv = ov - m;
        for (int i = 0; i < m; i++) { // ν = A μ_{t−1} + c_{t−1}
          double s = controlAt(b, t - 1, i);
          for (int k = 0; k < m; k++) {
            s += ad[i * m + k] * sq.mu[pv + k];
          }
          wk.nu[ov + i] = s;
        }
        for (int j = 0; j < m; j++) { // column j of M = L⁻¹Aᵀ solves L x = (row j of A)
          for (int i = 0; i < m; i++) {
            double s = ad[j * m + i];
            for (int k = 0; k < i; k++) {
              s -= sq.l[pm + i * m + k] * sq.mmat[om + k * m + j];
            }
            sq.mmat[om + i * m + j] = s / sq.l[pm + i * m + i];
          }
        }
        double[] p = wk.tmp;
        for (int i = 0; i < m; i++) { // P = MᵀM + Σw
          for (int j = 0; j < m; j++) {
            double s = swd[i * m + j];
            for (int k = 0; k < m; k++) {
              s += sq.mmat[om + k * m + i] * sq.mmat[om + k * m + j];
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
            sq.lamP[om + i * m + j] = col[i];
          }
        }
        for (int i = 0; i < m; i++) { // y = Λp ν
          double s = 0;
          for (int k = 0; k < m; k++) {
            s += sq.lamP[om + i * m + k] * wk.nu[ov + k];
          }
          sq.y[ov + i] = s;
        }
        System.arraycopy(sq.lamP, om, lam, om, mm);
        System.arraycopy(sq.y, ov, sq.eta, ov, m);
      }
      for (int j = 0; j < precision.length; j++) {
        if (present(j, b, t)) {
          float[] pj = precision[j];
          int po = shared[j] ? 0 : (b * steps + t) * mm;
          for (int e = 0; e < mm; e++) {
            lam[om + e] += pj[po + e];
          }
          int io = (b * steps + t) * m;
          for (int i = 0; i < m; i++) {
            sq.eta[ov + i] += info[j][io + i];
          }
        }
      }
      System.arraycopy(lam, om, wk.tmp, 0, mm);
      SmallDense.cholesky("filteredPrecision", b, wk.tmp, wk.tmp2, m);
      System.arraycopy(wk.tmp2, 0, sq.l, om, mm);
      for (int i = 0; i < m; i++) {
        col[i] = sq.eta[ov + i];
      }
      SmallDense.solve(wk.tmp2, col, m);
      System.arraycopy(col, 0, sq.mu, ov, m);
    }
    for (int t = 0; t < steps; t++) { // L^b_t = L_{T−1} at the end, else chol(Λ_t + H)
      int om = t * mm;
      if (t == steps - 1) {
        System.arraycopy(sq.l, om, sq.lb, om, mm);
      } else {
        for (int e = 0; e < mm; e++) {
          wk.tmp[e] = lam[om + e] + h[e];
        }
        SmallDense.cholesky("backward precision", b, wk.tmp, wk.tmp2, m);
        System.arraycopy(wk.tmp2, 0, sq.lb, om, mm);
        System.arraycopy(g, 0, sq.kg, om, mm); // K_t = L^b⁻¹ G
        lowerSolveColumns(sq.lb, om, sq.kg, om);
      }
      sq.cq[t] = halfLogDet(sq.lb, om) - 0.5 * m * LOG_2PI;
      for (int i = 0; i < m; i++) {
        double s = sq.eta[t * m + i];
        if (t < steps - 1) {
          for (int k = 0; k < m; k++) {
            s -= g[i * m + k] * controlAt(b, t, k);
          }
        }
        sq.base[t * m + i] = s;
      }
    }
  }

  /**
   * Backward sampler and log-densities of sequence b (after {@link #filter}), a tile of samples at
   * a time: z_t = L^b⁻ᵀ(L^b⁻¹(η_t − G c_t + G z_{t+1}) + ε_t).
   */
  private void sample(int b, Seq sq, Work wk, float[] out) {
    int s = samples;
    int rows = rows();
    double[] logQ = wk.accQ;
    double[] logP = wk.accP;
    for (int q0 = 0; q0 < s; q0 += tile) {
      int n = Math.min(tile, s - q0);
      double[][] znext = wk.rowsA;
      double[][] z = wk.rowsB;
      java.util.Arrays.fill(logQ, 0, n, 0);
      java.util.Arrays.fill(logP, 0, n, 0);
      for (int t = steps - 1; t >= 0; t--) {
        int lo = t * mm;
        int eo = epsOffset(b, t) + q0;
        for (int i = 0; i < m; i++) { // η^b = η_t − G c_t + G z_{t+1}
          setComb(z[i], sq.base[t * m + i], g, i * m, 1, znext, t < steps - 1 ? m : 0, n);
        }
        forwardSolve(sq.lb, lo, z, n); // L⁻¹η^b
        for (int i = 0; i < m; i++) { // + ε; log q −= ½ε² (+ Σ log L^b_ii − (m/2) log 2π at the end)
          double[] zi = z[i];
          int o = eo + i * s;
          double cq = i == m - 1 ? sq.cq[t] : 0;
          for (int q = 0; q < n; q++) {
            double e = eps[o + q];
            zi[q] += e;
            logQ[q] = (logQ[q] - 0.5 * e * e) + cq;
          }
        }
        backSolve(sq.lb, lo, z, n); // z = L⁻ᵀ(L⁻¹η^b + ε)
        if (t < steps - 1) { // log N(z_{t+1} − A z_t − c_t; 0, Σw)
          residual(b, t, z, znext, wk.rowsC, n);
          forwardSolve(lw, 0, wk.rowsC, n);
          addGaussianLogDensity(wk.rowsC, halfLogDetW, logP, n);
        }
        for (int i = 0; i < m; i++) {
          double[] zi = z[i];
          int o = (b * rows + t * m + i) * s + q0;
          for (int q = 0; q < n; q++) {
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
        System.arraycopy(znext[i], 0, r[i], 0, n);
      }
      forwardSolve(lz, 0, r, n);
      addGaussianLogDensity(r, halfLogDetZ, logP, n);
      int oq = (b * rows + steps * m) * s + q0;
      for (int q = 0; q < n; q++) {
        out[oq + q] = (float) logQ[q];
        out[oq + s + q] = (float) logP[q];
      }
    }
  }

  /** r = z_{t+1} − A z_t − c_t over n samples. */
  private void residual(int b, int t, double[][] z, double[][] znext, double[][] r, int n) {
    for (int i = 0; i < m; i++) {
      double[] ri = r[i];
      double[] zn = znext[i];
      double ci = controlAt(b, t, i);
      int am = i * m;
      if (m == 1) {
        double a0 = ad[am];
        double[] x0 = z[0];
        for (int q = 0; q < n; q++) {
          ri[q] = (zn[q] - ci) - a0 * x0[q];
        }
      } else {
        double a0 = ad[am];
        double a1 = ad[am + 1];
        double[] x0 = z[0];
        double[] x1 = z[1];
        for (int q = 0; q < n; q++) {
          ri[q] = ((zn[q] - ci) - a0 * x0[q]) - a1 * x1[q];
        }
        addComb(ri, -1, ad, am + 2, 1, z, 2, m, n);
      }
    }
  }

  /** logP += −½‖white‖² − ½ log det Σ − (m/2) log 2π for n whitened residual columns. */
  private void addGaussianLogDensity(double[][] white, double halfLogDet, double[] logP, int n) {
    double c = -halfLogDet - 0.5 * m * LOG_2PI;
    for (int i = 0; i < m; i++) {
      double[] wi = white[i];
      double ci = i == m - 1 ? c : 0;
      for (int q = 0; q < n; q++) {
        logP[q] = (logP[q] - 0.5 * wi[q] * wi[q]) + ci;
      }
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

  /**
   * Accumulates the inputs' gradients given ∂loss/∂out ({@code gOut}) and the forward output; needs
   * the filter state {@link #forward} kept.
   */
  void backward(float[] out, float[] gOut, Grads grads) {
    if (batch > 0 && seqs[batch - 1] == null) {
      throw new IllegalStateException("PosteriorKernel.backward before forward");
    }
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
        backwardSequence(b, seqs[b], wk, out, gOut, grads, p);
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

  /**
   * The adjoint of one sequence. The per-sample work runs a tile of samples at a time through the
   * prior and every sampler step (each sample's adjoint only needs its own rows); what the small
   * matrices need from the samples are sums over them, accumulated tile by tile in a fixed order
   * and turned into matrix adjoints once all tiles are done.
   */
  private void backwardSequence(int b, Seq sq, Work wk, float[] out, float[] gOut, Grads grads, Partial p) {
    wk.allocateTrajectories();
    int s = samples;
    int rows = rows();
    java.util.Arrays.fill(wk.gLam, 0);
    java.util.Arrays.fill(wk.gEta, 0);
    java.util.Arrays.fill(wk.gc, 0);
    java.util.Arrays.fill(wk.sumW, 0);
    java.util.Arrays.fill(wk.sumEw, 0);
    java.util.Arrays.fill(wk.sumWz, 0);
    java.util.Arrays.fill(wk.sumSz, 0);
    java.util.Arrays.fill(wk.sumSw, 0);
    java.util.Arrays.fill(wk.sumA, 0);
    double sumGp = 0;
    double sumGq = 0;
    for (int q0 = 0; q0 < s; q0 += tile) {
      int n = Math.min(tile, s - q0);
      for (int t = 0; t < steps; t++) {
        for (int i = 0; i < m; i++) {
          int o = (b * rows + t * m + i) * s + q0;
          load(gOut, o, wk.gz[t][i], n);
          load(out, o, wk.z[t][i], n);
        }
      }
      int oq = (b * rows + steps * m) * s + q0;
      load(gOut, oq, wk.accQ, n);
      load(gOut, oq + s, wk.accP, n);
      sumGq += sum(wk.accQ, n);
      sumGp += sum(wk.accP, n);
      priorTile(b, wk, n);
      for (int t = 0; t < steps; t++) {
        samplerTile(b, t, sq, wk, q0, n);
      }
    }
    priorFinish(wk, p, sumGp);
    for (int t = 0; t < steps; t++) {
      samplerFinish(b, t, sq, wk, p, sumGq);
    }
    for (int t = steps - 1; t >= 0; t--) {
      filterReverse(b, t, sq, wk, grads, p);
    }
    if (grads.control != null) {
      int co = b * (steps - 1) * m;
      for (int e = 0; e < (steps - 1) * m; e++) {
        grads.control[co + e] += (float) wk.gc[e];
      }
    }
  }

  /**
   * Adjoint of log p(z | u) = log N(z_0; 0, Σz) + Σ_t log N(e_t; 0, Σw), e_t = z_{t+1} − A z_t − c_t,
   * for one tile: with k = ḡp ⊙ W e, z̄_{t+1} −= k, z̄_t += Aᵀk, c̄_t += Σ k, Ā += Σ k z_tᵀ, Σ̄w += ½ Σ
   * ḡp (We)(We)ᵀ − ½ Σ ḡp W (the sums over samples are finished in {@link #priorFinish}).
   */
  private void priorTile(int b, Work wk, int n) {
    double[] gp = wk.accP;
    double[][] z0 = wk.z[0];
    double[][] u = wk.rowsA;
    double[][] gu = wk.rowsB;
    for (int i = 0; i < m; i++) { // u = Σz⁻¹ z_0; ḡp ⊙ u; z̄_0 −= ḡp ⊙ u
      setComb(u[i], 0, zinv, i * m, 1, z0, m, n);
      double[] ui = u[i];
      double[] gui = gu[i];
      double[] gzi = wk.gz[0][i];
      for (int q = 0; q < n; q++) {
        double v = gp[q] * ui[q];
        gui[q] = v;
        gzi[q] -= v;
      }
    }
    kernels.gram(n, gu, m, u, m, wk.sumSz, 0, m); // Σ ḡp u uᵀ
    double[][] kk = wk.rowsA;
    double[][] r = wk.rowsB;
    double[][] we = wk.rowsC;
    double[][] cols = wk.cols;
    double[] gram = wk.gram;
    for (int t = 0; t + 1 < steps; t++) {
      double[][] zt = wk.z[t];
      residual(b, t, zt, wk.z[t + 1], r, n);
      for (int i = 0; i < m; i++) { // W e; k = ḡp ⊙ W e; z̄_{t+1} −= k
        setComb(we[i], 0, w, i * m, 1, r, m, n);
        double[] wi = we[i];
        double[] ki = kk[i];
        double[] gzi = wk.gz[t + 1][i];
        for (int q = 0; q < n; q++) {
          double v = gp[q] * wi[q];
          ki[q] = v;
          gzi[q] -= v;
        }
        wk.gc[t * m + i] += sum(ki, n);
        cols[i] = wi;
        cols[m + i] = zt[i];
      }
      java.util.Arrays.fill(gram, 0, 2 * mm, 0);
      kernels.gram(n, kk, m, cols, 2 * m, gram, 0, 2 * m); // Σ k (We)ᵀ = Σ ḡp (We)(We)ᵀ, Σ k z_tᵀ
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          wk.sumSw[i * m + j] += gram[i * 2 * m + j];
          wk.sumA[i * m + j] += gram[i * 2 * m + m + j];
        }
      }
      for (int j = 0; j < m; j++) { // z̄_t += Aᵀ k
        addComb(wk.gz[t][j], ad, j, m, kk, m, n);
      }
    }
  }

  /** Σ̄z += ½ Σ ḡp u uᵀ − ½ (Σ ḡp) Σz⁻¹; Σ̄w += ½ Σ ḡp (We)(We)ᵀ − ½ (T−1)(Σ ḡp) W; Ā += Σ k z_tᵀ. */
  private void priorFinish(Work wk, Partial p, double sumGp) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j <= i; j++) {
        double v = 0.5 * wk.sumSz[i * m + j] - 0.5 * sumGp * zinv[i * m + j];
        p.sz[i * m + j] += v;
        if (j != i) {
          p.sz[j * m + i] += v;
        }
      }
    }
    if (steps < 2) {
      return;
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j <= i; j++) {
        double v = 0.5 * wk.sumSw[i * m + j] - 0.5 * (steps - 1) * sumGp * w[i * m + j];
        p.sw[i * m + j] += v;
        if (j != i) {
          p.sw[j * m + i] += v;
        }
      }
    }
    for (int e = 0; e < mm; e++) {
      p.a[e] += wk.sumA[e];
    }
  }

  /**
   * Adjoint of the backward sampler's step t (z_t = L⁻ᵀ(L⁻¹η^b + ε)) for one tile. With w = L⁻¹z̄
   * (in place of z̄_t, which is not needed afterwards): z̄_{t+1} += Gᵀq = Kᵀw (q = L⁻ᵀw = Λb⁻¹z̄, K =
   * L⁻¹G), and the sums Σ w, Σ ε wᵀ and Σ w z_{t+1}ᵀ, from which {@link #samplerFinish} forms Σ q =
   * L⁻ᵀΣ w, Σ v wᵀ = L⁻ᵀΣ ε wᵀ (v = L⁻ᵀε) and Σ q z_{t+1}ᵀ = L⁻ᵀΣ w z_{t+1}ᵀ: the triangular
   * solves act on m × m sums instead of on every sample.
   */
  private void samplerTile(int b, int t, Seq sq, Work wk, int q0, int n) {
    int s = samples;
    int lo = t * mm;
    double[][] ev = wk.rowsA;
    double[][] wv = wk.gz[t];
    int eo = epsOffset(b, t) + q0;
    for (int i = 0; i < m; i++) {
      load(eps, eo + i * s, ev[i], n);
    }
    forwardSolve(sq.lb, lo, wv, n); // w = L⁻¹ z̄
    boolean inner = t < steps - 1;
    double[][] cols = wk.cols;
    for (int i = 0; i < m; i++) {
      wk.sumW[t * m + i] += sum(wv[i], n);
      cols[i] = ev[i];
      if (inner) {
        cols[m + i] = wk.z[t + 1][i];
      }
    }
    int c = inner ? 2 * m : m;
    double[] gram = wk.gram;
    java.util.Arrays.fill(gram, 0, m * c, 0);
    kernels.gram(n, wv, m, cols, c, gram, 0, c); // Σ w εᵀ and Σ w z_{t+1}ᵀ
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        wk.sumEw[lo + j * m + i] += gram[i * c + j];
        if (inner) {
          wk.sumWz[lo + i * m + j] += gram[i * c + m + j];
        }
      }
    }
    if (inner) {
      for (int j = 0; j < m; j++) { // z̄_{t+1} += Kᵀ w
        addComb(wk.gz[t + 1][j], sq.kg, lo + j, m, wv, m, n);
      }
    }
  }

  /**
   * The sampler step's matrix adjoints from the sample sums: η̄_t += Σ q, L̄ = −tril(Σ v wᵀ) + diag(Σ
   * ḡq / L_ii), Λ̄^b = −Σ q μ^bᵀ + chol'(L̄); for t < T−1 also c̄_t −= Gᵀ Σ q, Ḡ += Σ q (z_{t+1} −
   * c_t)ᵀ, H̄ += Λ̄^b. Σ q μ^bᵀ comes from Σ q z_{t+1}ᵀ, since μ^b = Λb⁻¹(η_t − G c_t) + Λb⁻¹G z_{t+1}
   * is affine in z_{t+1}.
   */
  private void samplerFinish(int b, int t, Seq sq, Work wk, Partial p, double sumGq) {
    int lo = t * mm;
    double[] lb = wk.lb;
    System.arraycopy(sq.lb, lo, lb, 0, mm);
    // Σ q = L⁻ᵀ Σ w; Σ v wᵀ = L⁻ᵀ Σ ε wᵀ; Σ q z_{t+1}ᵀ = L⁻ᵀ Σ w z_{t+1}ᵀ (in place).
    upperSolveColumns(lb, 0, wk.sumW, t * m, 1);
    upperSolveColumns(lb, 0, wk.sumEw, lo, m);
    upperSolveColumns(lb, 0, wk.sumWz, lo, m);
    double[] sumQ = wk.sumW;
    double[] sumVw = wk.sumEw;
    double[] sumQz = wk.sumWz;
    double[] gl = wk.tmp3;
    java.util.Arrays.fill(gl, 0, mm, 0);
    for (int i = 0; i < m; i++) {
      wk.gEta[t * m + i] += sumQ[t * m + i];
      for (int j = 0; j <= i; j++) {
        gl[i * m + j] = -sumVw[lo + i * m + j];
      }
      gl[i * m + i] += sumGq / lb[i * m + i];
    }
    double[] gLamB = wk.tmp4;
    if (t == steps - 1) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          gLamB[i * m + j] = -sumQ[t * m + i] * sq.mu[t * m + j];
        }
      }
    } else {
      double[] kb = wk.tmp; // Λb⁻¹ G = L⁻ᵀ K, and κ = Λb⁻¹(η_t − G c_t)
      double[] kappa = wk.vec2;
      System.arraycopy(sq.kg, lo, kb, 0, mm);
      upperSolveColumns(lb, 0, kb, 0, m);
      System.arraycopy(sq.base, t * m, kappa, 0, m);
      SmallDense.solve(lb, kappa, m);
      for (int i = 0; i < m; i++) {
        double sqi = sumQ[t * m + i];
        for (int j = 0; j < m; j++) {
          double acc = kappa[j] * sqi;
          for (int k = 0; k < m; k++) {
            acc += kb[j * m + k] * sumQz[lo + i * m + k];
          }
          gLamB[i * m + j] = -acc;
          p.g[i * m + j] += sumQz[lo + i * m + j] - sqi * controlAt(b, t, j);
        }
      }
      for (int j = 0; j < m; j++) { // c̄_t −= Gᵀ Σ q
        for (int i = 0; i < m; i++) {
          wk.gc[t * m + j] -= g[i * m + j] * sumQ[t * m + i];
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
      wk.gLam[lo + e] += gLamB[e];
    }
  }

  /**
   * Adjoint of the filter's step t: sensors receive Λ̄_t, η̄_t; for t ≥ 1 the prediction from step
   * t−1 (ν̄, P̄, M̄, R as in the class comment) adds into Ā, Σ̄w, c̄_{t−1}, η̄_{t−1} and Λ̄_{t−1} (through
   * μ_{t−1} and the Cholesky factor L_{t−1}); at t = 0, Λ̄_0 goes to Σz⁻¹.
   */
  private void filterReverse(int b, int t, Seq sq, Work wk, Grads grads, Partial p) {
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
          sum += sq.lamP[om + i * m + k] * gEta[ov + k];
        }
        gnu[i] = sum;
      }
      double[] left = wk.tmp5; // Λp Λ̄ (tmp5 is free until choleskyBackward below)
      for (int i = 0; i < m; i++) {
        for (int k = 0; k < m; k++) {
          double sum = 0;
          for (int q = 0; q < m; q++) {
            sum += sq.lamP[om + i * m + q] * gLam[om + q * m + k];
          }
          left[i * m + k] = sum;
        }
      }
      for (int i = 0; i < m; i++) { // P̄ = −Λp Λ̄ Λp − ν̄ yᵀ
        for (int j = 0; j < m; j++) {
          double sum = 0;
          for (int k = 0; k < m; k++) {
            sum += left[i * m + k] * sq.lamP[om + k * m + j];
          }
          gPcov[i * m + j] = -sum - gnu[i] * sq.y[ov + j];
        }
      }
      for (int e = 0; e < mm; e++) {
        p.sw[e] += gPcov[e];
      }
      for (int i = 0; i < m; i++) { // M̄ = M (P̄ + P̄ᵀ)
        for (int j = 0; j < m; j++) {
          double sum = 0;
          for (int k = 0; k < m; k++) {
            sum += sq.mmat[om + i * m + k] * (gPcov[k * m + j] + gPcov[j * m + k]);
          }
          gM[i * m + j] = sum;
        }
      }
      double[] rr = gM; // R = L_{t−1}⁻ᵀ M̄, in place
      upperSolveColumns(sq.l, pm, rr, 0, m);
      java.util.Arrays.fill(gl, 0, mm, 0);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          p.a[i * m + j] += rr[j * m + i] + gnu[i] * sq.mu[pv + j]; // Ā += Rᵀ + ν̄ μ_{t−1}ᵀ
        }
        for (int j = 0; j <= i; j++) { // L̄_{t−1} = −tril(R Mᵀ)
          double sum = 0;
          for (int k = 0; k < m; k++) {
            sum += rr[i * m + k] * sq.mmat[om + j * m + k];
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
      System.arraycopy(sq.l, pm, wk.lb, 0, mm);
      SmallDense.solve(wk.lb, qv, m);
      double[] gLamPrev = wk.tmp4;
      for (int i = 0; i < m; i++) {
        gEta[pv + i] += qv[i];
        for (int j = 0; j < m; j++) {
          gLamPrev[i * m + j] = -qv[i] * sq.mu[pv + j];
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
      upperSolveColumns(l, 0, s, 0, m);
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

  /** Filter state of one sequence, kept from the forward pass for the adjoint. */
  private final class Seq {
    final double[] eta = new double[steps * m];
    final double[] l = new double[steps * mm];
    final double[] mu = new double[steps * m];
    final double[] mmat = new double[steps * mm];
    final double[] lamP = new double[steps * mm];
    final double[] y = new double[steps * m];
    /** Backward factors L^b_t. */
    final double[] lb = new double[steps * mm];
    /** K_t = L^b_t⁻¹ G (t < T−1): z̄_{t+1} += K_tᵀ L^b_t⁻¹ z̄_t. */
    final double[] kg = new double[steps * mm];
    /** η_t − G c_t (η_{T−1} at the end). */
    final double[] base = new double[steps * m];
    /** Σ log L^b_ii − (m/2) log 2π per step. */
    final double[] cq = new double[steps];
  }

  /** Per-chunk scratch, sized once. */
  private final class Work {
    final double[] lam = new double[steps * mm];
    final double[] nu = new double[steps * m];
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
    final double[][] rowsA = new double[m][tile];
    final double[][] rowsB = new double[m][tile];
    final double[][] rowsC = new double[m][tile];
    final double[] accQ = new double[tile];
    final double[] accP = new double[tile];
    // Sums over samples for the adjoint, accumulated tile by tile.
    final double[] sumW = new double[steps * m];
    final double[] sumEw = new double[steps * mm];
    final double[] sumWz = new double[steps * mm];
    final double[] sumSz = new double[mm];
    final double[] sumSw = new double[mm];
    final double[] sumA = new double[mm];
    /** Row references for one Gram call, and its m × 2m result. */
    final double[][] cols = new double[2 * m][];
    final double[] gram = new double[2 * mm];
    double[][][] gz;
    double[][][] z;

    /** Per-step sample rows of one tile, needed by the backward pass only. */
    void allocateTrajectories() {
      if (gz == null) {
        gz = new double[steps][m][tile];
        z = new double[steps][m][tile];
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

  /** The m × m block x at xo ← L⁻¹ x, L at lo (column by column). */
  private void lowerSolveColumns(double[] l, int lo, double[] x, int xo) {
    for (int j = 0; j < m; j++) {
      for (int i = 0; i < m; i++) {
        double sum = x[xo + i * m + j];
        for (int k = 0; k < i; k++) {
          sum -= l[lo + i * m + k] * x[xo + k * m + j];
        }
        x[xo + i * m + j] = sum / l[lo + i * m + i];
      }
    }
  }

  /** The m × cols block x at xo (row-major, cols columns) ← L⁻ᵀ x, L at lo (column by column). */
  private void upperSolveColumns(double[] l, int lo, double[] x, int xo, int cols) {
    for (int j = 0; j < cols; j++) {
      for (int i = m - 1; i >= 0; i--) {
        double sum = x[xo + i * cols + j];
        for (int k = i + 1; k < m; k++) {
          sum -= l[lo + k * m + i] * x[xo + k * cols + j];
        }
        x[xo + i * cols + j] = sum / l[lo + i * m + i];
      }
    }
  }

  /** rows ← L⁻¹ rows (forward substitution across the sample axis), L at {@code lo}. */
  private void forwardSolve(double[] l, int lo, double[][] x, int n) {
    for (int i = 0; i < m; i++) {
      solveRow(x[i], l, lo + i * m, 1, x, 0, i, 1 / l[lo + i * m + i], n);
    }
  }

  /** rows ← L⁻ᵀ rows (back substitution across the sample axis), L at {@code lo}. */
  private void backSolve(double[] l, int lo, double[][] x, int n) {
    for (int i = m - 1; i >= 0; i--) {
      solveRow(x[i], l, lo + (i + 1) * m + i, m, x, i + 1, m, 1 / l[lo + i * m + i], n);
    }
  }

  /**
   * y = (y − Σ_{k ∈ [from, to)} c_k x_k)·s with c_k = c[co + (k − from)·cs], two terms per pass and
   * the scaling in the last pass (the same roundings as one pass per term).
   */
  private static void solveRow(double[] y, double[] c, int co, int cs, double[][] x, int from, int to,
      double s, int n) {
    int k = from;
    for (; to - k > 2; k += 2, co += 2 * cs) {
      double c0 = c[co];
      double c1 = c[co + cs];
      double[] x0 = x[k];
      double[] x1 = x[k + 1];
      for (int q = 0; q < n; q++) {
        y[q] = (y[q] - c0 * x0[q]) - c1 * x1[q];
      }
    }
    if (to - k == 2) {
      double c0 = c[co];
      double c1 = c[co + cs];
      double[] x0 = x[k];
      double[] x1 = x[k + 1];
      for (int q = 0; q < n; q++) {
        y[q] = ((y[q] - c0 * x0[q]) - c1 * x1[q]) * s;
      }
    } else if (to - k == 1) {
      double c0 = c[co];
      double[] x0 = x[k];
      for (int q = 0; q < n; q++) {
        y[q] = (y[q] - c0 * x0[q]) * s;
      }
    } else {
      for (int q = 0; q < n; q++) {
        y[q] *= s;
      }
    }
  }

  /** y = v + Σ_{k < count} c[co + k·cs]·x_k, two terms per pass. */
  private static void setComb(double[] y, double v, double[] c, int co, int cs, double[][] x, int count, int n) {
    if (count == 0) {
      java.util.Arrays.fill(y, 0, n, v);
    } else if (count == 1) {
      double c0 = c[co];
      double[] x0 = x[0];
      for (int q = 0; q < n; q++) {
        y[q] = v + c0 * x0[q];
      }
    } else {
      double c0 = c[co];
      double c1 = c[co + cs];
      double[] x0 = x[0];
      double[] x1 = x[1];
      for (int q = 0; q < n; q++) {
        y[q] = (v + c0 * x0[q]) + c1 * x1[q];
      }
      addComb(y, 1, c, co + 2 * cs, cs, x, 2, count, n);
    }
  }

  /** y += Σ_{k < count} c[co + k·cs]·x_k, two terms per pass. */
  private static void addComb(double[] y, double[] c, int co, int cs, double[][] x, int count, int n) {
    addComb(y, 1, c, co, cs, x, 0, count, n);
  }

  /**
   * y += sign·Σ_{k ∈ [from, to)} c[co + (k − from)·cs]·x_k for sign ±1, two terms per pass (with
   * sign −1 the same roundings as subtracting each term).
   */
  private static void addComb(double[] y, double sign, double[] c, int co, int cs, double[][] x, int from,
      int to, int n) {
    int k = from;
    for (; to - k >= 2; k += 2, co += 2 * cs) {
      double c0 = sign * c[co];
      double c1 = sign * c[co + cs];
      double[] x0 = x[k];
      double[] x1 = x[k + 1];
      for (int q = 0; q < n; q++) {
        y[q] = (y[q] + c0 * x0[q]) + c1 * x1[q];
      }
    }
    if (k < to) {
      double c0 = sign * c[co];
      double[] x0 = x[k];
      for (int q = 0; q < n; q++) {
        y[q] += c0 * x0[q];
      }
    }
  }

  /** {@code dst[0, n) = src[off, off + n)} widened to double. */
  private static void load(float[] src, int off, double[] dst, int n) {
    for (int q = 0; q < n; q++) {
      dst[q] = src[off + q];
    }
  }

  // Sums over samples go to the kernel set (SIMD when loaded): C2 vectorises the element-wise
  // passes above but not these reductions.

  private double sum(double[] x, int n) {
    return kernels.sum(n, x, 0);
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
  private double halfLogDet(double[] l, int lo) {
    double s = 0;
    for (int i = 0; i < m; i++) {
      s += Math.log(l[lo + i * m + i]);
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
