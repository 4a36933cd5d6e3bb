package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.vssf.testing.MiniJson;
import org.vssf.testing.SeededTest;
import org.vssf.testing.Tolerances;

/**
 * {@link Conv2d} against direct double-precision convolutions (written from the definitions of the
 * convolution and of the transposed convolution, independently of the im2col identities), the
 * adjoint identities, PyTorch reference values, the project's DCGAN layer shapes, accumulation,
 * bitwise determinism across thread counts, and argument checks. The suite runs once with the
 * scalar and once with the SIMD GEMM active.
 */
class Conv2dTest extends SeededTest {
  private static final float SENTINEL = 12345f;

  private enum Method { FORWARD, BACKWARD_INPUT, BACKWARD_WEIGHT, BACKWARD_BIAS }

  /** Direct results of one layer in double, with the sum of |terms| of every element. */
  private static final class Ref {
    double[] y;
    double[] yMag;
    double[] dx;
    double[] dxMag;
    double[] dw;
    double[] dwMag;
    double[] db;
    double[] dbMag;

    Ref(ConvGeometry g) {
      y = new double[g.outputSize()];
      yMag = new double[g.outputSize()];
      dx = new double[g.inputSize()];
      dxMag = new double[g.inputSize()];
      dw = new double[g.weightSize()];
      dwMag = new double[g.weightSize()];
      db = new double[g.outChannels()];
      dbMag = new double[g.outChannels()];
    }
  }

  // ------------------------------------------------------------------------- direct references

  /**
   * Convolution by definition: {@code y[n,k,oh,ow] = b[k] + Σ w[k,c,r,s]·x[n,c,oh·sh−ph+r,
   * ow·sw−pw+s]}, and the gradients of {@code Σ y·dy} by scattering the same products.
   */
  private static Ref directConv(ConvGeometry g, float[] x, float[] w, float[] b, float[] dy) {
    Ref ref = new Ref(g);
    int nb = g.batch();
    int cIn = g.inChannels();
    int h = g.inH();
    int wd = g.inW();
    int kOut = g.outChannels();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int p = g.outH();
    int q = g.outW();
    for (int n = 0; n < nb; n++) {
      for (int k = 0; k < kOut; k++) {
        for (int oh = 0; oh < p; oh++) {
          for (int ow = 0; ow < q; ow++) {
            int yi = ((n * kOut + k) * p + oh) * q + ow;
            double sum = b == null ? 0 : b[k];
            double mag = b == null ? 0 : Math.abs(b[k]);
            double g0 = dy[yi];
            for (int c = 0; c < cIn; c++) {
              for (int r = 0; r < kh; r++) {
                int ih = oh * g.strideH() - g.padH() + r;
                if (ih < 0 || ih >= h) {
                  continue;
                }
                for (int s = 0; s < kw; s++) {
                  int iw = ow * g.strideW() - g.padW() + s;
                  if (iw < 0 || iw >= wd) {
                    continue;
                  }
                  int xi = ((n * cIn + c) * h + ih) * wd + iw;
                  int wi = ((k * cIn + c) * kh + r) * kw + s;
                  double t = (double) w[wi] * x[xi];
                  sum += t;
                  mag += Math.abs(t);
                  ref.dx[xi] += g0 * w[wi];
                  ref.dxMag[xi] += Math.abs(g0 * w[wi]);
                  ref.dw[wi] += g0 * x[xi];
                  ref.dwMag[wi] += Math.abs(g0 * x[xi]);
                }
              }
            }
            ref.y[yi] = sum;
            ref.yMag[yi] = mag;
            ref.db[k] += g0;
            ref.dbMag[k] += Math.abs(g0);
          }
        }
      }
    }
    return ref;
  }

  /**
   * Transposed convolution by definition (PyTorch ConvTranspose2d): every input pixel {@code
   * x[n,ci,ih,iw]} adds {@code x·w[ci,co,r,s]} to {@code y[n,co,ih·sh−ph+r, iw·sw−pw+s]} when that
   * lies inside the output; gradients of {@code Σ y·dy} from the same products.
   */
  private static Ref directTransposed(ConvGeometry g, float[] x, float[] w, float[] b, float[] dy) {
    Ref ref = new Ref(g);
    int nb = g.batch();
    int cIn = g.inChannels();
    int h = g.inH();
    int wd = g.inW();
    int kOut = g.outChannels();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int p = g.outH();
    int q = g.outW();
    for (int n = 0; n < nb; n++) {
      for (int ci = 0; ci < cIn; ci++) {
        for (int ih = 0; ih < h; ih++) {
          for (int iw = 0; iw < wd; iw++) {
            int xi = ((n * cIn + ci) * h + ih) * wd + iw;
            double xv = x[xi];
            for (int co = 0; co < kOut; co++) {
              for (int r = 0; r < kh; r++) {
                int i = ih * g.strideH() - g.padH() + r;
                if (i < 0 || i >= p) {
                  continue;
                }
                for (int s = 0; s < kw; s++) {
                  int j = iw * g.strideW() - g.padW() + s;
                  if (j < 0 || j >= q) {
                    continue;
                  }
                  int yi = ((n * kOut + co) * p + i) * q + j;
                  int wi = ((ci * kOut + co) * kh + r) * kw + s;
                  double t = xv * w[wi];
                  ref.y[yi] += t;
                  ref.yMag[yi] += Math.abs(t);
                  ref.dx[xi] += (double) dy[yi] * w[wi];
                  ref.dxMag[xi] += Math.abs((double) dy[yi] * w[wi]);
                  ref.dw[wi] += xv * dy[yi];
                  ref.dwMag[wi] += Math.abs(xv * dy[yi]);
                }
              }
            }
          }
        }
      }
    }
    for (int n = 0; n < nb; n++) {
      for (int co = 0; co < kOut; co++) {
        for (int e = 0; e < p * q; e++) {
          int yi = (n * kOut + co) * p * q + e;
          if (b != null) {
            ref.y[yi] += b[co];
            ref.yMag[yi] += Math.abs(b[co]);
          }
          ref.db[co] += dy[yi];
          ref.dbMag[co] += Math.abs(dy[yi]);
        }
      }
    }
    return ref;
  }

