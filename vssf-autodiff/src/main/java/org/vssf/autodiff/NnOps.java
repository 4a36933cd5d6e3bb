package org.vssf.autodiff;

import org.vssf.linalg.Conv2d;
import org.vssf.linalg.ConvGeometry;
import org.vssf.linalg.KernelSupport;
import org.vssf.linalg.Kernels;
import org.vssf.linalg.Parallel;

/**
 * Network ops: 2-D convolution and transposed convolution (NCHW, on the linalg kernels), and batch
 * normalisation (a composite of {@link Ops}, which is also the oracle for any fused version).
 */
public final class NnOps {
  private NnOps() {}

  /** Output and batch statistics of {@link #batchNorm}: the statistics feed running averages. */
  public static final class BatchNormResult {
    /** The normalised, scaled and shifted output, shape of the input. */
    public final Tensor output;
    /** Batch mean per normalised feature (the input's shape with the reduced axes set to 1). */
    public final Tensor mean;
    /** Biased batch variance per feature, same shape as {@link #mean}. */
    public final Tensor variance;

    BatchNormResult(Tensor output, Tensor mean, Tensor variance) {
      this.output = output;
      this.mean = mean;
      this.variance = variance;
    }
  }

  /**
   * Batch normalisation in training mode: statistics over {@code axes} (e.g. {@code {0, 2, 3}} for
   * NCHW per channel; batch and time together for sequences), {@code y = (x − μ)/√(σ² + eps) ⊙ scale
   * + offset} with the biased variance σ². {@code scale} and {@code offset} hold one value per
   * normalised feature: either the input's shape with the reduced axes set to 1, or a vector of
   * that many elements. The output's gradient accounts for the statistics' dependence on x. When
   * the non-reduced axes are contiguous (the usual case) a fused op runs; otherwise the composite.
   */
  public static BatchNormResult batchNorm(Tensor x, Tensor scale, Tensor offset, int[] axes, float eps) {
    if (!(eps >= 0)) {
      throw new IllegalArgumentException("batchNorm: eps must be >= 0, got " + eps);
    }
    int rank = x.shape.length;
    boolean[] reduced = new boolean[rank];
    for (int a : axes) {
      int ax = Shapes.axis("batchNorm", a, rank);
      if (reduced[ax]) {
        throw new IllegalArgumentException("batchNorm: axis " + a + " given twice");
      }
      reduced[ax] = true;
    }
    int first = -1;
    int last = -1;
    for (int d = 0; d < rank; d++) {
      if (!reduced[d]) {
        first = first < 0 ? d : first;
        last = d;
      }
    }
    boolean contiguous = true;
    for (int d = first; first >= 0 && d <= last; d++) {
      contiguous &= !reduced[d];
    }
    if (first < 0 || !contiguous) {
      return batchNormComposite(x, scale, offset, axes, eps);
    }
    return batchNormFused(x, scale, offset, reduced, first, last, eps);
  }

