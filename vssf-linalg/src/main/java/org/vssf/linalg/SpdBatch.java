package org.vssf.linalg;

/**
 * Batched small symmetric positive definite (SPD) algebra: Cholesky factorisation, triangular
 * solves, log-determinants, SPD solves and (when truly needed) inverses, for {@code batch}
 * independent {@code m × m} matrices (m is small: 2–16 in the filter, any {@code m ≥ 1} works).
 *
 * <p><b>Layout.</b> Matrix {@code b} of a batch starts at {@code off + b·m·m}, row-major; a
 * right-hand side or solution block is {@code m × nrhs} per batch element, starting at {@code off +
 * b·m·nrhs}, row-major. Storage is float32; every kernel loads a matrix into a per-thread {@code
 * double} workspace, computes in double and rounds once when storing, so a solve never round-trips
 * its factor through float.
 *
 * <p><b>Aliasing.</b> Each matrix is loaded completely before its result is stored, so an output
 * may be the same array at the same offset as an input ({@code l == a}, {@code x == b}, {@code inv
 * == a}); other partial overlaps are not supported.
 *
 * <p><b>Failures.</b> A Cholesky pivot {@code d_j = a_jj − Σ_{k<j} l_jk²} that is ≤ 0 or not finite
 * throws {@link NotPositiveDefiniteException} with the caller's matrix name, the batch index, the
 * pivot {@code j} and {@code d_j}. A non-finite entry in row {@code i} of the lower triangle always
 * surfaces as a non-finite pivot at {@code j ≤ i} (the row-by-row factorisation carries it into
 * {@code d_i}), so NaN/Inf input never yields a factor. The triangular solves throw {@link
 * SingularMatrixException} for a zero or non-finite diagonal entry. On an exception the outputs of
 * the failing matrix and of other matrices in the batch are unspecified; the batch index reported is
 * the lowest failing one, whatever the thread count.
 *
 * <p><b>Threads.</b> Matrices are independent, so large batches are split over {@link Parallel}
 * in fixed chunks and results are bitwise identical for every thread count. Each method has an
 * overload taking the parallelism; the others use {@link Parallel#defaultParallelism()}. Once a
 * thread's workspace has grown to the largest {@code m} it has seen, a single-threaded call
 * allocates nothing.
 */
public final class SpdBatch {
  /**
   * Approximate multiply-adds a chunk must carry before another thread is used (a fork/join round
   * trip costs a few microseconds, this much work costs roughly as much again).
   */
  static final long MIN_CHUNK_WORK = 8192;

  /**
   * Diagonal entries multiplied before one log in the log-determinant: each float is in [2⁻¹⁴⁹,
   * 2¹²⁸] and 6·149 &lt; 1022, so the partial product stays a normal double.
   */
  private static final int LOG_GROUP = 6;

  /** Per-thread {@code double} scratch, grown to the largest size requested and then reused. */
  private static final class Workspace {
    double[] data = new double[64];

    double[] get(int n) {
      if (data.length < n) {
        data = new double[Math.max(n, 2 * data.length)];
      }
      return data;
    }
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  private SpdBatch() {}

  // ------------------------------------------------------------------------------ Cholesky

  /**
   * Lower Cholesky factors {@code A_b = L_b·L_bᵀ} of a batch of SPD matrices, reading only the
   * lower triangle (diagonal included) of each {@code A_b}; the strict upper triangle of {@code a}
   * is never read and the strict upper triangle of each {@code L_b} is written as 0. Row by row
   * (Cholesky–Banachiewicz), in double:
   *
   * <pre>
   *   l_ij = (a_ij − Σ_{k&lt;j} l_ik·l_jk) / l_jj   (j &lt; i)
   *   l_ii = √(a_ii − Σ_{k&lt;i} l_ik²)
   * </pre>
   *
   * @param name the matrix's name for error messages (e.g. {@code "processCov"})
   * @param l output, may be {@code a} at the same offset (in place)
   * @throws NotPositiveDefiniteException if a pivot under the square root is ≤ 0 or not finite
   *     (including any NaN/Inf in the lower triangle)
   */
  public static void cholesky(String name, int batch, int m, float[] a, int aOff, float[] l, int lOff) {
    cholesky(name, batch, m, a, aOff, l, lOff, Parallel.defaultParallelism());
  }

