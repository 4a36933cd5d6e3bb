package org.vssf.linalg.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.vssf.linalg.GaussianBlocks;
import org.vssf.linalg.KernelSupport;
import org.vssf.linalg.ScalarKernels;

/**
 * {@link KernelSupport} on {@code jdk.incubator.vector} ({@code FloatVector} of the preferred
 * species: 16 lanes with AVX-512). Loaded by name from {@code KernelProvider} only after the
 * module probe succeeds; never referenced statically from the portable code.
 *
 * <p>GEMM follows the Goto/BLIS scheme: op(B) is packed into {@code KC × NR} panels and op(A) into
 * {@code MR × KC} panels (zero-padded at the edges), and a {@code MR × NR = 6 × 2·lanes} register
 * tile accumulates {@code Σ_p a_ip·b_pj} with FMAs; {@code C += α·tile}. Edge tiles run the same
 * kernel on a copy of C, so every element is computed identically wherever it sits.
 */
public final class PanamaKernels implements KernelSupport {
  /** Species constants; a failed probe fails this holder, not the enclosing class. */
  static final class V {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    /** Doubles of the preferred shape, and floats of half that shape: one lane each per double. */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> FD =
        VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int DL = D.length();
    /** Ints of the float species' shape: lane i of one is lane i of the other. */
    static final VectorSpecies<Integer> I = S.withLanes(int.class);
    /** Shuffles pairing lane i with lane i ^ h for h = L/2, …, 1: a fixed reduction tree. */
    static final VectorShuffle<Float>[] TREE = tree(S);
    static final VectorShuffle<Double>[] DTREE = tree(D);

    @SuppressWarnings("unchecked")
    private static <E> VectorShuffle<E>[] tree(VectorSpecies<E> species) {
      int steps = Integer.numberOfTrailingZeros(species.length());
      VectorShuffle<E>[] t = new VectorShuffle[steps];
      for (int k = 0, h = species.length() / 2; k < steps; k++, h /= 2) {
        final int half = h;
        t[k] = VectorShuffle.fromOp(species, i -> i ^ half);
      }
      return t;
    }
  }

  // The Vector API leaves the order of a floating-point reduceLanes(ADD) open, and its lanewise
  // TANH/EXP/LOG are library approximations in compiled code but Math calls in the interpreter, so
  // the same call could give different bits before and after the JIT compiled it (two runs of one
  // seed would then differ). The kernels therefore reduce with a fixed tree of shuffles and adds
  // and build exp and tanh from IEEE arithmetic, which every tier computes identically.

  /** Σ of the lanes in a fixed pairwise order. */
  static float sumLanes(FloatVector v) {
    for (VectorShuffle<Float> sh : V.TREE) {
      v = v.add(v.rearrange(sh));
    }
    return v.lane(0);
  }

  /** Σ of the lanes in a fixed pairwise order. */
  static double sumLanes(DoubleVector v) {
    for (VectorShuffle<Double> sh : V.DTREE) {
      v = v.add(v.rearrange(sh));
    }
    return v.lane(0);
  }

  private static final float LOG2E = 1.4426950408889634f;
  /** ln 2 split so that k·LN2_HI is exact for |k| < 2^9 (Cody and Waite). */
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to an integer. */
  private static final float ROUND = 12582912f;
  private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
  /** Taylor coefficients of e^r, highest first. */
  private static final float[] EXP_C = {1f / 5040, 1f / 720, 1f / 120, 1f / 24, 1f / 6, 0.5f, 1f, 1f};