  // ---------------------------------------------------------------------------------- helpers

  /** Runs one method of the layer {@code g} (convolution or transposed) through the public API. */
  private static void run(ConvGeometry g, Method m, float[] in1, int off1, float[] in2, int off2,
      float[] bias, int biasOff, float[] out, int outOff, boolean accumulate, int threads) {
    boolean t = g.isTransposed();
    switch (m) {
      case FORWARD:
        if (accumulate) {
          throw new IllegalArgumentException("forward has no accumulate");
        }
        if (t) {
          Conv2d.transposedForward(g, in1, off1, in2, off2, bias, biasOff, out, outOff, threads);
        } else {
          Conv2d.forward(g, in1, off1, in2, off2, bias, biasOff, out, outOff, threads);
        }
        break;
      case BACKWARD_INPUT:
        if (t) {
          Conv2d.transposedBackwardInput(g, in1, off1, in2, off2, out, outOff, accumulate, threads);
        } else {
          Conv2d.backwardInput(g, in1, off1, in2, off2, out, outOff, accumulate, threads);
        }
        break;
      case BACKWARD_WEIGHT:
        if (t) {
          Conv2d.transposedBackwardWeight(g, in1, off1, in2, off2, out, outOff, accumulate, threads);
        } else {
          Conv2d.backwardWeight(g, in1, off1, in2, off2, out, outOff, accumulate, threads);
        }
        break;
      default:
        if (t) {
          Conv2d.transposedBackwardBias(g, in1, off1, out, outOff, accumulate);
        } else {
          Conv2d.backwardBias(g, in1, off1, out, outOff, accumulate);
        }
    }
  }

  /** {@code v} copied to offset {@code off} of a longer array whose other elements are SENTINEL. */
  private static float[] embed(float[] v, int off) {
    float[] a = new float[off + v.length + 3];
    Arrays.fill(a, SENTINEL);
    System.arraycopy(v, 0, a, off, v.length);
    return a;
  }

  /** An output array: random values (accumulate) or NaN (must be overwritten, never read). */
  private float[] output(int off, int size, boolean accumulate) {
    float[] body = accumulate ? randomFloats(size) : new float[size];
    if (!accumulate) {
      Arrays.fill(body, Float.NaN);
    }
    return embed(body, off);
  }

  /**
   * Asserts {@code out[off + e] ≈ expected[e] (+ before[off + e])} within {@code
   * sumTolerance(terms)} of the sum of |terms|, and that nothing outside the range changed.
   */
  private static void verify(String what, double[] expected, double[] mag, float[] before,
      float[] out, int off, int terms) {
    double[] exp = expected.clone();
    double[] scale = new double[exp.length];
    for (int e = 0; e < exp.length; e++) {
      double init = before == null ? 0 : before[off + e];
      exp[e] += init;
      scale[e] = mag[e] + Math.abs(init) + 1e-6;
    }
    Tolerances.assertClose(what, exp, scale, out, off, null, Tolerances.sumTolerance(terms + 1));
    for (int i = 0; i < out.length; i++) {
      if (i < off || i >= off + exp.length) {
        assertEquals(SENTINEL, out[i], what + ": wrote outside the output at " + i);
      }
    }
  }