  /** As {@link #cholesky(String, int, int, float[], int, float[], int)} with an explicit thread count. */
  public static void cholesky(String name, int batch, int m, float[] a, int aOff, float[] l, int lOff,
      int parallelism) {
    factorChecked("cholesky", name, batch, m, a, aOff, false, 0.0, l, lOff, parallelism);
  }

  /**
   * The SPD entry point: factors {@code S_b = ½(A_b + A_bᵀ) + jitter·I = L_b·L_bᵀ}. Both triangles
   * of {@code A_b} are read (so a NaN anywhere in {@code A_b} fails the factorisation); then as
   * {@link #cholesky(String, int, int, float[], int, float[], int)}.
   *
   * @param jitter diagonal regulariser, finite and ≥ 0 (added in double)
   * @param l output, may be {@code a} at the same offset (in place)
   * @throws NotPositiveDefiniteException if {@code S_b} is not numerically positive definite
   */
  public static void factorSpd(String name, int batch, int m, float[] a, int aOff, float jitter,
      float[] l, int lOff) {
    factorSpd(name, batch, m, a, aOff, jitter, l, lOff, Parallel.defaultParallelism());
  }

  /** As {@link #factorSpd(String, int, int, float[], int, float, float[], int)} with an explicit thread count. */
  public static void factorSpd(String name, int batch, int m, float[] a, int aOff, float jitter,
      float[] l, int lOff, int parallelism) {
    if (!(jitter >= 0f && jitter < Float.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("factorSpd: 'jitter' must be finite and >= 0, got " + jitter);
    }
    factorChecked("factorSpd", name, batch, m, a, aOff, true, jitter, l, lOff, parallelism);
  }

  private static void factorChecked(String op, String name, int batch, int m, float[] a, int aOff,
      boolean symmetrise, double jitter, float[] l, int lOff, int parallelism) {
    int mm = checkDims(op, name, batch, m, 1, parallelism);
    Checks.matrix(op, "a", a, aOff, batch, mm, mm);
    Checks.matrix(op, "l", l, lOff, batch, mm, mm);
    int threads = threads(batch, (long) mm * (m + 1), parallelism);
    if (threads == 1) {
      factorRange(name, m, a, aOff, symmetrise, jitter, l, lOff, 0, batch);
    } else {
      Parallel.forEachChunk(batch, threads, (c, from, to) ->
          factorRange(name, m, a, aOff, symmetrise, jitter, l, lOff, from, to));
    }
  }

  private static void factorRange(String name, int m, float[] a, int aOff, boolean symmetrise,
      double jitter, float[] l, int lOff, int from, int to) {
    int mm = m * m;
    double[] w = WORKSPACE.get().get(mm + m);
    for (int b = from; b < to; b++) {
      loadLower(a, aOff + b * mm, m, symmetrise, jitter, w);
      factor(name, b, m, w, mm);
      int base = lOff + b * mm;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          l[base + i * m + j] = j <= i ? (float) w[i * m + j] : 0f;
        }
      }
    }
  }

  // ---------------------------------------------------------------------- triangular solves

  /**
   * Solves {@code op(T_b)·X_b = B_b} for each batch element, with {@code T_b} lower ({@code lower})
   * or upper triangular and {@code op(T) = T} or {@code Tᵀ} ({@code transpose}); {@code B_b} and
   * {@code X_b} are {@code m × nrhs}. Only the named triangle of {@code T_b} (diagonal included) is
   * read. When {@code op(T)} is lower this is forward substitution {@code x_i = (b_i − Σ_{k<i}
   * op(T)_ik·x_k) / t_ii}, otherwise back substitution over {@code k > i}; in double.
   * Off-diagonal NaN/Inf in T or B propagate into X; {@code nrhs = 0} does nothing.
   *
   * @param x output, may be {@code b} at the same offset
   * @throws SingularMatrixException (name {@code "t"}) if a diagonal entry of {@code T_b} is 0 or
   *     not finite
   */
  public static void solveTriangular(int batch, int m, int nrhs, boolean lower, boolean transpose,
      float[] t, int tOff, float[] b, int bOff, float[] x, int xOff) {
    solveTriangular(batch, m, nrhs, lower, transpose, t, tOff, b, bOff, x, xOff,
        Parallel.defaultParallelism());
  }