  /**
   * e^x: x = k·ln2 + r with |r| ≤ ½ln2, e^r by its Taylor polynomial of degree 7 (truncation below
   * 6·10⁻⁹ relative), 2^k applied as two exponent-field scalings so that overflow gives +∞ and
   * underflow gives subnormals or 0. NaN stays NaN.
   */
  static FloatVector expOf(FloatVector x) {
    FloatVector xc = x.max(-104f).min(89f);
    FloatVector t = xc.mul(LOG2E).add(ROUND); // round(x·log2 e) + ROUND
    FloatVector k = t.sub(ROUND);
    FloatVector r = xc.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO)); // k·LN2_HI is exact
    FloatVector p = horner(r, EXP_C);
    IntVector ki = t.reinterpretAsInts().sub(ROUND_BITS);
    IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
    IntVector k2 = ki.sub(k1);
    FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return p.mul(s1).mul(s2);
  }

  /** c[0]·x^(n−1) + … + c[n−1] by Horner's rule with FMAs. */
  private static FloatVector horner(FloatVector x, float[] c) {
    FloatVector p = FloatVector.broadcast(x.species(), c[0]);
    for (int j = 1; j < c.length; j++) {
      p = p.fma(x, FloatVector.broadcast(x.species(), c[j]));
    }
    return p;
  }

  /** Taylor coefficients of tanh(u) = u + u·Σ_j c_j u^(2j), j = 8 … 1, highest first. */
  private static final float[] TANH_C = {
      (float) (6404582.0 / 10854718875.0), (float) (-929569.0 / 638512875), 21844f / 6081075,
      -1382f / 155925, 62f / 2835, -17f / 315, 2f / 15, -1f / 3};

  /**
   * tanh: for |u| < 0.55 its odd Taylor polynomial (truncation below 3·10⁻⁹ relative), else sign(u)·(1
   * − 2/(e^(2|u|) + 1)) with |u| capped at 10 (where tanh rounds to 1). NaN stays NaN.
   */
  static FloatVector tanhOf(FloatVector u) {
    FloatVector a = u.abs();
    FloatVector u2 = u.mul(u);
    FloatVector p = horner(u2, TANH_C);
    FloatVector small = p.mul(u2).fma(u, u);
    FloatVector e = expOf(a.min(10f).mul(2f));
    FloatVector large = FloatVector.broadcast(V.S, 2f).div(e.add(1f)).neg().add(1f);
    large = large.blend(large.neg(), u.lt(0f));
    return large.blend(small, a.lt(0.55f));
  }

  static final int KC = Integer.getInteger("vssf.gemm.kc", 256);
  static final int MC = roundUp(Integer.getInteger("vssf.gemm.mc", 72), V.MR);
  static final int NC = roundUp(Integer.getInteger("vssf.gemm.nc", 1024), V.NR);

  private static final float GELU_C = 0.7978845608028654f; // √(2/π)
  private static final float GELU_A = 0.044715f;

  private static int roundUp(int v, int multiple) {
    return Math.max(multiple, (v + multiple - 1) / multiple * multiple);
  }

  /** Per-thread packed panels and an edge tile, allocated on first use and reused. */
  private static final class Workspace {
    final float[] aPack = new float[MC * KC];
    final float[] bPack = new float[KC * NC];
    final float[] tile = new float[V.MR * V.NR];
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  /** Probes the species; throws if the platform's preferred vector is too narrow to pay off. */
  public PanamaKernels() {
    if (V.L < 4) {
      throw new UnsupportedOperationException("preferred float vector has only " + V.L + " lanes");
    }
  }

  @Override
  public String name() {
    return "panama-" + V.S.vectorBitSize();
  }

  // ------------------------------------------------------------------------------- GEMM

  @Override
  public void gemmAccumulate(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    gemm(false, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
  }

  @Override
  public void gemmOverwrite(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    gemm(true, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
  }

  private static void gemm(boolean overwrite, boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff,
      int ldc) {
    if (n <= V.NR / 2 && m > n && transA) {
      // Skinny C: most of every NR-wide tile would be padding. Compute Cᵀ = op(B)ᵀ·op(A)ᵀ instead,
      // storing tiles transposed. Each element still gets the same FMA chain, so the result is
      // bitwise the same as the direct path. Only for a transposed A, which then packs with plain
      // copies: an untransposed A is read in place here, while the transposed path would have to
      // transpose all of it while packing (about twice the cost of the padded FMAs it saves).
      blocked(!transB, !transA, n, m, k, alpha, b, bOff, ldb, a, aOff, lda, c, cOff, ldc, true,
          overwrite);
    } else {
      blocked(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false,
          overwrite);
    }
  }

  /**
   * The blocked product {@code D += α·op(A)·op(B)} where D is C itself, or Cᵀ when {@code
   * cTransposed} (then D's element (i, j) lives at {@code c[cOff + j·ldc + i]}).
   *
   * <p>A row-major (untransposed) A is not packed: the kernel reads its six rows in place, since
   * every element is used once per B panel either way and the copy would cost as much as the
   * reads (it dominated products with few columns, such as convolution weight gradients). Only a
   * last panel of fewer than six rows is packed, zero-padded. Packed or not, each element of D
   * gets the same chain of FMAs. With {@code overwrite}, the first k block stores {@code α·tile}
   * instead of adding it (D is never read), in full and in edge tiles alike.
   */
  private static void blocked(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
      boolean cTransposed, boolean overwrite) {
    final int mr = V.MR;
    final int nr = V.NR;
    Workspace ws = WORKSPACE.get();
    float[] ap = ws.aPack;
    float[] bp = ws.bPack;
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        packB(transB, b, bOff, ldb, pc, jc, kc, nc, bp);
        final boolean add = !(overwrite && pc == 0);
        for (int ic = 0; ic < m; ic += MC) {
          int mc = Math.min(MC, m - ic);
          // Rows [ic, ic + direct) are read in place; the rest is packed into ap from 0.
          int direct = transA ? 0 : mc / mr * mr;
          if (direct < mc) {
            packA(transA, a, aOff, lda, ic + direct, pc, mc - direct, kc, ap);
          }
          for (int jr = 0; jr < nc; jr += nr) {
            int nn = Math.min(nr, nc - jr);
            int bPanel = jr * kc;
            for (int ir = 0; ir < mc; ir += mr) {
              int mm = Math.min(mr, mc - ir);
              int row = ic + ir;
              int col = jc + jr;
              boolean inPlace = ir < direct;
              float[] as = inPlace ? a : ap;
              int at = inPlace ? aOff + row * lda + pc : (ir - direct) * kc;
              if (!cTransposed && mm == mr && nn == nr) {
                int cAt = cOff + row * ldc + col;
                if (inPlace) {
                  if (add) {
                    kernelRows(kc, alpha, a, at, lda, bp, bPanel, c, cAt, ldc);
                  } else {
                    kernelRowsStore(kc, alpha, a, at, lda, bp, bPanel, c, cAt, ldc);
                  }
                } else if (add) {
                  kernel(kc, alpha, ap, at, bp, bPanel, c, cAt, ldc);
                } else {
                  kernelStore(kc, alpha, ap, at, bp, bPanel, c, cAt, ldc);
                }
              } else {
                // D(row + i, col + j) sits at c[at + i·di + j·dj].
                int dAt = cTransposed ? cOff + col * ldc + row : cOff + row * ldc + col;
                int di = cTransposed ? 1 : ldc;
                int dj = cTransposed ? ldc : 1;
                viaTile(kc, alpha, as, at, inPlace ? lda : 0, bp, bPanel, c, dAt, di, dj, mm, nn,
                    ws.tile, add);
              }
            }
          }
        }
      }
    }
  }

  /**
   * Runs the full kernel on a copy of a partial or strided tile of D (element (i, j) at {@code
   * c[at + i·di + j·dj]}), then copies the valid part back: the same arithmetic as a direct store.
   * A is a packed panel at {@code apOff} when {@code lda == 0}, else six rows in place from
   * {@code apOff} with leading dimension {@code lda}.
   */
  private static void viaTile(int kc, float alpha, float[] ap, int apOff, int lda, float[] bp,
      int bpOff, float[] c, int at, int di, int dj, int mm, int nn, float[] tile, boolean add) {
    final int nr = V.NR;
    java.util.Arrays.fill(tile, 0f);
    for (int i = 0; add && i < mm; i++) {
      int src = at + i * di;
      if (dj == 1) {
        System.arraycopy(c, src, tile, i * nr, nn);
      } else {
        for (int j = 0; j < nn; j++) {
          tile[i * nr + j] = c[src + j * dj];
        }
      }
    }
    if (lda == 0) {
      if (add) {
        kernel(kc, alpha, ap, apOff, bp, bpOff, tile, 0, nr);
      } else {
        kernelStore(kc, alpha, ap, apOff, bp, bpOff, tile, 0, nr);
      }
    } else if (add) {
      kernelRows(kc, alpha, ap, apOff, lda, bp, bpOff, tile, 0, nr);
    } else {
      kernelRowsStore(kc, alpha, ap, apOff, lda, bp, bpOff, tile, 0, nr);
    }
    for (int i = 0; i < mm; i++) {
      int dst = at + i * di;
      if (dj == 1) {
        System.arraycopy(tile, i * nr, c, dst, nn);
      } else {
        for (int j = 0; j < nn; j++) {
          c[dst + j * dj] = tile[i * nr + j];
        }
      }
    }
  }

  /** {@code op(A)[ic:ic+mc, pc:pc+kc]} into MR-row panels, p-major within a panel, zero-padded. */
  private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int pc, int mc,
      int kc, float[] dst) {
    final int mr = V.MR;
    for (int ir = 0; ir < mc; ir += mr) {
      int rows = Math.min(mr, mc - ir);
      int base = ir * kc;
      if (!transA) {
        for (int i = 0; i < rows; i++) {
          int src = aOff + (ic + ir + i) * lda + pc;
          for (int p = 0; p < kc; p++) {
            dst[base + p * mr + i] = a[src + p];
          }
        }
      } else {
        for (int p = 0; p < kc; p++) {
          System.arraycopy(a, aOff + (pc + p) * lda + ic + ir, dst, base + p * mr, rows);
        }
      }
      if (rows < mr) {
        for (int p = 0; p < kc; p++) {
          for (int z = base + p * mr + rows; z < base + (p + 1) * mr; z++) {
            dst[z] = 0f;
          }
        }
      }
    }
  }

  /** {@code op(B)[pc:pc+kc, jc:jc+nc]} into NR-column panels, p-major within a panel, zero-padded. */
  private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int jc, int kc,
      int nc, float[] dst) {
    final int nr = V.NR;
    for (int jr = 0; jr < nc; jr += nr) {
      int cols = Math.min(nr, nc - jr);
      int base = jr * kc;
      if (!transB) {
        for (int p = 0; p < kc; p++) {
          System.arraycopy(b, bOff + (pc + p) * ldb + jc + jr, dst, base + p * nr, cols);
        }
      } else {
        for (int j = 0; j < cols; j++) {
          int src = bOff + (jc + jr + j) * ldb + pc;
          for (int p = 0; p < kc; p++) {
            dst[base + p * nr + j] = b[src + p];
          }
        }
      }
      if (cols < nr) {
        for (int p = 0; p < kc; p++) {
          for (int z = base + p * nr + cols; z < base + (p + 1) * nr; z++) {
            dst[z] = 0f;
          }
        }
      }
    }
  }

  /** The 6 × 2·lanes register tile: {@code C[0:6, 0:NR] += α·Σ_p a_p ⊗ b_p}. */
  private static void kernel(int kc, float alpha, float[] ap, int apOff, float[] bp, int bpOff,
      float[] c, int cOff, int ldc) {
    final VectorSpecies<Float> s = V.S;
    final int l = V.L;
    FloatVector c00 = FloatVector.zero(s);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    int ai = apOff;
    int bi = bpOff;
    for (int p = 0; p < kc; p++, ai += 6, bi += 2 * l) {
      FloatVector b0 = FloatVector.fromArray(s, bp, bi);
      FloatVector b1 = FloatVector.fromArray(s, bp, bi + l);
      FloatVector a0 = FloatVector.broadcast(s, ap[ai]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(s, ap[ai + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(s, ap[ai + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(s, ap[ai + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(s, ap[ai + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(s, ap[ai + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
    }
    FloatVector va = FloatVector.broadcast(s, alpha);
    store(c00, c01, va, c, cOff, l);
    store(c10, c11, va, c, cOff + ldc, l);
    store(c20, c21, va, c, cOff + 2 * ldc, l);
    store(c30, c31, va, c, cOff + 3 * ldc, l);
    store(c40, c41, va, c, cOff + 4 * ldc, l);
    store(c50, c51, va, c, cOff + 5 * ldc, l);
  }

  /**
   * {@link #kernel} with A read in place: its six rows start at {@code a[aOff + i·lda]}, element p
   * of row i at {@code a[aOff + i·lda + p]}. The same FMAs in the same order as the packed form.
   */
  private static void kernelRows(int kc, float alpha, float[] a, int aOff, int lda, float[] bp,
      int bpOff, float[] c, int cOff, int ldc) {
    final VectorSpecies<Float> s = V.S;
    final int l = V.L;
    FloatVector c00 = FloatVector.zero(s);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    final int r0 = aOff;
    final int r1 = r0 + lda;
    final int r2 = r1 + lda;
    final int r3 = r2 + lda;
    final int r4 = r3 + lda;
    final int r5 = r4 + lda;
    int bi = bpOff;
    for (int p = 0; p < kc; p++, bi += 2 * l) {
      FloatVector b0 = FloatVector.fromArray(s, bp, bi);
      FloatVector b1 = FloatVector.fromArray(s, bp, bi + l);
      FloatVector a0 = FloatVector.broadcast(s, a[r0 + p]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(s, a[r1 + p]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(s, a[r2 + p]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(s, a[r3 + p]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(s, a[r4 + p]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(s, a[r5 + p]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
    }
    FloatVector va = FloatVector.broadcast(s, alpha);
    store(c00, c01, va, c, cOff, l);
    store(c10, c11, va, c, cOff + ldc, l);
    store(c20, c21, va, c, cOff + 2 * ldc, l);
    store(c30, c31, va, c, cOff + 3 * ldc, l);
    store(c40, c41, va, c, cOff + 4 * ldc, l);
    store(c50, c51, va, c, cOff + 5 * ldc, l);
  }

  /**
   * {@link #kernel} storing {@code α·tile} without reading C: the first k block of an overwriting
   * product. A separate copy rather than a flag, which would push the kernel past C2's inlining
   * budget (the Vector API then boxes every vector).
   */
  private static void kernelStore(int kc, float alpha, float[] ap, int apOff, float[] bp, int bpOff,
      float[] c, int cOff, int ldc) {
    final VectorSpecies<Float> s = V.S;
    final int l = V.L;
    FloatVector c00 = FloatVector.zero(s);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    int ai = apOff;
    int bi = bpOff;
    for (int p = 0; p < kc; p++, ai += 6, bi += 2 * l) {
      FloatVector b0 = FloatVector.fromArray(s, bp, bi);
      FloatVector b1 = FloatVector.fromArray(s, bp, bi + l);
      FloatVector a0 = FloatVector.broadcast(s, ap[ai]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(s, ap[ai + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(s, ap[ai + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(s, ap[ai + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(s, ap[ai + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(s, ap[ai + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
    }
    FloatVector va = FloatVector.broadcast(s, alpha);
    put(c00, c01, va, c, cOff, l);
    put(c10, c11, va, c, cOff + ldc, l);
    put(c20, c21, va, c, cOff + 2 * ldc, l);
    put(c30, c31, va, c, cOff + 3 * ldc, l);
    put(c40, c41, va, c, cOff + 4 * ldc, l);
    put(c50, c51, va, c, cOff + 5 * ldc, l);
  }
  /** {@link #kernelRows} storing {@code α·tile} without reading C (see {@link #kernelStore}). */
  private static void kernelRowsStore(int kc, float alpha, float[] a, int aOff, int lda, float[] bp,
      int bpOff, float[] c, int cOff, int ldc) {
    final VectorSpecies<Float> s = V.S;
    final int l = V.L;
    FloatVector c00 = FloatVector.zero(s);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    final int r0 = aOff;
    final int r1 = r0 + lda;
    final int r2 = r1 + lda;
    final int r3 = r2 + lda;
    final int r4 = r3 + lda;
    final int r5 = r4 + lda;
    int bi = bpOff;
    for (int p = 0; p < kc; p++, bi += 2 * l) {
      FloatVector b0 = FloatVector.fromArray(s, bp, bi);
      FloatVector b1 = FloatVector.fromArray(s, bp, bi + l);
      FloatVector a0 = FloatVector.broadcast(s, a[r0 + p]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(s, a[r1 + p]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(s, a[r2 + p]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(s, a[r3 + p]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(s, a[r4 + p]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(s, a[r5 + p]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
    }
    FloatVector va = FloatVector.broadcast(s, alpha);
    put(c00, c01, va, c, cOff, l);
    put(c10, c11, va, c, cOff + ldc, l);
    put(c20, c21, va, c, cOff + 2 * ldc, l);
    put(c30, c31, va, c, cOff + 3 * ldc, l);
    put(c40, c41, va, c, cOff + 4 * ldc, l);
    put(c50, c51, va, c, cOff + 5 * ldc, l);
  }
  private static void put(FloatVector x0, FloatVector x1, FloatVector alpha, float[] c, int at, int l) {
    x0.mul(alpha).intoArray(c, at);
    x1.mul(alpha).intoArray(c, at + l);
  }

  private static void store(FloatVector x0, FloatVector x1, FloatVector alpha, float[] c, int at, int l) {
    x0.fma(alpha, FloatVector.fromArray(V.S, c, at)).intoArray(c, at);
    x1.fma(alpha, FloatVector.fromArray(V.S, c, at + l)).intoArray(c, at + l);
  }

  // ------------------------------------------------------------------- vectors and reductions

  @Override
  public float dot(int n, float[] x, int xOff, float[] y, int yOff) {
    final VectorSpecies<Float> s = V.S;
    final int l = V.L;
    FloatVector acc0 = FloatVector.zero(s);
    FloatVector acc1 = acc0;
    FloatVector acc2 = acc0;
    FloatVector acc3 = acc0;
    int i = 0;
    int bound4 = n - 4 * l;
    for (; i <= bound4; i += 4 * l) {
      acc0 = FloatVector.fromArray(s, x, xOff + i).fma(FloatVector.fromArray(s, y, yOff + i), acc0);
      acc1 = FloatVector.fromArray(s, x, xOff + i + l).fma(FloatVector.fromArray(s, y, yOff + i + l), acc1);
      acc2 = FloatVector.fromArray(s, x, xOff + i + 2 * l).fma(FloatVector.fromArray(s, y, yOff + i + 2 * l), acc2);
      acc3 = FloatVector.fromArray(s, x, xOff + i + 3 * l).fma(FloatVector.fromArray(s, y, yOff + i + 3 * l), acc3);
    }
    for (; i <= n - l; i += l) {
      acc0 = FloatVector.fromArray(s, x, xOff + i).fma(FloatVector.fromArray(s, y, yOff + i), acc0);
    }
    float r = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
    for (; i < n; i++) {
      r += x[xOff + i] * y[yOff + i];
    }
    return r;
  }

  @Override
  public float sum(int n, float[] x, int xOff) {
    final VectorSpecies<Float> s = V.S;
    final int l = V.L;
    FloatVector acc0 = FloatVector.zero(s);
    FloatVector acc1 = acc0;
    int i = 0;
    for (; i <= n - 2 * l; i += 2 * l) {
      acc0 = acc0.add(FloatVector.fromArray(s, x, xOff + i));
      acc1 = acc1.add(FloatVector.fromArray(s, x, xOff + i + l));
    }
    for (; i <= n - l; i += l) {
      acc0 = acc0.add(FloatVector.fromArray(s, x, xOff + i));
    }
    float r = sumLanes(acc0.add(acc1));
    for (; i < n; i++) {
      r += x[xOff + i];
    }
    return r;
  }

  /** {@code x[at .. at + DL)} widened to doubles. */
  private static DoubleVector widen(float[] x, int at) {
    return (DoubleVector) FloatVector.fromArray(V.FD, x, at).convertShape(VectorOperators.F2D, V.D, 0);
  }

  @Override
  public double sumAsDouble(int n, float[] x, int xOff) {
    final int l = V.DL;
    DoubleVector acc0 = DoubleVector.zero(V.D);
    DoubleVector acc1 = acc0;
    int i = 0;
    for (; i <= n - 2 * l; i += 2 * l) {
      acc0 = acc0.add(widen(x, xOff + i));
      acc1 = acc1.add(widen(x, xOff + i + l));
    }
    double r = sumLanes(acc0.add(acc1));
    for (; i < n; i++) {
      r += x[xOff + i];
    }
    return r;
  }

  @Override
  public double squaredDeviationsAsDouble(int n, float[] x, int xOff, double mean) {
    final int l = V.DL;
    DoubleVector mu = DoubleVector.broadcast(V.D, mean);
    DoubleVector acc0 = DoubleVector.zero(V.D);
    DoubleVector acc1 = acc0;
    int i = 0;
    for (; i <= n - 2 * l; i += 2 * l) {
      DoubleVector d0 = widen(x, xOff + i).sub(mu);
      DoubleVector d1 = widen(x, xOff + i + l).sub(mu);
      acc0 = d0.fma(d0, acc0);
      acc1 = d1.fma(d1, acc1);
    }
    double r = sumLanes(acc0.add(acc1));
    for (; i < n; i++) {
      double d = x[xOff + i] - mean;
      r += d * d;
    }
    return r;
  }

  @Override
  public double dotAsDouble(int n, float[] x, int xOff, float[] y, int yOff) {
    final int l = V.DL;
    DoubleVector acc0 = DoubleVector.zero(V.D);
    DoubleVector acc1 = acc0;
    int i = 0;
    for (; i <= n - 2 * l; i += 2 * l) {
      acc0 = widen(x, xOff + i).fma(widen(y, yOff + i), acc0);
      acc1 = widen(x, xOff + i + l).fma(widen(y, yOff + i + l), acc1);
    }
    double r = sumLanes(acc0.add(acc1));
    for (; i < n; i++) {
      r += (double) x[xOff + i] * y[yOff + i];
    }
    return r;
  }
  @Override
  public double sum(int n, double[] x, int xOff) {
    final VectorSpecies<Double> s = V.D;
    final int l = V.DL;
    DoubleVector acc0 = DoubleVector.zero(s);
    DoubleVector acc1 = acc0;
    int i = 0;
    for (; i <= n - 2 * l; i += 2 * l) {
      acc0 = acc0.add(DoubleVector.fromArray(s, x, xOff + i));
      acc1 = acc1.add(DoubleVector.fromArray(s, x, xOff + i + l));
    }
    double r = sumLanes(acc0.add(acc1));
    for (; i < n; i++) {
      r += x[xOff + i];
    }
    return r;
  }

  @Override
  public double dot(int n, double[] x, int xOff, double[] y, int yOff) {
    final VectorSpecies<Double> s = V.D;
    final int l = V.DL;
    DoubleVector acc0 = DoubleVector.zero(s);
    DoubleVector acc1 = acc0;
    int i = 0;
    for (; i <= n - 2 * l; i += 2 * l) {
      acc0 = DoubleVector.fromArray(s, x, xOff + i).fma(DoubleVector.fromArray(s, y, yOff + i), acc0);
      acc1 = DoubleVector.fromArray(s, x, xOff + i + l).fma(DoubleVector.fromArray(s, y, yOff + i + l), acc1);
    }
    double r = sumLanes(acc0.add(acc1));
    for (; i < n; i++) {
      r += x[xOff + i] * y[yOff + i];
    }
    return r;
  }

  // gram: every element is one FMA accumulator over the full vectors, its lanes summed by the fixed
  // tree, then the tail added in order; the 2 × 4 register block and the single-element edge form
  // compute exactly that, so an element's bits do not depend on the block it falls in.
  @Override
  public void gram(int n, double[][] x, int a, double[][] y, int b, double[] out, int outOff, int ldo) {
    int i = 0;
    for (; i + 1 < a; i += 2) {
      int j = 0;
      for (; j + 3 < b; j += 4) {
        gram2x4(n, x[i], x[i + 1], y[j], y[j + 1], y[j + 2], y[j + 3], out, outOff + i * ldo + j, ldo);
      }
      for (; j < b; j++) {
        out[outOff + i * ldo + j] += gram1(n, x[i], y[j]);
        out[outOff + (i + 1) * ldo + j] += gram1(n, x[i + 1], y[j]);
      }
    }
    if (i < a) {
      for (int j = 0; j < b; j++) {
        out[outOff + i * ldo + j] += gram1(n, x[i], y[j]);
      }
    }
  }

  private static double gram1(int n, double[] x, double[] y) {
    final VectorSpecies<Double> s = V.D;
    DoubleVector acc = DoubleVector.zero(s);
    int q = 0;
    for (int bound = s.loopBound(n); q < bound; q += V.DL) {
      acc = DoubleVector.fromArray(s, x, q).fma(DoubleVector.fromArray(s, y, q), acc);
    }
    return tail(sumLanes(acc), x, y, q, n);
  }

  private static double tail(double r, double[] x, double[] y, int from, int n) {
    for (int q = from; q < n; q++) {
      r += x[q] * y[q];
    }
    return r;
  }

  private static void gram2x4(int n, double[] x0, double[] x1, double[] y0, double[] y1, double[] y2,
      double[] y3, double[] out, int o, int ldo) {
    final VectorSpecies<Double> s = V.D;
    DoubleVector a00 = DoubleVector.zero(s);
    DoubleVector a01 = a00;
    DoubleVector a02 = a00;
    DoubleVector a03 = a00;
    DoubleVector a10 = a00;
    DoubleVector a11 = a00;
    DoubleVector a12 = a00;
    DoubleVector a13 = a00;
    int q = 0;
    for (int bound = s.loopBound(n); q < bound; q += V.DL) {
      DoubleVector u0 = DoubleVector.fromArray(s, x0, q);
      DoubleVector u1 = DoubleVector.fromArray(s, x1, q);
      DoubleVector v = DoubleVector.fromArray(s, y0, q);
      a00 = u0.fma(v, a00);
      a10 = u1.fma(v, a10);
      v = DoubleVector.fromArray(s, y1, q);
      a01 = u0.fma(v, a01);
      a11 = u1.fma(v, a11);
      v = DoubleVector.fromArray(s, y2, q);
      a02 = u0.fma(v, a02);
      a12 = u1.fma(v, a12);
      v = DoubleVector.fromArray(s, y3, q);
      a03 = u0.fma(v, a03);
      a13 = u1.fma(v, a13);
    }
    out[o] += tail(sumLanes(a00), x0, y0, q, n);
    out[o + 1] += tail(sumLanes(a01), x0, y1, q, n);
    out[o + 2] += tail(sumLanes(a02), x0, y2, q, n);
    out[o + 3] += tail(sumLanes(a03), x0, y3, q, n);
    out[o + ldo] += tail(sumLanes(a10), x1, y0, q, n);
    out[o + ldo + 1] += tail(sumLanes(a11), x1, y1, q, n);
    out[o + ldo + 2] += tail(sumLanes(a12), x1, y2, q, n);
    out[o + ldo + 3] += tail(sumLanes(a13), x1, y3, q, n);
  }

  @Override
  public double dot(int n, double[] w, int wOff, double[] x, int xOff, double[] y, int yOff) {
    final VectorSpecies<Double> s = V.D;
    final int l = V.DL;
    DoubleVector acc0 = DoubleVector.zero(s);
    DoubleVector acc1 = acc0;
    int i = 0;
    for (; i <= n - 2 * l; i += 2 * l) {
      acc0 = DoubleVector.fromArray(s, w, wOff + i).mul(DoubleVector.fromArray(s, x, xOff + i))
          .fma(DoubleVector.fromArray(s, y, yOff + i), acc0);
      acc1 = DoubleVector.fromArray(s, w, wOff + i + l).mul(DoubleVector.fromArray(s, x, xOff + i + l))
          .fma(DoubleVector.fromArray(s, y, yOff + i + l), acc1);
    }
    double r = sumLanes(acc0.add(acc1));
    for (; i < n; i++) {
      r += w[wOff + i] * x[xOff + i] * y[yOff + i];
    }
    return r;
  }


  @Override
  public void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    final VectorSpecies<Float> s = V.S;
    FloatVector va = FloatVector.broadcast(s, alpha);
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      FloatVector.fromArray(s, x, xOff + i).fma(va, FloatVector.fromArray(s, y, yOff + i))
          .intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] += alpha * x[xOff + i];
    }
  }

  @Override
  public void scale(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      FloatVector.fromArray(s, x, xOff + i).mul(alpha).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = alpha * x[xOff + i];
    }
  }

  @Override
  public void mul(int n, float[] x, int xOff, float[] y, int yOff, float[] z, int zOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      FloatVector.fromArray(s, x, xOff + i).mul(FloatVector.fromArray(s, y, yOff + i))
          .intoArray(z, zOff + i);
    }
    for (; i < n; i++) {
      z[zOff + i] = x[xOff + i] * y[yOff + i];
    }
  }

  // ------------------------------------------------------------------------- activations

  private static FloatVector geluOf(FloatVector x) {
    FloatVector u = x.mul(x).fma(GELU_A, 1f).mul(x).mul(GELU_C);
    FloatVector t = tanhOf(u);
    return x.mul(0.5f).mul(t.add(1f));
  }

  @Override
  public void gelu(int n, float[] x, int xOff, float[] y, int yOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      geluOf(FloatVector.fromArray(s, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) { // scalar tail: masked vector tails allocate on small arrays (JDK 17)
      y[yOff + i] = ScalarKernels.gelu(x[xOff + i]);
    }
  }

  private static FloatVector geluGrad(FloatVector x) {
    FloatVector x2 = x.mul(x);
    FloatVector t = tanhOf(x2.fma(GELU_A, 1f).mul(x).mul(GELU_C));
    // ½(1+t) + ½x(1−t²)·c·(1 + 3a·x²)
    FloatVector sech2 = t.mul(t).neg().add(1f);
    FloatVector inner = x2.fma(3f * GELU_A, 1f).mul(GELU_C);
    return t.add(1f).mul(0.5f).add(x.mul(0.5f).mul(sech2).mul(inner));
  }

  @Override
  public void geluBackward(int n, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      geluGrad(FloatVector.fromArray(s, x, xOff + i))
          .fma(FloatVector.fromArray(s, dy, dyOff + i), FloatVector.fromArray(s, dx, dxOff + i))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] += dy[dyOff + i] * ScalarKernels.geluDerivative(x[xOff + i]);
    }
  }

  @Override
  public void tanh(int n, float[] x, int xOff, float[] y, int yOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      tanhOf(FloatVector.fromArray(s, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = (float) Math.tanh(x[xOff + i]);
    }
  }

  @Override
  public void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      FloatVector t = FloatVector.fromArray(s, y, yOff + i);
      t.mul(t).neg().add(1f)
          .fma(FloatVector.fromArray(s, dy, dyOff + i), FloatVector.fromArray(s, dx, dxOff + i))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float t = y[yOff + i];
      dx[dxOff + i] += dy[dyOff + i] * (1f - t * t);
    }
  }

  @Override
  public void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      FloatVector v = FloatVector.fromArray(s, x, xOff + i);
      v.blend(v.mul(slope), v.compare(VectorOperators.GT, 0f).not()).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : slope * v;
    }
  }

  @Override
  public void leakyReluBackward(int n, float slope, float[] x, int xOff, float[] dy, int dyOff,
      float[] dx, int dxOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      FloatVector g = FloatVector.fromArray(s, dy, dyOff + i);
      VectorMask<Float> pos = FloatVector.fromArray(s, x, xOff + i).compare(VectorOperators.GT, 0f);
      g.mul(slope).blend(g, pos).add(FloatVector.fromArray(s, dx, dxOff + i)).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float g = dy[dyOff + i];
      dx[dxOff + i] += x[xOff + i] > 0f ? g : slope * g;
    }
  }

  @Override
  public void exp(int n, float[] x, int xOff, float[] y, int yOff) {
    final VectorSpecies<Float> s = V.S;
    int i = 0;
    for (int bound = s.loopBound(n); i < bound; i += V.L) {
      expOf(FloatVector.fromArray(s, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = (float) Math.exp(x[xOff + i]);
    }
  }

  @Override
  public void gaussianBlocks(int[] state, int blocks, float[] out, int off) {
    // The lanes are independent streams, so groups of V.L lanes run one after another, each with its
    // state in registers; the arithmetic is GaussianBlocks.scalar's, operation for operation.
    final VectorSpecies<Integer> is = V.I;
    final int lanes = GaussianBlocks.LANES;
    for (int g = 0; g < lanes; g += V.L) {
      IntVector s0 = IntVector.fromArray(is, state, g);
      IntVector s1 = IntVector.fromArray(is, state, lanes + g);
      IntVector s2 = IntVector.fromArray(is, state, 2 * lanes + g);
      IntVector s3 = IntVector.fromArray(is, state, 3 * lanes + g);
      for (int k = 0; k < blocks; k++) {
        IntVector a = scrambled(s1);
        IntVector t = s1.lanewise(VectorOperators.LSHL, 9);
        s2 = s2.lanewise(VectorOperators.XOR, s0);
        s3 = s3.lanewise(VectorOperators.XOR, s1);
        s1 = s1.lanewise(VectorOperators.XOR, s2);
        s0 = s0.lanewise(VectorOperators.XOR, s3);
        s2 = s2.lanewise(VectorOperators.XOR, t);
        s3 = rotl(s3, 11);
        IntVector b = scrambled(s1);
        t = s1.lanewise(VectorOperators.LSHL, 9);
        s2 = s2.lanewise(VectorOperators.XOR, s0);
        s3 = s3.lanewise(VectorOperators.XOR, s1);
        s1 = s1.lanewise(VectorOperators.XOR, s2);
        s0 = s0.lanewise(VectorOperators.XOR, s3);
        s2 = s2.lanewise(VectorOperators.XOR, t);
        s3 = rotl(s3, 11);

        // Reinterpreting, not converting: convert(I2F) is not always intrinsified on JDK 17.
        FloatVector u = a.lanewise(VectorOperators.LSHR, 9).lanewise(VectorOperators.OR, GaussianBlocks.ONE_BITS)
            .reinterpretAsFloats().neg().add(2f);
        FloatVector r = radius(u);
        FloatVector x = b.lanewise(VectorOperators.LSHR, 9).lanewise(VectorOperators.OR, GaussianBlocks.ONE_BITS)
            .reinterpretAsFloats().sub(1f).mul(GaussianBlocks.QUARTER_PI);
        FloatVector z = x.mul(x);
        float[] sp = GaussianBlocks.SIN_P;
        float[] cp = GaussianBlocks.COS_P;
        FloatVector sin = z.mul(sp[0]).add(sp[1]).mul(z).add(sp[2]).mul(z).mul(x).add(x);
        FloatVector cos = z.mul(cp[0]).add(cp[1]).mul(z).add(cp[2]).mul(z).mul(z)
            .sub(z.mul(0.5f)).add(1f);
        // Swap by bit selection (all-ones where bit 2 of a is set): no mask cast between species.
        IntVector swap = a.lanewise(VectorOperators.LSHL, 29).lanewise(VectorOperators.ASHR, 31);
        IntVector cb = cos.reinterpretAsInts();
        IntVector sb = sin.reinterpretAsInts();
        IntVector diff = cb.lanewise(VectorOperators.XOR, sb).lanewise(VectorOperators.AND, swap);
        FloatVector c = cb.lanewise(VectorOperators.XOR, diff).reinterpretAsFloats();
        FloatVector s = sb.lanewise(VectorOperators.XOR, diff).reinterpretAsFloats();
        IntVector sign0 = a.lanewise(VectorOperators.LSHL, 31);
        IntVector sign1 = a.lanewise(VectorOperators.LSHL, 30).lanewise(VectorOperators.AND, 0x80000000);
        int at = off + GaussianBlocks.BLOCK * k + g;
        r.mul(c).reinterpretAsInts().lanewise(VectorOperators.XOR, sign0).reinterpretAsFloats()
            .intoArray(out, at);
        r.mul(s).reinterpretAsInts().lanewise(VectorOperators.XOR, sign1).reinterpretAsFloats()
            .intoArray(out, at + lanes);
      }
      s0.intoArray(state, g);
      s1.intoArray(state, lanes + g);
      s2.intoArray(state, 2 * lanes + g);
      s3.intoArray(state, 3 * lanes + g);
    }
  }

  /** xoshiro128**'s output: rotl(s1·5, 7)·9, multiplies as shifts and adds. */
  private static IntVector scrambled(IntVector s1) {
    IntVector x = s1.lanewise(VectorOperators.LSHL, 2).add(s1);
    x = rotl(x, 7);
    return x.lanewise(VectorOperators.LSHL, 3).add(x);
  }

  private static IntVector rotl(IntVector x, int k) {
    return x.lanewise(VectorOperators.LSHL, k).lanewise(VectorOperators.OR, x.lanewise(VectorOperators.LSHR, 32 - k));
  }

  /** √(−2 ln u), as {@code GaussianBlocks.radius}. */
  private static FloatVector radius(FloatVector u) {
    IntVector bits = u.reinterpretAsInts();
    // The biased exponent E (< 2²³) as a float: the bits 0x4b000000 | E are 2²³ + E exactly.
    FloatVector e = bits.lanewise(VectorOperators.LSHR, 23).lanewise(VectorOperators.OR, 0x4b000000)
        .reinterpretAsFloats().sub(8388608f).sub(126f);
    FloatVector m = bits.lanewise(VectorOperators.AND, 0x007fffff).lanewise(VectorOperators.OR, 0x3f000000)
        .reinterpretAsFloats();
    VectorMask<Float> low = m.lt(GaussianBlocks.SQRT_HALF);
    e = e.blend(e.sub(1f), low);
    m = m.sub(1f).blend(m.add(m).sub(1f), low);
    FloatVector z = m.mul(m);
    float[] lp = GaussianBlocks.LOG_P;
    FloatVector p = FloatVector.broadcast(V.S, lp[0]);
    for (int i = 1; i < lp.length; i++) {
      p = p.mul(m).add(lp[i]);
    }
    FloatVector y = p.mul(m).mul(z);
    y = y.add(e.mul(GaussianBlocks.LN2_LO));
    y = y.sub(z.mul(0.5f));
    FloatVector ln = m.add(y);
    ln = ln.add(e.mul(GaussianBlocks.LN2_HI));
    FloatVector t = ln.mul(-2f);
    return t.blend(0f, t.compare(VectorOperators.GT, 0f).not()).sqrt();
  }

  @Override
  public void log(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) { // scalar: Math.log is the same intrinsic in every tier
      y[yOff + i] = (float) Math.log(x[xOff + i]);
    }
  }
}