  /** Every method of layer {@code g} on random data, against the direct definition. */
  private void checkLayer(ConvGeometry g, int threads, String label) {
    boolean t = g.isTransposed();
    String what = label + " " + g + " threads=" + threads + seedInfo();
    float[] x = randomFloats(g.inputSize());
    float[] w = randomFloats(g.weightSize());
    float[] dy = randomFloats(g.outputSize());
    boolean withBias = rng.nextInt(4) != 0;
    float[] b = withBias ? randomFloats(g.outChannels()) : null;
    Ref ref = t ? directTransposed(g, x, w, b, dy) : directConv(g, x, w, b, dy);
    int crs = g.inChannels() * g.kernelH() * g.kernelW();
    int krs = g.outChannels() * g.kernelH() * g.kernelW();
    int outPixels = g.batch() * g.outH() * g.outW();
    int inPixels = g.batch() * g.inH() * g.inW();

    int xo = rng.nextInt(4);
    int wo = rng.nextInt(4);
    int bo = rng.nextInt(4);
    int dyo = rng.nextInt(4);
    float[] xa = embed(x, xo);
    float[] wa = embed(w, wo);
    float[] dya = embed(dy, dyo);
    float[] ba = b == null ? null : embed(b, bo);

    int yo = rng.nextInt(4);
    float[] y = output(yo, g.outputSize(), false);
    run(g, Method.FORWARD, xa, xo, wa, wo, ba, bo, y, yo, false, threads);
    verify(what + " forward", ref.y, ref.yMag, null, y, yo, crs);

    boolean acc = rng.nextBoolean();
    int dxo = rng.nextInt(4);
    float[] dx = output(dxo, g.inputSize(), acc);
    float[] dx0 = dx.clone();
    run(g, Method.BACKWARD_INPUT, dya, dyo, wa, wo, null, 0, dx, dxo, acc, threads);
    verify(what + " backwardInput acc=" + acc, ref.dx, ref.dxMag, acc ? dx0 : null, dx, dxo, krs);

    acc = rng.nextBoolean();
    int dwo = rng.nextInt(4);
    float[] dw = output(dwo, g.weightSize(), acc);
    float[] dw0 = dw.clone();
    run(g, Method.BACKWARD_WEIGHT, xa, xo, dya, dyo, null, 0, dw, dwo, acc, threads);
    verify(what + " backwardWeight acc=" + acc, ref.dw, ref.dwMag, acc ? dw0 : null, dw, dwo,
        t ? inPixels : outPixels);

    acc = rng.nextBoolean();
    int dbo = rng.nextInt(4);
    float[] db = output(dbo, g.outChannels(), acc);
    float[] db0 = db.clone();
    run(g, Method.BACKWARD_BIAS, dya, dyo, null, 0, null, 0, db, dbo, acc, threads);
    verify(what + " backwardBias acc=" + acc, ref.db, ref.dbMag, acc ? db0 : null, db, dbo,
        outPixels);
  }

  private ConvGeometry randomConv() {
    int kh = 1 + rng.nextInt(5);
    int kw = 1 + rng.nextInt(5);
    int sh = 1 + rng.nextInt(3);
    int sw = 1 + rng.nextInt(3);
    int ph = rng.nextInt(3);
    int pw = rng.nextInt(3);
    boolean large = rng.nextInt(4) == 0;
    int h = Math.max(Math.max(1, kh - 2 * ph), large ? 14 + rng.nextInt(20) : 1 + rng.nextInt(9));
    int w = Math.max(Math.max(1, kw - 2 * pw), large ? 14 + rng.nextInt(20) : 1 + rng.nextInt(9));
    if (rng.nextInt(8) == 0) {
      // Kernel covering the whole unpadded input: the dense (1×1 output) path.
      h = kh;
      w = kw;
      ph = 0;
      pw = 0;
    }
    return ConvGeometry.conv(1 + rng.nextInt(3), 1 + rng.nextInt(5), h, w, 1 + rng.nextInt(5),
        kh, kw, sh, sw, ph, pw);
  }

  private ConvGeometry randomTransposed() {
    int kh = 1 + rng.nextInt(5);
    int kw = 1 + rng.nextInt(5);
    int sh = 1 + rng.nextInt(3);
    int sw = 1 + rng.nextInt(3);
    boolean large = rng.nextInt(4) == 0;
    int h = large ? 6 + rng.nextInt(12) : 1 + rng.nextInt(6);
    int w = large ? 6 + rng.nextInt(12) : 1 + rng.nextInt(6);
    // Padding 0..2, reduced where it would leave no output.
    int ph = Math.min(rng.nextInt(3), ((h - 1) * sh + kh - 1) / 2);
    int pw = Math.min(rng.nextInt(3), ((w - 1) * sw + kw - 1) / 2);
    if (rng.nextInt(8) == 0) {
      // From 1×1 without padding: the adjoint convolution is dense.
      h = 1;
      w = 1;
      ph = 0;
      pw = 0;
    }
    return ConvGeometry.transposed(1 + rng.nextInt(3), 1 + rng.nextInt(5), h, w,
        1 + rng.nextInt(5), kh, kw, sh, sw, ph, pw);
  }

  // ------------------------------------------------------------------------------------ tests

  @Test
  void activeImplementationIsTheExpectedOne() {
    KernelImplementations.assertExpectedActive();
  }

  @Test
  void randomConvolutionsMatchDirectDefinition() {
    for (int rep = 0; rep < 200; rep++) {
      checkLayer(randomConv(), 1 + rng.nextInt(3), "random #" + rep);
    }
  }

  @Test
  void randomTransposedConvolutionsMatchDirectDefinition() {
    for (int rep = 0; rep < 200; rep++) {
      checkLayer(randomTransposed(), 1 + rng.nextInt(3), "random #" + rep);
    }
  }