  /** As {@link #solveTriangular(int, int, int, boolean, boolean, float[], int, float[], int, float[], int)} with an explicit thread count. */
  public static void solveTriangular(int batch, int m, int nrhs, boolean lower, boolean transpose,
      float[] t, int tOff, float[] b, int bOff, float[] x, int xOff, int parallelism) {
    solveChecked("solveTriangular", "t", null, false, batch, m, nrhs, lower, transpose, t, tOff, b, bOff,
        x, xOff, parallelism);
  }

  /**
   * Solves {@code (L_b·L_bᵀ)·X_b = B_b} given lower factors {@code L_b} (only their lower triangle is
   * read): forward substitution {@code L·Y = B}, then back substitution {@code Lᵀ·X = Y}, in double.
   * {@code nrhs = 0} does nothing.
   *
   * @param x output, may be {@code b} at the same offset
   * @throws SingularMatrixException (name {@code "l"}) if a diagonal entry of {@code L_b} is 0 or not
   *     finite
   */
  public static void choleskySolve(int batch, int m, int nrhs, float[] l, int lOff, float[] b, int bOff,
      float[] x, int xOff) {
    choleskySolve(batch, m, nrhs, l, lOff, b, bOff, x, xOff, Parallel.defaultParallelism());
  }

  /** As {@link #choleskySolve(int, int, int, float[], int, float[], int, float[], int)} with an explicit thread count. */
  public static void choleskySolve(int batch, int m, int nrhs, float[] l, int lOff, float[] b, int bOff,
      float[] x, int xOff, int parallelism) {
    solveChecked("choleskySolve", "l", null, true, batch, m, nrhs, true, false, l, lOff, b, bOff, x, xOff,
        parallelism);
  }

  /**
   * Solves {@code A_b·X_b = B_b} for SPD {@code A_b} (only its lower triangle is read): factors
   * {@code A_b = L·Lᵀ} as {@link #cholesky(String, int, int, float[], int, float[], int)} does, then
   * solves {@code L·Y = B} and {@code Lᵀ·X = Y}, all in double (the factor is never rounded to
   * float). {@code nrhs = 0} does nothing (A is not read).
   *
   * @param name the matrix's name for error messages
   * @param x output, may be {@code b} at the same offset
   * @throws NotPositiveDefiniteException if {@code A_b} is not numerically positive definite
   */
  public static void spdSolve(String name, int batch, int m, int nrhs, float[] a, int aOff, float[] b,
      int bOff, float[] x, int xOff) {
    spdSolve(name, batch, m, nrhs, a, aOff, b, bOff, x, xOff, Parallel.defaultParallelism());
  }

  /** As {@link #spdSolve(String, int, int, int, float[], int, float[], int, float[], int)} with an explicit thread count. */
  public static void spdSolve(String name, int batch, int m, int nrhs, float[] a, int aOff, float[] b,
      int bOff, float[] x, int xOff, int parallelism) {
    solveChecked("spdSolve", "a", name, true, batch, m, nrhs, true, false, a, aOff, b, bOff, x, xOff,
        parallelism);
  }

  /**
   * {@code A_b⁻¹} of SPD matrices (only the lower triangle of {@code A_b} is read), as {@code A⁻¹ =
   * L⁻ᵀ·L⁻¹} by solving {@code A·X = I} through the Cholesky factor in double; the stored result is
   * exactly symmetric ({@code ½(X + Xᵀ)}). Use only when the inverse itself is truly needed; to apply
   * {@code A⁻¹} to vectors prefer {@link #spdSolve(String, int, int, int, float[], int, float[], int,
   * float[], int)}, which is cheaper and more accurate.
   *
   * @param name the matrix's name for error messages
   * @param inv output, may be {@code a} at the same offset
   * @throws NotPositiveDefiniteException if {@code A_b} is not numerically positive definite
   */
  public static void spdInverse(String name, int batch, int m, float[] a, int aOff, float[] inv, int invOff) {
    spdInverse(name, batch, m, a, aOff, inv, invOff, Parallel.defaultParallelism());
  }