  /**
   * The fused form for features that are one contiguous run of axes: x viewed as {@code [outer,
   * F, inner]}, statistics per feature f over (outer, inner) in double (two passes), and the
   * closed-form backward {@code dx = γ·σ⁻¹/n·(n·dy − Σdy − x̂·Σ(dy·x̂))}, {@code dγ = Σ dy·x̂},
   * {@code dβ = Σ dy}. The returned mean and variance are constants (for running averages); the
   * output's gradient already accounts for their dependence on x. Tested against the composite.
   */
  private static BatchNormResult batchNormFused(Tensor x, Tensor scale, Tensor offset,
      boolean[] reduced, int first, int last, float eps) {
    int[] fshape = x.shape.clone();
    int outer = 1;
    int features = 1;
    int inner = 1;
    for (int d = 0; d < fshape.length; d++) {
      if (reduced[d]) {
        fshape[d] = 1;
      }
      if (d < first) {
        outer *= x.shape[d];
      } else if (d <= last) {
        features *= x.shape[d];
      } else {
        inner *= x.shape[d];
      }
    }
    Tensor s = asFeature("scale", scale, fshape);
    Tensor o = asFeature("offset", offset, fshape);
    final int outerF = outer;
    final int nf = features;
    final int innerF = inner;
    final double count = (double) outer * inner;
    float[] xv = x.data;
    // Statistics: double sums over each contiguous run (vectorised in the SIMD kernels).
    final KernelSupport k = Kernels.support();
    double[] mean = new double[nf];
    double[] var = new double[nf];
    for (int a = 0; a < outerF; a++) {
      for (int f = 0; f < nf; f++) {
        int base = (a * nf + f) * innerF;
        mean[f] += k.sumAsDouble(innerF, xv, base);
      }
    }
    for (int f = 0; f < nf; f++) {
      mean[f] /= count;
    }
    for (int a = 0; a < outerF; a++) {
      for (int f = 0; f < nf; f++) {
        int base = (a * nf + f) * innerF;
        var[f] += k.squaredDeviationsAsDouble(innerF, xv, base, mean[f]);
      }
    }
    float[] invStd = new float[nf];
    float[] meanF = new float[nf];
    float[] varF = new float[nf];
    for (int f = 0; f < nf; f++) {
      var[f] /= count;
      invStd[f] = (float) (1 / Math.sqrt(var[f] + eps));
      meanF[f] = (float) mean[f];
      varF[f] = (float) var[f];
    }
    float[] gamma = s.data;
    float[] beta = o.data;
    // x̂ = (x − μ)·σ⁻¹ is not stored: the backward pass recomputes it from x with the same float
    // operations (the same bits), which saves a batch-sized array and its memory traffic.
    float[] y = new float[xv.length];
    for (int a = 0; a < outerF; a++) {
      for (int f = 0; f < nf; f++) {
        int base = (a * nf + f) * innerF;
        float mu = meanF[f];
        float is = invStd[f];
        float g = gamma[f];
        float b = beta[f];
        for (int i = base; i < base + innerF; i++) {
          float h = (xv[i] - mu) * is;
          y[i] = h * g + b;
        }
      }
    }
    Tensor meanT = Tensor.wrap(meanF, fshape);
    Tensor varT = Tensor.wrap(varF, fshape);
    Tensor out = Tape.result("batchNorm", x.shape, y, new Tensor[] {x, s, o});
    if (out.requiresGrad) {
      Tape.attach(out, new Node("batchNorm", x, s, o) {
        @Override
        protected void backward(float[] dy) {
          double[] sumDy = new double[nf];
          double[] sumDyXhat = new double[nf];
          float[] xhat = new float[innerF]; // x̂ of one run
          for (int a = 0; a < outerF; a++) {
            for (int f = 0; f < nf; f++) {
              int base = (a * nf + f) * innerF;
              float mu = meanF[f];
              float is = invStd[f];
              for (int i = 0; i < innerF; i++) {
                xhat[i] = (xv[base + i] - mu) * is;
              }
              sumDy[f] += k.sumAsDouble(innerF, dy, base);
              sumDyXhat[f] += k.dotAsDouble(innerF, dy, base, xhat, 0);
            }
          }
          if (needs(0)) {
            float[] gx = gradOf(0);
            for (int a = 0; a < outerF; a++) {
              for (int f = 0; f < nf; f++) {
                int base = (a * nf + f) * innerF;
                float k = (float) (gamma[f] * invStd[f] / count);
                float m1 = (float) sumDy[f];
                float m2 = (float) sumDyXhat[f];
                float n = (float) count;
                float mu = meanF[f];
                float is = invStd[f];
                for (int i = base; i < base + innerF; i++) {
                  float h = (xv[i] - mu) * is;
                  gx[i] += k * (n * dy[i] - m1 - h * m2);
                }
              }
            }
          }
          if (needs(1)) {
            float[] gs = gradOf(1);
            for (int f = 0; f < nf; f++) {
              gs[f] += (float) sumDyXhat[f];
            }
          }
          if (needs(2)) {
            float[] go = gradOf(2);
            for (int f = 0; f < nf; f++) {
              go[f] += (float) sumDy[f];
            }
          }
        }
      });
    }
    return new BatchNormResult(out, meanT, varT);
  }