  /**
   * Small outputs and larger batches, so that many images share one GEMM (image-interleaved
   * columns, a short last group): odd sizes, strides 1–3 (also larger than the kernel), padding
   * 0–2, both kinds of layer.
   */
  @Test
  void manyImagesPerGroupMatchDirectDefinition() {
    for (int rep = 0; rep < 80; rep++) {
      int kh = 1 + rng.nextInt(4);
      int kw = 1 + rng.nextInt(4);
      int sh = 1 + rng.nextInt(3);
      int sw = 1 + rng.nextInt(3);
      int ph = rng.nextInt(3);
      int pw = rng.nextInt(3);
      int batch = 4 + rng.nextInt(37);
      ConvGeometry g;
      if (rng.nextBoolean()) {
        int h = Math.max(Math.max(1, kh - 2 * ph), 1 + rng.nextInt(9));
        int w = Math.max(Math.max(1, kw - 2 * pw), 1 + rng.nextInt(9));
        g = ConvGeometry.conv(batch, 1 + rng.nextInt(4), h, w, 1 + rng.nextInt(5), kh, kw, sh, sw,
            ph, pw);
      } else {
        int h = 1 + rng.nextInt(4);
        int w = 1 + rng.nextInt(4);
        ph = Math.min(ph, ((h - 1) * sh + kh - 1) / 2);
        pw = Math.min(pw, ((w - 1) * sw + kw - 1) / 2);
        g = ConvGeometry.transposed(batch, 1 + rng.nextInt(4), h, w, 1 + rng.nextInt(5), kh, kw,
            sh, sw, ph, pw);
      }
      checkLayer(g, 1 + rng.nextInt(3), "many images #" + rep);
    }
  }

  /**
   * The forward pass that keeps its packed input gives the same output bits, and the weight
   * gradient from that packed input the same bits as the one from x, for any thread count; every
   * element of the packed range is written (it starts as NaN, which would otherwise reach dw).
   */
  @Test
  void weightGradientFromPackedInputIsBitwiseTheSame() {
    for (int rep = 0; rep < 120; rep++) {
      ConvGeometry g = randomConv();
      if (rep % 3 == 0) {
        g = g.withBatch(4 + rng.nextInt(30)); // many images per GEMM
      }
      String what = "packed " + g + seedInfo();
      float[] x = randomFloats(g.inputSize());
      float[] w = randomFloats(g.weightSize());
      float[] b = randomFloats(g.outChannels());
      float[] dy = randomFloats(g.outputSize());
      int threads = 1 + rng.nextInt(3);
      float[] y = new float[g.outputSize()];
      Conv2d.forward(g, x, 0, w, 0, b, 0, y, 0, threads);
      float[] dw = randomFloats(g.weightSize());
      float[] dwPacked = dw.clone();
      boolean acc = rng.nextBoolean();
      Conv2d.backwardWeight(g, x, 0, dy, 0, dw, 0, acc, threads);

      int off = rng.nextInt(4);
      float[] packed = new float[off + Conv2d.packedInputSize(g) + 2];
      Arrays.fill(packed, Float.NaN);
      float[] y2 = new float[g.outputSize()];
      Conv2d.forward(g, x, 0, w, 0, b, 0, y2, 0, packed, off, 1 + rng.nextInt(3));
      assertArrayEquals(y, y2, what + ": forward output");
      Conv2d.backwardWeightFromPacked(g, packed, off, dy, 0, dwPacked, 0, acc, threads);
      assertArrayEquals(dw, dwPacked, what + ": weight gradient, accumulate=" + acc);
    }
    ConvGeometry g = ConvGeometry.conv(2, 3, 8, 8, 4, 3, 2, 1);
    assertMessage(IllegalArgumentException.class, "Conv2d.forward: array 'packed' too short",
        () -> Conv2d.forward(g, new float[g.inputSize()], 0, new float[g.weightSize()], 0, null, 0,
            new float[g.outputSize()], 0, new float[Conv2d.packedInputSize(g) - 1], 0, 1));
    assertMessage(IllegalArgumentException.class,
        "Conv2d.backwardWeightFromPacked: array 'packed' too short",
        () -> Conv2d.backwardWeightFromPacked(g, new float[3], 0, new float[g.outputSize()], 0,
            new float[g.weightSize()], 0, false, 1));
  }

