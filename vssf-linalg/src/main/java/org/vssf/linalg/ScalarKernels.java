package org.vssf.linalg;

/**
 * Portable {@link KernelSupport}: plain Java loops shaped for C2's auto-vectoriser (unit stride, the
 * same index expression on every array of the loop, several independent accumulators, scalar
 * tails). Runs on any JVM, including Android.
 *
 * <p>GEMM is cache-blocked in the "row-axpy" form: a {@code KC × NC} block of op(B) is packed into
 * row arrays, and four rows of C are accumulated at once as {@code c_r[j] += a_r·b_p[j]}, a loop C2
 * turns into vector multiply-adds because every array is indexed by the same {@code j}.
 */
public final class ScalarKernels implements KernelSupport {
  static final int KC = 128;
  static final int NC = 512;
  static final int MR = 4;

  private static final float GELU_C = 0.7978845608028654f; // √(2/π)
  private static final float GELU_A = 0.044715f;

  /**
   * Row length of the workspace arrays: NC + 12 floats make each array (16-byte header + data)
   * exactly 33·64 bytes, so rows allocated one after another share the same alignment modulo a
   * cache line, and the vectorised loop's single alignment pre-loop suits every stream. With
   * arbitrary relative alignment the same loop ran anywhere from 14 to 47 GFLOP/s per JVM.
   */
  private static final int ROW = NC + 12;

  /** Per-thread packing buffers, allocated together on a thread's first GEMM and reused. */
  private static final class Workspace {
    final float[][] cRows = new float[MR][ROW];
    final float[][] bRows = new float[KC][ROW];
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  @Override
  public void gaussianBlocks(int[] state, int blocks, float[] out, int off) {
    GaussianBlocks.scalar(state, blocks, out, off);
  }

  @Override
  public String name() {
    return "scalar";
  }

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