  /**
   * Batch normalisation as a composite of {@link Ops} (any set of axes; gradients also flow through
   * the returned statistics): the oracle for the fused form.
   */
  static BatchNormResult batchNormComposite(Tensor x, Tensor scale, Tensor offset, int[] axes, float eps) {
    Tensor mean = Ops.mean(x, axes, true);
    int[] featureShape = mean.shape;
    Tensor s = asFeature("scale", scale, featureShape);
    Tensor o = asFeature("offset", offset, featureShape);
    Tensor centred = Ops.sub(x, mean);
    Tensor variance = Ops.mean(Ops.square(centred), axes, true);
    Tensor normalised = Ops.div(centred, Ops.sqrt(Ops.addScalar(variance, eps)));
    Tensor y = Ops.add(Ops.mul(normalised, s), o);
    return new BatchNormResult(y, mean, variance);
  }

  /**
   * Batch normalisation with given statistics (evaluation mode, running averages): {@code y = (x −
   * mean)/√(variance + eps) ⊙ scale + offset}; no gradient flows into the statistics.
   */
  public static Tensor batchNormInference(Tensor x, Tensor scale, Tensor offset, Tensor mean,
      Tensor variance, float eps) {
    int[] featureShape = mean.shape;
    if (featureShape.length != x.shape.length) {
      throw new IllegalArgumentException("batchNormInference: mean of shape " + Shapes.str(featureShape)
          + " must have the rank of the input " + Shapes.str(x.shape) + " (size 1 on reduced axes)");
    }
    int first = -1;
    int last = -1;
    boolean contiguous = true;
    for (int d = 0; d < featureShape.length; d++) {
      if (featureShape[d] != 1 && featureShape[d] != x.shape[d]) {
        throw new IllegalArgumentException("batchNormInference: mean of shape " + Shapes.str(featureShape)
            + " does not fit the input " + Shapes.str(x.shape));
      }
      if (featureShape[d] != 1) {
        contiguous &= last < 0 || last == d - 1;
        first = first < 0 ? d : first;
        last = d;
      }
    }
    if (first < 0 || !contiguous) {
      return batchNormInferenceComposite(x, scale, offset, mean, variance, eps);
    }
    Tensor v = asFeature("variance", variance, featureShape);
    Tensor s = asFeature("scale", scale, featureShape);
    Tensor o = asFeature("offset", offset, featureShape);
    int outer = 1;
    int nf = 1;
    int inner = 1;
    for (int d = 0; d < featureShape.length; d++) {
      if (d < first) {
        outer *= x.shape[d];
      } else if (d <= last) {
        nf *= x.shape[d];
      } else {
        inner *= x.shape[d];
      }
    }
    return batchNormInferenceFused(x, s, o, mean.data, v.data, eps, outer, nf, inner);
  }