  /** {@code ⟨A·u, v⟩ = ⟨u, Aᵀ·v⟩} for the input and weight gradients of both kinds of layer. */
  @Test
  void gradientsAreAdjointsOfTheForwardPass() {
    for (int rep = 0; rep < 60; rep++) {
      ConvGeometry g = rep % 2 == 0 ? randomConv() : randomTransposed();
      String what = "adjoint " + g + seedInfo();
      float[] x = randomFloats(g.inputSize());
      float[] w = randomFloats(g.weightSize());
      float[] u = randomFloats(g.outputSize());
      float[] y = new float[g.outputSize()];
      float[] dx = new float[g.inputSize()];
      float[] dw = new float[g.weightSize()];
      run(g, Method.FORWARD, x, 0, w, 0, null, 0, y, 0, false, 2);
      run(g, Method.BACKWARD_INPUT, u, 0, w, 0, null, 0, dx, 0, false, 2);
      run(g, Method.BACKWARD_WEIGHT, x, 0, u, 0, null, 0, dw, 0, false, 2);
      // Error bounds from the same operators on magnitudes: Σ_i |u_i|·Σ|terms of y_i|, etc.
      float[] ax = abs(x);
      float[] aw = abs(w);
      float[] au = abs(u);
      float[] yMag = new float[g.outputSize()];
      float[] dxMag = new float[g.inputSize()];
      float[] dwMag = new float[g.weightSize()];
      run(g, Method.FORWARD, ax, 0, aw, 0, null, 0, yMag, 0, false, 1);
      run(g, Method.BACKWARD_INPUT, au, 0, aw, 0, null, 0, dxMag, 0, false, 1);
      run(g, Method.BACKWARD_WEIGHT, ax, 0, au, 0, null, 0, dwMag, 0, false, 1);
      int terms = g.batch() * g.weightSize() * Math.max(g.inH() * g.inW(), g.outH() * g.outW());
      double tol = Tolerances.sumTolerance(terms);
      double yu = dot(y, u);
      double bound = tol * (dot(yMag, au) + dot(ax, dxMag)) + 1e-9;
      assertTrue(Math.abs(yu - dot(x, dx)) <= bound,
          what + ": <Ax,u> = " + yu + " but <x,A'u> = " + dot(x, dx) + " (bound " + bound + ")");
      bound = tol * (dot(yMag, au) + dot(aw, dwMag)) + 1e-9;
      assertTrue(Math.abs(yu - dot(w, dw)) <= bound,
          what + ": <Ax,u> = " + yu + " but <w,dW> = " + dot(w, dw) + " (bound " + bound + ")");
    }
  }