  /** As {@link #spdInverse(String, int, int, float[], int, float[], int)} with an explicit thread count. */
  public static void spdInverse(String name, int batch, int m, float[] a, int aOff, float[] inv, int invOff,
      int parallelism) {
    final String op = "spdInverse";
    int mm = checkDims(op, name, batch, m, 1, parallelism);
    Checks.matrix(op, "a", a, aOff, batch, mm, mm);
    Checks.matrix(op, "inv", inv, invOff, batch, mm, mm);
    int threads = threads(batch, (long) mm * (3 * m + 1), parallelism);
    if (threads == 1) {
      inverseRange(name, m, a, aOff, inv, invOff, 0, batch);
    } else {
      Parallel.forEachChunk(batch, threads, (c, from, to) ->
          inverseRange(name, m, a, aOff, inv, invOff, from, to));
    }
  }

  /**
   * Shared validation and dispatch of the solves. With {@code factorName != null} the matrix is an
   * SPD {@code A} to factor (spdSolve), otherwise a triangular matrix; with {@code twice} the solve
   * {@code op(T)} is followed by one with {@code Lᵀ} (spdSolve, choleskySolve).
   */
  private static void solveChecked(String op, String matName, String factorName, boolean twice,
      int batch, int m,
      int nrhs, boolean lower, boolean transpose, float[] t, int tOff, float[] b, int bOff, float[] x,
      int xOff, int parallelism) {
    int mm = checkDims(op, factorName == null ? "" : factorName, batch, m, nrhs, parallelism);
    int mn = m * nrhs;
    Checks.matrix(op, matName, t, tOff, batch, mm, mm);
    Checks.matrix(op, "b", b, bOff, batch, mn, mn);
    Checks.matrix(op, "x", x, xOff, batch, mn, mn);
    if (nrhs == 0) {
      return;
    }
    int threads = threads(batch, (long) mm * (factorName != null ? m + 2 * nrhs + 1 : 2 * nrhs + 1),
        parallelism);
    if (threads == 1) {
      solveRange(matName, factorName, m, nrhs, lower, transpose, twice, t, tOff, b, bOff, x, xOff, 0, batch);
    } else {
      Parallel.forEachChunk(batch, threads, (c, from, to) ->
          solveRange(matName, factorName, m, nrhs, lower, transpose, twice, t, tOff, b, bOff, x, xOff,
              from, to));
    }
  }

  private static void solveRange(String matName, String factorName, int m, int nrhs, boolean lower,
      boolean transpose, boolean twice, float[] t, int tOff, float[] b, int bOff, float[] x, int xOff,
      int from, int to) {
    int mm = m * m;
    int mn = m * nrhs;
    int y = mm + m;
    double[] w = WORKSPACE.get().get(y + mn);
    for (int e = from; e < to; e++) {
      if (factorName != null) {
        loadLower(t, tOff + e * mm, m, false, 0.0, w);
        factor(factorName, e, m, w, mm);
      } else {
        loadTriangle(matName, e, t, tOff + e * mm, m, lower, w, mm);
      }
      int src = bOff + e * mn;
      for (int i = 0; i < mn; i++) {
        w[y + i] = b[src + i];
      }
      solve(w, m, nrhs, lower, transpose, mm, y);
      if (twice) {
        solve(w, m, nrhs, true, true, mm, y);
      }
      int dst = xOff + e * mn;
      for (int i = 0; i < mn; i++) {
        x[dst + i] = (float) w[y + i];
      }
    }
  }