  /**
   * The fused form of {@link #batchNormInference} for x viewed as {@code [outer, F, inner]}: the
   * composite's float operations in its order (the same bits forward), and the backward pass
   * {@code dx = dy·(γ/√(v + eps))}, {@code dγ = Σ dy·(x − mean)/√(v + eps)}, {@code dβ = Σ dy}
   * (sums in double) without the composite's broadcast temporaries. Tested against the composite.
   */
  private static Tensor batchNormInferenceFused(Tensor x, Tensor s, Tensor o, float[] mean, float[] variance,
      float eps, int outer, int nf, int inner) {
    float[] sd = new float[nf];
    for (int f = 0; f < nf; f++) {
      sd[f] = (float) Math.sqrt(variance[f] + eps);
    }
    float[] mu = mean.clone();
    float[] gamma = s.data;
    float[] beta = o.data;
    float[] xv = x.data;
    float[] y = new float[xv.length];
    for (int a = 0; a < outer; a++) {
      for (int f = 0; f < nf; f++) {
        int base = (a * nf + f) * inner;
        float m = mu[f];
        float d = sd[f];
        float g = gamma[f];
        float b = beta[f];
        for (int i = base; i < base + inner; i++) {
          y[i] = (xv[i] - m) / d * g + b;
        }
      }
    }
    Tensor out = Tape.result("batchNormInference", x.shape, y, new Tensor[] {x, s, o});
    if (out.requiresGrad) {
      Tape.attach(out, new Node("batchNormInference", x, s, o) {
        @Override
        protected void backward(float[] dy) {
          if (needs(0)) {
            float[] gx = gradOf(0);
            for (int a = 0; a < outer; a++) {
              for (int f = 0; f < nf; f++) {
                int base = (a * nf + f) * inner;
                float gd = gamma[f] / sd[f];
                for (int i = base; i < base + inner; i++) {
                  gx[i] += dy[i] * gd;
                }
              }
            }
          }
          if (needs(1) || needs(2)) {
            double[] sumDy = new double[nf];
            double[] sumDyXhat = new double[nf];
            for (int a = 0; a < outer; a++) {
              for (int f = 0; f < nf; f++) {
                int base = (a * nf + f) * inner;
                float m = mu[f];
                double sy = 0;
                double sx = 0;
                for (int i = base; i < base + inner; i++) {
                  sy += dy[i];
                  sx += (double) dy[i] * (xv[i] - m);
                }
                sumDy[f] += sy;
                sumDyXhat[f] += sx / sd[f];
              }
            }
            if (needs(1)) {
              float[] gs = gradOf(1);
              for (int f = 0; f < nf; f++) {
                gs[f] += (float) sumDyXhat[f];
              }
            }
            if (needs(2)) {
              float[] go = gradOf(2);
              for (int f = 0; f < nf; f++) {
                go[f] += (float) sumDy[f];
              }
            }
          }
        }
      });
    }
    return out;
  }

  /** Evaluation-mode batch normalisation as a composite of {@link Ops}: the oracle for the fused form. */
  static Tensor batchNormInferenceComposite(Tensor x, Tensor scale, Tensor offset, Tensor mean, Tensor variance,
      float eps) {
    Tensor m = Ops.stopGradient(mean);
    int[] featureShape = m.shape;
    Tensor v = asFeature("variance", Ops.stopGradient(variance), featureShape);
    Tensor s = asFeature("scale", scale, featureShape);
    Tensor o = asFeature("offset", offset, featureShape);
    Tensor normalised = Ops.div(Ops.sub(x, m), Ops.sqrt(Ops.addScalar(v, eps)));
    return Ops.add(Ops.mul(normalised, s), o);
  }

  private static Tensor asFeature(String what, Tensor t, int[] featureShape) {
    int n = Shapes.size(featureShape);
    if (t.data.length != n) {
      throw new IllegalArgumentException("batchNorm: " + what + " of shape " + Shapes.str(t.shape)
          + " does not hold one value per feature of " + Shapes.str(featureShape));
    }
    return java.util.Arrays.equals(t.shape, featureShape) ? t : Ops.reshape(t, featureShape);
  }

  // ====================================================================== convolutions