  private static float[] abs(float[] v) {
    float[] a = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      a[i] = Math.abs(v[i]);
    }
    return a;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  /** PyTorch 1.13 float64 values: forward output and gradients of {@code Σ y·loss_weights}. */
  @Test
  void matchesPyTorchReference() throws IOException {
    Map<String, Object> cases = cases();
    checkTorch(cases, "conv2d_k4_s2_p1", false, 2, 1);
    checkTorch(cases, "conv2d_k4_valid", false, 1, 0);
    checkTorch(cases, "conv_transpose2d_k4_s2_p1", true, 2, 1);
    checkTorch(cases, "conv_transpose2d_k4_from_1x1", true, 1, 0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cases() throws IOException {
    try (InputStream in = Conv2dTest.class.getResourceAsStream("conv-torch-reference.json")) {
      if (in == null) {
        throw new IOException("resource conv-torch-reference.json not found");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return (Map<String, Object>) ((Map<String, Object>) MiniJson.parse(text)).get("cases");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      throw new IllegalStateException("missing key " + key);
    }
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  private static int[] shape(Map<String, Object> array) {
    List<Object> s = (List<Object>) array.get("shape");
    return s.stream().mapToInt(o -> ((Double) o).intValue()).toArray();
  }

  @SuppressWarnings("unchecked")
  private static double[] data(Map<String, Object> array) {
    List<Object> d = (List<Object>) array.get("data");
    return d.stream().mapToDouble(o -> (Double) o).toArray();
  }

  private static float[] floats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  private void checkTorch(Map<String, Object> cases, String name, boolean transposed, int stride,
      int pad) {
    Map<String, Object> c = map(cases, name);
    Map<String, Object> inputs = map(c, "inputs");
    Map<String, Object> grads = map(c, "grads");
    int[] xs = shape(map(inputs, "x"));
    int[] ws = shape(map(inputs, "w"));
    int[] ys = shape(map(c, "output"));
    ConvGeometry g = transposed
        ? ConvGeometry.transposed(xs[0], xs[1], xs[2], xs[3], ws[1], ws[2], ws[3], stride, stride,
            pad, pad)
        : ConvGeometry.conv(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], stride, stride, pad,
            pad);
    assertArrayEquals(ys, new int[] {g.batch(), g.outChannels(), g.outH(), g.outW()},
        name + ": output shape");
    float[] x = floats(data(map(inputs, "x")));
    float[] w = floats(data(map(inputs, "w")));
    float[] b = floats(data(map(inputs, "b")));
    float[] dy = floats(data(map(c, "loss_weights")));
    for (int threads = 1; threads <= 2; threads++) {
      String what = name + " threads=" + threads;
      float[] y = new float[g.outputSize()];
      float[] dx = new float[g.inputSize()];
      float[] dw = new float[g.weightSize()];
      float[] db = new float[g.outChannels()];
      run(g, Method.FORWARD, x, 0, w, 0, b, 0, y, 0, false, threads);
      run(g, Method.BACKWARD_INPUT, dy, 0, w, 0, null, 0, dx, 0, false, threads);
      run(g, Method.BACKWARD_WEIGHT, x, 0, dy, 0, null, 0, dw, 0, false, threads);
      run(g, Method.BACKWARD_BIAS, dy, 0, null, 0, null, 0, db, 0, false, threads);
      assertTorch(what + " output", data(map(c, "output")), y);
      assertTorch(what + " grad x", data(map(grads, "x")), dx);
      assertTorch(what + " grad w", data(map(grads, "w")), dw);
      assertTorch(what + " grad b", data(map(grads, "b")), db);
    }
  }

  private static void assertTorch(String what, double[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[i] - expected[i]);
      if (!(err <= 1e-4 * Math.max(1.0, Math.abs(expected[i])))) {
        fail(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }

  /**
   * The DCGAN encoder/decoder of the project: 64×64 with nf = 32 and 32×32 with nf = 16 (three
   * stride-2 blocks there), at the given batch.
   */
  static ConvGeometry[] dcganLayers(int batch) {
    return new ConvGeometry[] {
      // 64×64, nf = 32
      ConvGeometry.conv(batch, 3, 64, 64, 32, 4, 2, 1),
      ConvGeometry.conv(batch, 32, 32, 32, 64, 4, 2, 1),
      ConvGeometry.conv(batch, 64, 16, 16, 128, 4, 2, 1),
      ConvGeometry.conv(batch, 128, 8, 8, 256, 4, 2, 1),
      ConvGeometry.conv(batch, 256, 4, 4, 16, 4, 1, 0),
      ConvGeometry.transposed(batch, 16, 1, 1, 256, 4, 1, 0),
      ConvGeometry.transposed(batch, 256, 4, 4, 128, 4, 2, 1),
      ConvGeometry.transposed(batch, 128, 8, 8, 64, 4, 2, 1),
      ConvGeometry.transposed(batch, 64, 16, 16, 32, 4, 2, 1),
      ConvGeometry.transposed(batch, 32, 32, 32, 3, 4, 2, 1),
      // 32×32, nf = 16
      ConvGeometry.conv(batch, 3, 32, 32, 16, 4, 2, 1),
      ConvGeometry.conv(batch, 16, 16, 16, 32, 4, 2, 1),
      ConvGeometry.conv(batch, 32, 8, 8, 64, 4, 2, 1),
      ConvGeometry.conv(batch, 64, 4, 4, 16, 4, 1, 0),
      ConvGeometry.transposed(batch, 16, 1, 1, 64, 4, 1, 0),
      ConvGeometry.transposed(batch, 64, 4, 4, 32, 4, 2, 1),
      ConvGeometry.transposed(batch, 32, 8, 8, 16, 4, 2, 1),
      ConvGeometry.transposed(batch, 16, 16, 16, 3, 4, 2, 1),
    };
  }

  @Test
  void dcganLayerShapesAtBatchTwo() {
    ConvGeometry[] layers = dcganLayers(2);
    assertEquals(64, layers[9].outH(), "last decoder layer reaches 64x64");
    assertEquals(1, layers[4].outH(), "4x4 valid conv reaches 1x1");
    for (int i = 0; i < layers.length; i++) {
      checkLayer(layers[i], 1 + i % 2, "dcgan layer " + i);
    }
  }

  @Test
  void accumulateAddsToExistingValues() {
    ConvGeometry[] geoms = {ConvGeometry.conv(3, 4, 9, 9, 5, 3, 2, 1),
      ConvGeometry.transposed(3, 4, 5, 5, 5, 4, 2, 1)};
    for (ConvGeometry g : geoms) {
      float[] x = randomFloats(g.inputSize());
      float[] w = randomFloats(g.weightSize());
      float[] dy = randomFloats(g.outputSize());
      Method[] methods = {Method.BACKWARD_INPUT, Method.BACKWARD_WEIGHT, Method.BACKWARD_BIAS};
      int[] sizes = {g.inputSize(), g.weightSize(), g.outChannels()};
      for (int mi = 0; mi < methods.length; mi++) {
        Method m = methods[mi];
        float[] in1 = m == Method.BACKWARD_WEIGHT ? x : dy;
        float[] in2 = m == Method.BACKWARD_INPUT ? w : dy;
        float[] fresh = new float[sizes[mi]];
        run(g, m, in1, 0, in2, 0, null, 0, fresh, 0, false, 1);
        float[] init = randomFloats(sizes[mi]);
        float[] acc = init.clone();
        run(g, m, in1, 0, in2, 0, null, 0, acc, 0, true, 1);
        for (int i = 0; i < acc.length; i++) {
          double exp = (double) init[i] + fresh[i];
          assertEquals(exp, acc[i], 1e-5 * (1 + Math.abs(init[i]) + Math.abs(fresh[i])),
              g + " " + m + " element " + i + seedInfo());
        }
      }
    }
  }

  /** Every method gives the same bits at parallelism 1, 2 and 3 (with and without accumulate). */
  @Test
  void bitwiseIdenticalForAnyThreadCount() {
    ConvGeometry[] geoms = {
      ConvGeometry.conv(7, 8, 16, 16, 16, 4, 2, 1), // grouped images, several weight blocks
      ConvGeometry.conv(37, 32, 8, 8, 64, 4, 2, 1), // 16 images per GEMM, a short last group
      ConvGeometry.conv(19, 7, 9, 9, 12, 3, 2, 1), // weight blocks that split a channel
      ConvGeometry.conv(5, 4, 34, 34, 8, 3, 1, 0), // one image per GEMM
      ConvGeometry.conv(9, 64, 4, 4, 16, 4, 1, 0), // 1×1 output
      ConvGeometry.conv(1, 6, 40, 40, 7, 5, 1, 2), // batch 1: threads inside the GEMM
      ConvGeometry.transposed(7, 16, 8, 8, 8, 4, 2, 1),
      ConvGeometry.transposed(21, 16, 4, 4, 8, 4, 2, 1),
      ConvGeometry.transposed(9, 16, 1, 1, 64, 4, 1, 0),
      ConvGeometry.transposed(3, 8, 16, 16, 3, 4, 2, 1),
    };
    for (ConvGeometry g : geoms) {
      float[] x = randomFloats(g.inputSize());
      float[] w = randomFloats(g.weightSize());
      float[] b = randomFloats(g.outChannels());
      float[] dy = randomFloats(g.outputSize());
      for (Method m : Method.values()) {
        float[] in1 = m == Method.BACKWARD_WEIGHT || m == Method.FORWARD ? x : dy;
        float[] in2 = m == Method.FORWARD || m == Method.BACKWARD_INPUT ? w : dy;
        int size = m == Method.FORWARD ? g.outputSize()
            : m == Method.BACKWARD_INPUT ? g.inputSize()
            : m == Method.BACKWARD_WEIGHT ? g.weightSize() : g.outChannels();
        float[] init = randomFloats(size);
        for (boolean acc : new boolean[] {false, true}) {
          if (acc && m == Method.FORWARD) {
            continue;
          }
          float[] first = null;
          for (int threads = 1; threads <= 3; threads++) {
            float[] out = acc ? init.clone() : new float[size];
            run(g, m, in1, 0, in2, 0, m == Method.FORWARD ? b : null, 0, out, 0, acc, threads);
            if (first == null) {
              first = out;
            } else {
              assertArrayEquals(first, out,
                  g + " " + m + " accumulate=" + acc + ": threads=" + threads + " differs from 1");
            }
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------- bad arguments

  private static void assertMessage(Class<? extends Throwable> type, String fragment,
      Executable call) {
    Throwable e = assertThrows(type, call);
    assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
        "message '" + e.getMessage() + "' should contain '" + fragment + "'");
  }

  @Test
  void badGeometriesAreRejectedNamingTheArgument() {
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertMessage(iae, "'strideH'", () -> ConvGeometry.conv(1, 1, 8, 8, 1, 3, 3, 0, 1, 0, 0));
    assertMessage(iae, "'strideW'", () -> ConvGeometry.conv(1, 1, 8, 8, 1, 3, 3, 1, 0, 0, 0));
    assertMessage(iae, "'padH'", () -> ConvGeometry.conv(1, 1, 8, 8, 1, 3, 3, 1, 1, -1, 0));
    assertMessage(iae, "'padW'", () -> ConvGeometry.conv(1, 1, 8, 8, 1, 3, 3, 1, 1, 0, -2));
    assertMessage(iae, "'kernelH' (5) is larger than the padded input",
        () -> ConvGeometry.conv(1, 1, 2, 8, 1, 5, 3, 1, 1, 1, 1));
    assertMessage(iae, "'kernelW' (9) is larger than the padded input",
        () -> ConvGeometry.conv(1, 1, 8, 4, 1, 3, 9, 1, 1, 1, 2));
    assertMessage(iae, "'batch'", () -> ConvGeometry.conv(0, 1, 8, 8, 1, 3, 1, 0));
    assertMessage(iae, "'inChannels'", () -> ConvGeometry.conv(1, 0, 8, 8, 1, 3, 1, 0));
    assertMessage(iae, "'outChannels'", () -> ConvGeometry.transposed(1, 1, 8, 8, 0, 3, 1, 0));
    assertMessage(iae, "'kernelW'", () -> ConvGeometry.transposed(1, 1, 8, 8, 1, 3, 0, 1, 1, 0, 0));
    assertMessage(iae, "'strideH'", () -> ConvGeometry.transposed(1, 1, 8, 8, 1, 3, 3, 0, 1, 0, 0));
    assertMessage(iae, "'padH'", () -> ConvGeometry.transposed(1, 1, 8, 8, 1, 3, 1, -1));
    // (1 − 1)·1 − 2·2 + 3 < 1: no output.
    assertMessage(iae, "'padH'/'padW' too large", () -> ConvGeometry.transposed(1, 1, 1, 1, 1, 3, 1, 2));
    assertMessage(iae, "overflows", () -> ConvGeometry.conv(1 << 16, 1 << 10, 64, 64, 1, 1, 1, 0));
  }

  @Test
  void badArraysAreRejectedNamingTheArgument() {
    ConvGeometry g = ConvGeometry.conv(2, 3, 8, 8, 4, 3, 2, 1);
    ConvGeometry t = ConvGeometry.transposed(2, 4, 4, 4, 3, 4, 2, 1);
    float[] x = new float[g.inputSize()];
    float[] w = new float[g.weightSize()];
    float[] b = new float[g.outChannels()];
    float[] y = new float[g.outputSize()];
    float[] shortX = new float[g.inputSize() - 1];
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertMessage(iae, "Conv2d.forward: array 'x' too short",
        () -> Conv2d.forward(g, shortX, 0, w, 0, b, 0, y, 0, 1));
    assertMessage(iae, "array 'x' too short", () -> Conv2d.forward(g, x, 1, w, 0, b, 0, y, 0, 1));
    assertMessage(iae, "array 'w' too short",
        () -> Conv2d.forward(g, x, 0, new float[w.length - 1], 0, b, 0, y, 0, 1));
    assertMessage(iae, "array 'bias' too short",
        () -> Conv2d.forward(g, x, 0, w, 0, new float[3], 0, y, 0, 1));
    assertMessage(iae, "array 'y' too short", () -> Conv2d.forward(g, x, 0, w, 0, b, 0, y, 2, 1));
    assertMessage(iae, "offset of 'y'", () -> Conv2d.forward(g, x, 0, w, 0, b, 0, y, -1, 1));
    assertMessage(iae, "'parallelism'", () -> Conv2d.forward(g, x, 0, w, 0, b, 0, y, 0, 0));
    assertMessage(NullPointerException.class, "array 'x' is null",
        () -> Conv2d.forward(g, null, 0, w, 0, b, 0, y, 0, 1));
    assertMessage(NullPointerException.class, "'geom' is null",
        () -> Conv2d.forward(null, x, 0, w, 0, b, 0, y, 0, 1));
    assertMessage(iae, "'geom' describes a transposed convolution",
        () -> Conv2d.forward(t, x, 0, w, 0, b, 0, y, 0, 1));
    assertMessage(iae, "'geom' describes a convolution",
        () -> Conv2d.transposedForward(g, x, 0, w, 0, b, 0, y, 0, 1));
    assertMessage(iae, "Conv2d.backwardInput: array 'dy' too short",
        () -> Conv2d.backwardInput(g, new float[5], 0, w, 0, x, 0, false, 1));
    assertMessage(iae, "Conv2d.backwardInput: array 'dx' too short",
        () -> Conv2d.backwardInput(g, y, 0, w, 0, shortX, 0, false, 1));
    assertMessage(iae, "Conv2d.backwardWeight: array 'dw' too short",
        () -> Conv2d.backwardWeight(g, x, 0, y, 0, new float[w.length - 1], 0, true, 1));
    assertMessage(iae, "Conv2d.backwardWeight: array 'dy' too short",
        () -> Conv2d.backwardWeight(g, x, 0, new float[1], 0, w, 0, true, 1));
    assertMessage(iae, "Conv2d.backwardBias: array 'db' too short",
        () -> Conv2d.backwardBias(g, y, 0, new float[3], 0, false));
    float[] tx = new float[t.inputSize()];
    float[] tw = new float[t.weightSize()];
    float[] ty = new float[t.outputSize()];
    assertMessage(iae, "Conv2d.transposedForward: array 'y' too short",
        () -> Conv2d.transposedForward(t, tx, 0, tw, 0, null, 0, new float[ty.length - 1], 0, 1));
    assertMessage(iae, "Conv2d.transposedBackwardInput: array 'dx' too short",
        () -> Conv2d.transposedBackwardInput(t, ty, 0, tw, 0, new float[3], 0, false, 1));
    assertMessage(iae, "Conv2d.transposedBackwardWeight: array 'dw' too short",
        () -> Conv2d.transposedBackwardWeight(t, tx, 0, ty, 0, new float[3], 0, false, 1));
    assertMessage(iae, "Conv2d.transposedBackwardWeight: 'geom' describes a convolution",
        () -> Conv2d.transposedBackwardWeight(g, tx, 0, ty, 0, tw, 0, false, 1));
  }

  @Test
  void geometryArithmetic() {
    ConvGeometry g = ConvGeometry.conv(32, 3, 64, 64, 32, 4, 2, 1);
    assertEquals(32, g.outH());
    assertEquals(32, g.outW());
    assertEquals(2L * 32 * 32 * 32 * 32 * 3 * 16, 2 * g.multiplyAdds());
    ConvGeometry odd = ConvGeometry.conv(1, 1, 7, 10, 1, 3, 2, 2, 3, 0, 1);
    assertEquals(3, odd.outH()); // (7 + 0 − 3)/2 + 1
    assertEquals(4, odd.outW()); // (10 + 2 − 2)/3 + 1
    ConvGeometry t = ConvGeometry.transposed(4, 256, 4, 4, 128, 4, 2, 1);
    assertEquals(8, t.outH());
    assertTrue(t.isTransposed());
    ConvGeometry c = t.convolution();
    assertEquals(ConvGeometry.conv(4, 128, 8, 8, 256, 4, 2, 1), c);
    assertEquals(t.weightSize(), c.weightSize());
    assertEquals(t.multiplyAdds(), c.multiplyAdds());
    assertEquals(t, t.withBatch(9).withBatch(4));
    assertEquals(g, g.convolution());
    assertEquals(1, ConvGeometry.transposed(1, 16, 1, 1, 8, 4, 1, 0).inH());
    assertEquals(4, ConvGeometry.transposed(1, 16, 1, 1, 8, 4, 1, 0).outH());
  }
}
