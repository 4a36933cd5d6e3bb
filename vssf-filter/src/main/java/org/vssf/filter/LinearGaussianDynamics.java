package org.vssf.filter;

import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;
import org.vssf.nn.Module;

/**
 * Latent dynamics ψ = (A, B, Σw) with prior Σz: {@code z₁ ~ N(0, Σz)}, {@code z_{t+1} = A z_t +
 * B u_t + w}, {@code w ~ N(0, Σw)}. A and B are fixed or learned; Σw is fixed, or learned through a
 * lower factor {@code L} with {@code Σw = L Lᵀ} whose diagonal is {@code softplus(raw)} (always
 * positive definite). Σz is fixed (given by the data set).
 */
public final class LinearGaussianDynamics extends Module {
  private final int m;
  private final int p;
  private final Tensor initialCov;
  private final Tensor dynamicsMatrix;
  private final Tensor controlMatrix;
  private final Tensor processCovFixed;
  private final Tensor processCholRaw;
  private float spectralBound;

  /**
   * @param m latent size
   * @param p control size (0 for none)
   * @param initialCov Σz, m×m row-major
   * @param a A, m×m
   * @param b B, m×p (ignored when p = 0)
   * @param processCov Σw, m×m
   * @param learnA whether A is a trained parameter
   * @param learnB whether B is a trained parameter
   * @param learnProcessCov whether Σw is trained (through its Cholesky factor)
   */
  public LinearGaussianDynamics(int m, int p, float[] initialCov, float[] a, float[] b,
      float[] processCov, boolean learnA, boolean learnB, boolean learnProcessCov) {
    if (m < 1 || p < 0) {
      throw new IllegalArgumentException("LinearGaussianDynamics: need m >= 1 and p >= 0, got " + m + ", " + p);
    }
    check("initialCov", initialCov, m * m);
    check("dynamicsMatrix", a, m * m);
    check("processCov", processCov, m * m);
    if (p > 0) {
      check("controlMatrix", b, m * p);
    }
    this.m = m;
    this.p = p;
    this.initialCov = Tensor.of(initialCov, m, m);
    spd("initialCov", initialCov, m);
    spd("processCov", processCov, m);
    Tensor at = Tensor.of(a, m, m);
    this.dynamicsMatrix = learnA ? registerParameter("dynamicsMatrix", at) : at;
    if (p > 0) {
      Tensor bt = Tensor.of(b, m, p);
      this.controlMatrix = learnB ? registerParameter("controlMatrix", bt) : bt;
    } else {
      this.controlMatrix = null;
    }
    if (learnProcessCov) {
      // raw: strict lower part as is, diagonal through softplus⁻¹ so that the initial Σw is exact.
      float[] l = new float[m * m];
      org.vssf.linalg.SpdBatch.cholesky("processCov", 1, m, processCov, 0, l, 0);
      float[] raw = new float[m * m];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j <= i; j++) {
          double v = l[i * m + j];
          raw[i * m + j] = (float) (i == j ? v + Math.log(-Math.expm1(-v)) : v);
        }
      }
      this.processCholRaw = registerParameter("processCholRaw", Tensor.wrap(raw, m, m));
      this.processCovFixed = null;
    } else {
      this.processCholRaw = null;
      this.processCovFixed = Tensor.of(processCov, m, m);
    }
  }

  private static void check(String name, float[] v, int n) {
    if (v == null || v.length != n) {
      throw new IllegalArgumentException("LinearGaussianDynamics: " + name + " must have " + n
          + " values, got " + (v == null ? "null" : v.length));
    }
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw new IllegalArgumentException("LinearGaussianDynamics: " + name + " contains " + x);
      }
    }
  }

  private static void spd(String name, float[] v, int m) {
    double[] d = new double[m * m];
    for (int i = 0; i < d.length; i++) {
      d[i] = v[i];
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < i; j++) {
        if (Math.abs(d[i * m + j] - d[j * m + i]) > 1e-6 * (Math.abs(d[i * m + j]) + 1e-12)) {
          throw new IllegalArgumentException("LinearGaussianDynamics: " + name + " is not symmetric at ("
              + i + "," + j + ")");
        }
      }
    }
    try {
      org.vssf.linalg.SpdBatch.cholesky(name, 1, m, v, 0, new float[m * m], 0);
    } catch (org.vssf.linalg.NotPositiveDefiniteException e) {
      throw new IllegalArgumentException("LinearGaussianDynamics: " + e.getMessage(), e);
    }
  }

  /** Latent size m. */
  public int latentSize() {
    return m;
  }

  /** Control size p (0 when there is no control). */
  public int controlSize() {
    return p;
  }

  /** Σz, [m, m]. */
  public Tensor initialCov() {
    return initialCov;
  }

  /**
   * Constrains A (beyond the paper): with a bound {@code b > 0}, the trained matrix W gives {@code
   * A = W·min(1, b/σ_max(W))}, so {@code ρ(A) ≤ ‖A‖₂ ≤ b} and learning ψ cannot make the dynamics
   * explode. σ_max is found by power iteration on WᵀW without gradient, then {@code σ = uᵀWv}
   * carries the exact gradient {@code u vᵀ} (for a simple top singular value). 0 turns it off.
   * Returns {@code this}.
   */
  public LinearGaussianDynamics withSpectralBound(float bound) {
    if (!(bound >= 0) || Float.isInfinite(bound)) {
      throw new IllegalArgumentException("LinearGaussianDynamics: spectral bound must be finite and >= 0, got "
          + bound);
    }
    this.spectralBound = bound;
    return this;
  }

  /** A, [m, m] (spectrally bounded when {@link #withSpectralBound} is set). */
  public Tensor dynamicsMatrix() {
    if (spectralBound <= 0) {
      return dynamicsMatrix;
    }
    float[] w = dynamicsMatrix.data();
    double[] v = new double[m];
    java.util.Arrays.fill(v, 1 / Math.sqrt(m));
    double[] u = new double[m];
    double sigma = 0;
    for (int iter = 0; iter < 50; iter++) { // power iteration on WᵀW: v → top right singular vector
      double un = 0;
      for (int i = 0; i < m; i++) {
        double s = 0;
        for (int k = 0; k < m; k++) {
          s += w[i * m + k] * v[k];
        }
        u[i] = s;
        un += s * s;
      }
      sigma = Math.sqrt(un);
      if (sigma == 0) {
        return dynamicsMatrix;
      }
      double vn = 0;
      for (int k = 0; k < m; k++) {
        double s = 0;
        for (int i = 0; i < m; i++) {
          s += w[i * m + k] * u[i] / sigma;
        }
        v[k] = s;
        vn += s * s;
      }
      vn = Math.sqrt(vn);
      for (int k = 0; k < m; k++) {
        v[k] /= vn;
      }
    }
    for (int i = 0; i < m; i++) {
      u[i] /= sigma;
    }
    if (sigma <= spectralBound) {
      return dynamicsMatrix;
    }
    float[] uf = new float[m];
    float[] vf = new float[m];
    for (int i = 0; i < m; i++) {
      uf[i] = (float) u[i];
      vf[i] = (float) v[i];
    }
    // σ = uᵀ W v with u, v constant; A = W · b / σ
    Tensor sig = LinalgOps.matmul(LinalgOps.matmul(Tensor.wrap(uf, 1, m), dynamicsMatrix), Tensor.wrap(vf, m, 1));
    return Ops.div(Ops.scale(dynamicsMatrix, spectralBound), sig);
  }

  /**
   * The reflections of the latent that the model without controls cannot tell apart: the sign
   * vectors d ≠ (1, …, 1) with D A D = A, D Σw D = Σw and D Σz D = Σz (D = diag(d)), i.e. one sign
   * per group of components coupled by a non-negligible entry (|·| > 1e-6 of the matrix's largest)
   * of A, Σw or Σz. Always holds −1; for the block world's (x, y, ẋ, ẏ) it is x's and y's flip and
   * both. Only B u (and other sensors) break these symmetries. With more than four groups only −1
   * is returned, to keep a check to a few ELBO evaluations.
   */
  public java.util.List<float[]> signSymmetries() {
    int[] group = new int[m];
    for (int i = 0; i < m; i++) {
      group[i] = i;
    }
    for (Tensor t : new Tensor[] {dynamicsMatrix(), processCov(), initialCov}) {
      float[] a = t.data();
      double max = 0;
      for (float v : a) {
        max = Math.max(max, Math.abs(v));
      }
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          if (i != j && Math.abs(a[i * m + j]) > 1e-6 * max) {
            int gi = root(group, i);
            int gj = root(group, j);
            group[Math.max(gi, gj)] = Math.min(gi, gj);
          }
        }
      }
    }
    java.util.List<Integer> roots = new java.util.ArrayList<>();
    for (int i = 0; i < m; i++) {
      if (root(group, i) == i) {
        roots.add(i);
      }
    }
    java.util.List<float[]> out = new java.util.ArrayList<>();
    int k = roots.size() <= 4 ? roots.size() : 1; // beyond four groups: only the global flip
    for (int mask = 1; mask < (1 << k); mask++) {
      float[] d = new float[m];
      for (int i = 0; i < m; i++) {
        int g = k == 1 ? 0 : roots.indexOf(root(group, i));
        d[i] = (mask >> g & 1) == 1 ? -1f : 1f;
      }
      out.add(d);
    }
    return out;
  }

  /**
   * A signed permutation of the latent, z → Pz with {@code (Pz)_i = sign_i · z_{source_i}}: a
   * symmetry of the model without controls when P A Pᵀ = A, P Σw Pᵀ = Σw and P Σz Pᵀ = Σz.
   */
  public static final class Symmetry {
    /** The component each new component reads. */
    public final int[] source;
    /** The sign each new component takes. */
    public final float[] sign;

    Symmetry(int[] source, float[] sign) {
      this.source = source;
      this.sign = sign;
    }

    /** Whether P is diagonal (a reflection D = diag(sign)). */
    public boolean diagonal() {
      for (int i = 0; i < source.length; i++) {
        if (source[i] != i) {
          return false;
        }
      }
      return true;
    }

    /** The signs ("+-") of a reflection; a permutation adds each component's source ("-1-0+3+2"). */
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      boolean diagonal = diagonal();
      for (int i = 0; i < source.length; i++) {
        sb.append(sign[i] < 0 ? '-' : '+');
        if (!diagonal) {
          sb.append(source[i]);
        }
      }
      return sb.toString();
    }
  }

  /**
   * Every symmetry of the model without controls that a signed permutation can express: the
   * {@link #signSymmetries()} first (as diagonal symmetries, in their order), then, for m ≤ 4,
   * each signed permutation P that is not diagonal with P M Pᵀ = M for A, Σw and Σz (entries equal
   * to 1e-6 of each matrix's largest). For the block world's (x, y, ẋ, ẏ) these add the swap of
   * x with y (and ẋ with ẏ) under each of its four sign choices; the pendulum has none. As with
   * the reflections, only B u (and other sensors) tell them apart.
   */
  public java.util.List<Symmetry> latentSymmetries() {
    java.util.List<Symmetry> out = new java.util.ArrayList<>();
    int[] identity = new int[m];
    for (int i = 0; i < m; i++) {
      identity[i] = i;
    }
    for (float[] d : signSymmetries()) {
      out.add(new Symmetry(identity.clone(), d));
    }
    if (m > 4) {
      return out;
    }
    float[][] mats = {dynamicsMatrix().data(), processCov().data(), initialCov.data()};
    int[] perm = identity.clone();
    while (nextPermutation(perm)) {
      for (int mask = 0; mask < (1 << m); mask++) {
        float[] sign = new float[m];
        for (int i = 0; i < m; i++) {
          sign[i] = (mask >> i & 1) == 1 ? -1f : 1f;
        }
        boolean all = true;
        for (float[] a : mats) {
          all &= preserves(a, perm, sign);
        }
        if (all) {
          out.add(new Symmetry(perm.clone(), sign));
        }
      }
    }
    return out;
  }

  private boolean preserves(float[] a, int[] perm, float[] sign) {
    double max = 0;
    for (float v : a) {
      max = Math.max(max, Math.abs(v));
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double moved = sign[i] * sign[j] * a[perm[i] * m + perm[j]];
        if (Math.abs(moved - a[i * m + j]) > 1e-6 * max) {
          return false;
        }
      }
    }
    return true;
  }

  /** Advances {@code p} to the next permutation in lexicographic order; false after the last. */
  private static boolean nextPermutation(int[] p) {
    int i = p.length - 2;
    while (i >= 0 && p[i] >= p[i + 1]) {
      i--;
    }
    if (i < 0) {
      return false;
    }
    int j = p.length - 1;
    while (p[j] <= p[i]) {
      j--;
    }
    int t = p[i];
    p[i] = p[j];
    p[j] = t;
    for (int l = i + 1, r = p.length - 1; l < r; l++, r--) {
      t = p[l];
      p[l] = p[r];
      p[r] = t;
    }
    return true;
  }

  private static int root(int[] group, int i) {
    while (group[i] != i) {
      i = group[i];
    }
    return i;
  }

  /** B, [m, p], or {@code null} when p = 0. */
  public Tensor controlMatrix() {
    return controlMatrix;
  }

  /** Lower Cholesky factor of Σw, [m, m] (learned: softplus on the diagonal, zero above). */
  public Tensor processCovChol() {
    if (processCholRaw == null) {
      return LinalgOps.cholesky(processCovFixed);
    }
    Tensor lower = LinalgOps.tril(processCholRaw);
    Tensor eye = Tensor.wrap(identity(m), m, m);
    Tensor offDiag = Ops.mul(lower, Tensor.wrap(oneMinus(identity(m)), m, m));
    Tensor diag = Ops.mul(Ops.softplus(processCholRaw), eye);
    return Ops.add(offDiag, diag);
  }

  /** Σw = L Lᵀ, [m, m]. */
  public Tensor processCov() {
    if (processCholRaw == null) {
      return processCovFixed;
    }
    Tensor l = processCovChol();
    return LinalgOps.matmul(l, Ops.transpose(l));
  }

  static float[] identity(int m) {
    float[] e = new float[m * m];
    for (int i = 0; i < m; i++) {
      e[i * m + i] = 1f;
    }
    return e;
  }

  private static float[] oneMinus(float[] v) {
    float[] o = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = 1f - v[i];
    }
    return o;
  }

  @Override
  public Tensor forward(Tensor z) {
    throw new UnsupportedOperationException("LinearGaussianDynamics has no forward(x);"
        + " it is used by InformationFilter, BackwardSampler and Elbo");
  }
}