  /**
   * Convolution {@code y[n,k,p,q] = b[k] + Σ_{c,r,s} w[k,c,r,s]·x[n,c,p·stride − pad + r, q·stride
   * − pad + s]} (zero padding) of {@code x [N,C,H,W]} with {@code w [K,C,R,S]}; {@code bias [K]} or
   * {@code null}.
   */
  public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int pad) {
    checkConv("conv2d", x, w, bias, 1);
    ConvGeometry g = ConvGeometry.conv(x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[0],
        w.shape[2], w.shape[3], stride, stride, pad, pad);
    float[] y = new float[g.outputSize()];
    // When the weight will need a gradient, keep the input as the forward pass packed it for the
    // column matrices: the weight gradient then reuses it instead of packing x again.
    float[] packed = w.requiresGrad && Tape.isRecording()
        ? new float[Conv2d.packedInputSize(g)] : null;
    float[] b = bias == null ? null : bias.data;
    if (packed != null) {
      Conv2d.forward(g, x.data, 0, w.data, 0, b, 0, y, 0, packed, 0,
          Parallel.defaultParallelism());
    } else {
      Conv2d.forward(g, x.data, 0, w.data, 0, b, 0, y, 0);
    }
    int[] shape = {g.batch(), g.outChannels(), g.outH(), g.outW()};
    Tensor out = bias == null ? Tape.result("conv2d", shape, y, x, w)
        : Tape.result("conv2d", shape, y, new Tensor[] {x, w, bias});
    if (!out.requiresGrad) {
      return out;
    }
    Tensor[] inputs = bias == null ? new Tensor[] {x, w} : new Tensor[] {x, w, bias};
    return Tape.attach(out, new Node("conv2d", inputs) {
      @Override
      protected void backward(float[] gy) {
        if (needs(0)) {
          Conv2d.backwardInput(g, gy, 0, w.data, 0, gradOf(0), 0, true);
        }
        if (needs(1)) {
          if (packed != null) {
            Conv2d.backwardWeightFromPacked(g, packed, 0, gy, 0, gradOf(1), 0, true,
                Parallel.defaultParallelism());
          } else {
            Conv2d.backwardWeight(g, x.data, 0, gy, 0, gradOf(1), 0, true);
          }
        }
        if (inputs.length == 3 && needs(2)) {
          Conv2d.backwardBias(g, gy, 0, gradOf(2), 0, true);
        }
      }
    });
  }

  /**
   * Transposed convolution (PyTorch {@code ConvTranspose2d}) of {@code x [N,C,H,W]} with {@code w
   * [C,K,R,S]}: output {@code [N,K,(H−1)·stride − 2·pad + R, …]}, the input gradient of a
   * convolution; {@code bias [K]} or {@code null}.
   */
  public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, int stride, int pad) {
    checkConv("convTranspose2d", x, w, bias, 0);
    ConvGeometry g = ConvGeometry.transposed(x.shape[0], x.shape[1], x.shape[2], x.shape[3],
        w.shape[1], w.shape[2], w.shape[3], stride, stride, pad, pad);
    float[] y = new float[g.outputSize()];
    Conv2d.transposedForward(g, x.data, 0, w.data, 0, bias == null ? null : bias.data, 0, y, 0);
    int[] shape = {g.batch(), g.outChannels(), g.outH(), g.outW()};
    Tensor out = bias == null ? Tape.result("convTranspose2d", shape, y, x, w)
        : Tape.result("convTranspose2d", shape, y, new Tensor[] {x, w, bias});
    if (!out.requiresGrad) {
      return out;
    }
    Tensor[] inputs = bias == null ? new Tensor[] {x, w} : new Tensor[] {x, w, bias};
    return Tape.attach(out, new Node("convTranspose2d", inputs) {
      @Override
      protected void backward(float[] gy) {
        if (needs(0)) {
          Conv2d.transposedBackwardInput(g, gy, 0, w.data, 0, gradOf(0), 0, true);
        }
        if (needs(1)) {
          Conv2d.transposedBackwardWeight(g, x.data, 0, gy, 0, gradOf(1), 0, true);
        }
        if (inputs.length == 3 && needs(2)) {
          Conv2d.transposedBackwardBias(g, gy, 0, gradOf(2), 0, true);
        }
      }
    });
  }

  /** Shapes: x rank 4, w rank 4 with its input-channel axis {@code wIn} matching x, bias [out]. */
  private static void checkConv(String op, Tensor x, Tensor w, Tensor bias, int wIn) {
    if (x.shape.length != 4 || w.shape.length != 4) {
      throw new IllegalArgumentException(op + ": input " + Shapes.str(x.shape) + " and weight "
          + Shapes.str(w.shape) + " must both be rank 4 (NCHW; weight " + (wIn == 1 ? "[out,in,kh,kw]"
          : "[in,out,kh,kw]") + ")");
    }
    if (w.shape[wIn] != x.shape[1]) {
      throw new IllegalArgumentException(op + ": input " + Shapes.str(x.shape) + " has " + x.shape[1]
          + " channels but weight " + Shapes.str(w.shape) + " expects " + w.shape[wIn]);
    }
    int out = w.shape[1 - wIn];
    if (bias != null && (bias.shape.length != 1 || bias.shape[0] != out)) {
      throw new IllegalArgumentException(op + ": bias " + Shapes.str(bias.shape) + " must be [" + out + "]");
    }
  }
}