  /** {@code C (+)= α·op(A)·op(B)}; with {@code overwrite} the first k block stores instead of adding. */
  private static void gemm(boolean overwrite, boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff,
      int ldc) {
    Workspace ws = WORKSPACE.get();
    float[][] bRows = ws.bRows;
    float[] c0 = ws.cRows[0];
    float[] c1 = ws.cRows[1];
    float[] c2 = ws.cRows[2];
    float[] c3 = ws.cRows[3];
    // Strides of op(A) along its rows (i) and its inner dimension (p).
    int aRow = transA ? 1 : lda;
    int aCol = transA ? lda : 1;
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        packB(transB, b, bOff, ldb, pc, jc, kc, nc, bRows);
        for (int i = 0; i < m; i += MR) {
          int rows = Math.min(MR, m - i);
          java.util.Arrays.fill(c0, 0, nc, 0f);
          java.util.Arrays.fill(c1, 0, nc, 0f);
          java.util.Arrays.fill(c2, 0, nc, 0f);
          java.util.Arrays.fill(c3, 0, nc, 0f);
          int a0 = aOff + i * aRow + pc * aCol;
          for (int p = 0; p < kc; p++) {
            int ap = a0 + p * aCol;
            float v0 = a[ap];
            float v1 = rows > 1 ? a[ap + aRow] : 0f;
            float v2 = rows > 2 ? a[ap + 2 * aRow] : 0f;
            float v3 = rows > 3 ? a[ap + 3 * aRow] : 0f;
            float[] bp = bRows[p];
            for (int j = 0; j < nc; j++) {
              float bj = bp[j];
              c0[j] += v0 * bj;
              c1[j] += v1 * bj;
              c2[j] += v2 * bj;
              c3[j] += v3 * bj;
            }
          }
          int cBase = cOff + i * ldc + jc;
          boolean store = overwrite && pc == 0;
          addScaled(store, nc, alpha, c0, c, cBase);
          if (rows > 1) {
            addScaled(store, nc, alpha, c1, c, cBase + ldc);
          }
          if (rows > 2) {
            addScaled(store, nc, alpha, c2, c, cBase + 2 * ldc);
          }
          if (rows > 3) {
            addScaled(store, nc, alpha, c3, c, cBase + 3 * ldc);
          }
        }
      }
    }
  }

  /** Copies {@code op(B)[pc:pc+kc, jc:jc+nc]} into the rows of {@code dst}. */
  private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int jc, int kc,
      int nc, float[][] dst) {
    if (!transB) {
      for (int p = 0; p < kc; p++) {
        System.arraycopy(b, bOff + (pc + p) * ldb + jc, dst[p], 0, nc);
      }
    } else {
      for (int j = 0; j < nc; j++) {
        int src = bOff + (jc + j) * ldb + pc;
        for (int p = 0; p < kc; p++) {
          dst[p][j] = b[src + p];
        }
      }
    }
  }

  private static void addScaled(boolean store, int n, float alpha, float[] src, float[] dst,
      int dstOff) {
    if (store) {
      for (int j = 0; j < n; j++) {
        dst[dstOff + j] = alpha * src[j];
      }
    } else {
      for (int j = 0; j < n; j++) {
        dst[dstOff + j] += alpha * src[j];
      }
    }
  }

  @Override
  public float dot(int n, float[] x, int xOff, float[] y, int yOff) {
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += x[xOff + i] * y[yOff + i];
      s1 += x[xOff + i + 1] * y[yOff + i + 1];
      s2 += x[xOff + i + 2] * y[yOff + i + 2];
      s3 += x[xOff + i + 3] * y[yOff + i + 3];
    }
    for (; i < n; i++) {
      s0 += x[xOff + i] * y[yOff + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float sum(int n, float[] x, int xOff) {
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += x[xOff + i];
      s1 += x[xOff + i + 1];
      s2 += x[xOff + i + 2];
      s3 += x[xOff + i + 3];
    }
    for (; i < n; i++) {
      s0 += x[xOff + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  // Double accumulations: four partial sums keep four independent add chains in flight (one chain
  // is latency-bound at about one element per 4 cycles).

  @Override
  public double sumAsDouble(int n, float[] x, int xOff) {
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      a0 += x[xOff + i];
      a1 += x[xOff + i + 1];
      a2 += x[xOff + i + 2];
      a3 += x[xOff + i + 3];
    }
    for (; i < n; i++) {
      a0 += x[xOff + i];
    }
    return (a0 + a1) + (a2 + a3);
  }

  @Override
  public double squaredDeviationsAsDouble(int n, float[] x, int xOff, double mean) {
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      double d0 = x[xOff + i] - mean;
      double d1 = x[xOff + i + 1] - mean;
      double d2 = x[xOff + i + 2] - mean;
      double d3 = x[xOff + i + 3] - mean;
      a0 += d0 * d0;
      a1 += d1 * d1;
      a2 += d2 * d2;
      a3 += d3 * d3;
    }
    for (; i < n; i++) {
      double d = x[xOff + i] - mean;
      a0 += d * d;
    }
    return (a0 + a1) + (a2 + a3);
  }

  @Override
  public double dotAsDouble(int n, float[] x, int xOff, float[] y, int yOff) {
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      a0 += (double) x[xOff + i] * y[yOff + i];
      a1 += (double) x[xOff + i + 1] * y[yOff + i + 1];
      a2 += (double) x[xOff + i + 2] * y[yOff + i + 2];
      a3 += (double) x[xOff + i + 3] * y[yOff + i + 3];
    }
    for (; i < n; i++) {
      a0 += (double) x[xOff + i] * y[yOff + i];
    }
    return (a0 + a1) + (a2 + a3);
  }
  // The double reductions keep eight partial sums: independent add chains, so the loop runs at
  // the machine's add throughput rather than its add latency.

  @Override
  public double sum(int n, double[] x, int xOff) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    double s4 = 0;
    double s5 = 0;
    double s6 = 0;
    double s7 = 0;
    int q = 0;
    for (; q + 7 < n; q += 8) {
      int o = xOff + q;
      s0 += x[o];
      s1 += x[o + 1];
      s2 += x[o + 2];
      s3 += x[o + 3];
      s4 += x[o + 4];
      s5 += x[o + 5];
      s6 += x[o + 6];
      s7 += x[o + 7];
    }
    for (; q < n; q++) {
      s0 += x[xOff + q];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  @Override
  public double dot(int n, double[] x, int xOff, double[] y, int yOff) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    double s4 = 0;
    double s5 = 0;
    double s6 = 0;
    double s7 = 0;
    int q = 0;
    for (; q + 7 < n; q += 8) {
      int a = xOff + q;
      int b = yOff + q;
      s0 += x[a] * y[b];
      s1 += x[a + 1] * y[b + 1];
      s2 += x[a + 2] * y[b + 2];
      s3 += x[a + 3] * y[b + 3];
      s4 += x[a + 4] * y[b + 4];
      s5 += x[a + 5] * y[b + 5];
      s6 += x[a + 6] * y[b + 6];
      s7 += x[a + 7] * y[b + 7];
    }
    for (; q < n; q++) {
      s0 += x[xOff + q] * y[yOff + q];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  @Override
  public void gram(int n, double[][] x, int a, double[][] y, int b, double[] out, int outOff, int ldo) {
    for (int i = 0; i < a; i++) {
      for (int j = 0; j < b; j++) {
        out[outOff + i * ldo + j] += dot(n, x[i], 0, y[j], 0);
      }
    }
  }

  @Override
  public double dot(int n, double[] w, int wOff, double[] x, int xOff, double[] y, int yOff) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    double s4 = 0;
    double s5 = 0;
    double s6 = 0;
    double s7 = 0;
    int q = 0;
    for (; q + 7 < n; q += 8) {
      int c = wOff + q;
      int a = xOff + q;
      int b = yOff + q;
      s0 += w[c] * x[a] * y[b];
      s1 += w[c + 1] * x[a + 1] * y[b + 1];
      s2 += w[c + 2] * x[a + 2] * y[b + 2];
      s3 += w[c + 3] * x[a + 3] * y[b + 3];
      s4 += w[c + 4] * x[a + 4] * y[b + 4];
      s5 += w[c + 5] * x[a + 5] * y[b + 5];
      s6 += w[c + 6] * x[a + 6] * y[b + 6];
      s7 += w[c + 7] * x[a + 7] * y[b + 7];
    }
    for (; q < n; q++) {
      s0 += w[wOff + q] * x[xOff + q] * y[yOff + q];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }


  @Override
  public void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] += alpha * x[xOff + i];
    }
  }

  @Override
  public void scale(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = alpha * x[xOff + i];
    }
  }

  @Override
  public void mul(int n, float[] x, int xOff, float[] y, int yOff, float[] z, int zOff) {
    for (int i = 0; i < n; i++) {
      z[zOff + i] = x[xOff + i] * y[yOff + i];
    }
  }

  @Override
  public void gelu(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = gelu(x[xOff + i]);
    }
  }

  /** GELU (tanh approximation) of one value. */
  public static float gelu(float x) {
    float u = GELU_C * (x + GELU_A * x * x * x);
    return 0.5f * x * (1f + (float) Math.tanh(u));
  }

  /** Derivative of the tanh-approximated GELU at {@code x}. */
  public static float geluDerivative(float x) {
    float x2 = x * x;
    float t = (float) Math.tanh(GELU_C * (x + GELU_A * x2 * x));
    return 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * GELU_C * (1f + 3f * GELU_A * x2);
  }

  @Override
  public void geluBackward(int n, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] += dy[dyOff + i] * geluDerivative(x[xOff + i]);
    }
  }

  @Override
  public void tanh(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = (float) Math.tanh(x[xOff + i]);
    }
  }

  @Override
  public void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    for (int i = 0; i < n; i++) {
      float t = y[yOff + i];
      dx[dxOff + i] += dy[dyOff + i] * (1f - t * t);
    }
  }

  @Override
  public void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : slope * v;
    }
  }

  @Override
  public void leakyReluBackward(int n, float slope, float[] x, int xOff, float[] dy, int dyOff,
      float[] dx, int dxOff) {
    for (int i = 0; i < n; i++) {
      float g = dy[dyOff + i];
      dx[dxOff + i] += x[xOff + i] > 0f ? g : slope * g;
    }
  }

  @Override
  public void exp(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = (float) Math.exp(x[xOff + i]);
    }
  }

  @Override
  public void log(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = (float) Math.log(x[xOff + i]);
    }
  }
}
