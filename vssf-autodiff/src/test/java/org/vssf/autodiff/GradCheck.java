package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Finite-difference gradient check. For a function {@code f} of several tensors it checks the
 * backward pass of {@code L = Σ w ⊙ f(x)} (fixed random weights {@code w}, so non-scalar outputs
 * are covered) against the fourth-order central difference
 * {@code (−L(x+2h) + 8L(x+h) − 8L(x−h) + L(x−2h)) / 12h}, with L summed in double.
 *
 * <p>Tolerance: the forward runs in float32, so each L carries a rounding error of about
 * {@code ε·Σ|w·f|} (ε = 6e-8); divided by h = 1e-2 that is ~1e-5 relative, and the truncation error
 * is O(h⁴) = 1e-8. A relative tolerance of 2e-3 (against max(|numeric|, 10 % of the largest
 * gradient of that input)) therefore has a wide margin while still catching any wrong factor,
 * sign, transpose or missing accumulation.
 */
public final class GradCheck {
  /** Default relative tolerance, justified above. */
  public static final double TOLERANCE = 2e-3;

  private GradCheck() {}

  /** Checks every input that requires a gradient; an input not used by f must get a zero gradient. */
  public static void check(String what, Function<Tensor[], Tensor> f, SplittableRandom rng,
      Tensor... inputs) {
    check(what, f, rng, 1e-2, TOLERANCE, inputs);
  }

  /** As {@link #check(String, Function, SplittableRandom, Tensor...)} with step and tolerance. */
  public static void check(String what, Function<Tensor[], Tensor> f, SplittableRandom rng, double h,
      double tol, Tensor... inputs) {
    for (Tensor t : inputs) {
      t.zeroGrad();
    }
    Tensor out = f.apply(inputs);
    float[] w = new float[out.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (2 * rng.nextDouble() - 1);
    }
    Tensor loss = Ops.sum(Ops.mul(out, Tensor.wrap(w, out.shape())));
    loss.backward();
    for (int k = 0; k < inputs.length; k++) {
      Tensor x = inputs[k];
      if (!x.requiresGrad()) {
        continue;
      }
      float[] analytic = x.grad() == null ? new float[x.size()] : x.grad().clone();
      double[] numeric = new double[x.size()];
      double maxAbs = 0;
      float[] xv = x.data();
      try (Tape.Scope ng = Tape.noGrad()) {
        for (int j = 0; j < xv.length; j++) {
          float orig = xv[j];
          double l1 = evalAt(f, inputs, w, xv, j, orig + h);
          double l2 = evalAt(f, inputs, w, xv, j, orig - h);
          double l3 = evalAt(f, inputs, w, xv, j, orig + 2 * h);
          double l4 = evalAt(f, inputs, w, xv, j, orig - 2 * h);
          xv[j] = orig;
          numeric[j] = (-l3 + 8 * l1 - 8 * l2 + l4) / (12 * h);
          maxAbs = Math.max(maxAbs, Math.abs(numeric[j]));
        }
      }
      for (int j = 0; j < xv.length; j++) {
        double scale = Math.max(Math.max(Math.abs(numeric[j]), 0.1 * maxAbs), 1e-3);
        double err = Math.abs(analytic[j] - numeric[j]);
        if (!(err <= tol * scale)) {
          fail(what + ": d/d input " + k + Shapes.str(x.shape()) + " element " + j + ": analytic "
              + analytic[j] + " vs numeric " + numeric[j] + " (error " + err + " > " + tol * scale + ")");
        }
      }
    }
  }

  private static double evalAt(Function<Tensor[], Tensor> f, Tensor[] inputs, float[] w, float[] xv,
      int j, double value) {
    xv[j] = (float) value;
    float[] y = f.apply(inputs).data();
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += (double) w[i] * y[i];
    }
    return s;
  }
}