  private static void inverseRange(String name, int m, float[] a, int aOff, float[] inv, int invOff,
      int from, int to) {
    int mm = m * m;
    int y = mm + m;
    double[] w = WORKSPACE.get().get(y + mm);
    for (int e = from; e < to; e++) {
      loadLower(a, aOff + e * mm, m, false, 0.0, w);
      factor(name, e, m, w, mm);
      for (int i = 0; i < mm; i++) {
        w[y + i] = 0.0;
      }
      for (int i = 0; i < m; i++) {
        w[y + i * m + i] = 1.0;
      }
      solve(w, m, m, true, false, mm, y);
      solve(w, m, m, true, true, mm, y);
      int base = invOff + e * mm;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j <= i; j++) {
          float v = (float) (0.5 * (w[y + i * m + j] + w[y + j * m + i]));
          inv[base + i * m + j] = v;
          inv[base + j * m + i] = v;
        }
      }
    }
  }

  // ------------------------------------------------------------------------- log-determinant

  /**
   * Log-determinants from lower Cholesky factors: {@code out_b = log det(L_b·L_bᵀ) = 2·Σ_i log
   * l_ii}, the sum formed in double and rounded once. Only the diagonal of each {@code L_b} is read;
   * it is not checked (as {@code log}: a zero diagonal gives −∞, a negative or NaN one gives NaN).
   */
  public static void logDetFromCholesky(int batch, int m, float[] l, int lOff, float[] out, int outOff) {
    logDetFromCholesky(batch, m, l, lOff, out, outOff, Parallel.defaultParallelism());
  }

  /** As {@link #logDetFromCholesky(int, int, float[], int, float[], int)} with an explicit thread count. */
  public static void logDetFromCholesky(int batch, int m, float[] l, int lOff, float[] out, int outOff,
      int parallelism) {
    final String op = "logDetFromCholesky";
    int mm = checkDims(op, "", batch, m, 1, parallelism);
    Checks.matrix(op, "l", l, lOff, batch, mm, mm);
    Checks.vector(op, "out", out, outOff, batch);
    // A log costs some tens of multiply-adds.
    int threads = threads(batch, 32L * m, parallelism);
    if (threads == 1) {
      logDetRange(m, l, lOff, out, outOff, 0, batch);
    } else {
      Parallel.forEachChunk(batch, threads, (c, from, to) -> logDetRange(m, l, lOff, out, outOff, from, to));
    }
  }

  private static void logDetRange(int m, float[] l, int lOff, float[] out, int outOff, int from, int to) {
    int mm = m * m;
    int step = m + 1;
    for (int e = from; e < to; e++) {
      int base = lOff + e * mm;
      // Σ log l_ii as log of partial products: a float lies in [2⁻¹⁴⁹, 2¹²⁸], so a product of up to
      // LOG_GROUP of them stays a normal double, and one log serves LOG_GROUP diagonal entries.
      double s = 0.0;
      boolean positive = true;
      for (int i0 = 0; i0 < m; i0 += LOG_GROUP) {
        int i1 = Math.min(m, i0 + LOG_GROUP);
        double p = 1.0;
        for (int i = i0; i < i1; i++) {
          double v = l[base + i * step];
          positive &= v > 0.0;
          p *= v;
        }
        s += Math.log(p);
      }
      if (!positive) {
        // Keep log's meaning entry by entry (two negative entries must not cancel): 0 → −∞, < 0 or
        // NaN → NaN.
        s = 0.0;
        for (int i = 0; i < m; i++) {
          s += Math.log(l[base + i * step]);
        }
      }
      out[outOff + e] = (float) (2.0 * s);
    }
  }


  // -------------------------------------------------------------------------------- helpers

  /**
   * Validates the common scalar arguments and returns {@code m·m}. {@code name} is the caller's
   * matrix name for the factorising entry points (must not be null) and "" for the others.
   */
  private static int checkDims(String op, String name, int batch, int m, int nrhs, int parallelism) {
    if (name == null) {
      throw new NullPointerException(op + ": 'name' is null");
    }
    Checks.nonNegative(op, "batch", batch);
    Checks.positive(op, "m", m);
    Checks.nonNegative(op, "nrhs", nrhs);
    Checks.positive(op, "parallelism", parallelism);
    // Workspace holds m² + m + m·max(m, nrhs) doubles.
    if ((long) m * m + m + (long) m * Math.max(m, nrhs) > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          op + ": 'm' (" + m + ") and 'nrhs' (" + nrhs + ") too large for one matrix workspace");
    }
    return m * m;
  }

  /** Threads worth using: at most one per {@link #MIN_CHUNK_WORK} multiply-adds of total work. */
  static int threads(int batch, long perMatrixWork, int parallelism) {
    long chunks = batch * perMatrixWork / MIN_CHUNK_WORK;
    return (int) Math.max(1, Math.min(parallelism, chunks));
  }

  /** {@code w[i·m + j] = s_ij} for {@code j ≤ i}, with {@code s = A} or {@code ½(A + Aᵀ) + jitter·I}. */
  private static void loadLower(float[] a, int base, int m, boolean symmetrise, double jitter, double[] w) {
    for (int i = 0; i < m; i++) {
      int row = base + i * m;
      for (int j = 0; j < i; j++) {
        w[i * m + j] = symmetrise ? 0.5 * ((double) a[row + j] + a[base + j * m + i]) : a[row + j];
      }
      w[i * m + i] = symmetrise ? a[row + i] + jitter : a[row + i];
    }
  }

  /**
   * In-place Cholesky of the lower triangle of {@code w[0, m²)} (row by row); stores {@code 1/l_jj}
   * at {@code w[d + j]} for the solves. Throws on a pivot that is ≤ 0 or not finite.
   */
  private static void factor(String name, int batchIndex, int m, double[] w, int d) {
    for (int i = 0; i < m; i++) {
      int ri = i * m;
      for (int j = 0; j < i; j++) {
        int rj = j * m;
        double s = w[ri + j];
        for (int k = 0; k < j; k++) {
          s -= w[ri + k] * w[rj + k];
        }
        w[ri + j] = s * w[d + j];
      }
      double p = w[ri + i];
      for (int k = 0; k < i; k++) {
        p -= w[ri + k] * w[ri + k];
      }
      if (!(p > 0.0 && p < Double.POSITIVE_INFINITY)) {
        throw new NotPositiveDefiniteException(name, batchIndex, i, p);
      }
      double lii = Math.sqrt(p);
      w[ri + i] = lii;
      w[d + i] = 1.0 / lii;
    }
  }

  /** Loads the lower or upper triangle of {@code T} into {@code w[0, m²)}, 1/t_ii into {@code w[d + i]}. */
  private static void loadTriangle(String matName, int batchIndex, float[] t, int base, int m,
      boolean lower, double[] w, int d) {
    for (int i = 0; i < m; i++) {
      int from = lower ? 0 : i;
      int to = lower ? i : m - 1;
      for (int j = from; j <= to; j++) {
        w[i * m + j] = t[base + i * m + j];
      }
      double tii = w[i * m + i];
      if (!(tii != 0.0 && Math.abs(tii) < Double.POSITIVE_INFINITY)) {
        throw new SingularMatrixException(matName, batchIndex, i, tii);
      }
      w[d + i] = 1.0 / tii;
    }
  }

  /**
   * Solves {@code op(T)·Y = Y} in place on the {@code m × nrhs} block {@code w[y, y + m·nrhs)}, with
   * the triangle of T in {@code w[0, m²)} and {@code 1/t_ii} in {@code w[d + i]}. {@code op(T)_ik =
   * w[i·rs + k·cs]}; it is lower (forward substitution) iff {@code lower != transpose}.
   */
  private static void solve(double[] w, int m, int nrhs, boolean lower, boolean transpose, int d, int y) {
    int rs = transpose ? 1 : m;
    int cs = transpose ? m : 1;
    boolean forward = lower != transpose;
    for (int step = 0; step < m; step++) {
      int i = forward ? step : m - 1 - step;
      int k0 = forward ? 0 : i + 1;
      int k1 = forward ? i : m;
      int yi = y + i * nrhs;
      double inv = w[d + i];
      for (int c = 0; c < nrhs; c++) {
        double s = w[yi + c];
        for (int k = k0; k < k1; k++) {
          s -= w[i * rs + k * cs] * w[y + k * nrhs + c];
        }
        w[yi + c] = s * inv;
      }
    }
  }
}
