package org.vssf.filter;

import java.util.ArrayList;
import java.util.List;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/**
 * The forward pass of L-VSSF in information form, batched over B sequences and differentiable:
 *
 * <pre>
 *   t = 1:    Λ_{1|1} = Σz⁻¹ + Σ_j Λx^(j)(x_1),            η_{1|1} = Σ_j ηx^(j)(x_1)
 *   predict:  μ_{t+1|t} = A μ_{t|t} + B u_t,             P_{t+1|t} = A Λ_{t|t}⁻¹ Aᵀ + Σw
 *             Λ_{t+1|t} = P_{t+1|t}⁻¹,                    η_{t+1|t} = Λ_{t+1|t} μ_{t+1|t}
 *   update:   Λ_{t+1|t+1} = Λ_{t+1|t} + Σ_{j present} Λx^(j),  η likewise
 * </pre>
 *
 * Every inverse goes through a Cholesky factor and triangular solves ({@code A Λ⁻¹ Aᵀ = MᵀM} with
 * {@code M = L⁻¹Aᵀ}); only the sensors present at a step contribute (masks), so missing frames and
 * any subset of sensors need nothing special.
 */
public final class InformationFilter {
  private InformationFilter() {}

  /**
   * Runs the filter.
   *
   * @param dynamics the latent dynamics
   * @param sensors the sensors
   * @param observations per sensor, {@code [B, T, ...]}
   * @param masks per sensor, {@code [B, T]} with 1 = present, 0 = missing; {@code null} entries (or
   *     a {@code null} list) mean always present
   * @param controls {@code [B, T−1, p]}, or {@code null} when the dynamics have no control
   */
  public static FilterResult run(LinearGaussianDynamics dynamics, List<Sensor> sensors,
      List<Tensor> observations, List<Tensor> masks, Tensor controls) {
    int m = dynamics.latentSize();
    List<Sensor.Contribution> contributions = contributions(dynamics, sensors, observations, masks);
    int b = observations.get(0).dim(0);
    int steps = observations.get(0).dim(1);
    checkControls(dynamics, controls, b, steps);
    Tensor eye = Tensor.wrap(LinearGaussianDynamics.identity(m), m, m);
    Tensor a = dynamics.dynamicsMatrix();
    Tensor processCov = dynamics.processCov();
    List<Tensor> precision = new ArrayList<>();
    List<Tensor> info = new ArrayList<>();
    List<Tensor> chol = new ArrayList<>();
    List<Tensor> mean = new ArrayList<>();
    for (int t = 0; t < steps; t++) {
      Tensor lam;
      Tensor eta;
      if (t == 0) {
        lam = expand(LinalgOps.spdSolve(dynamics.initialCov(), eye), b);
        eta = Tensor.zeros(b, m, 1);
      } else {
        Tensor l = chol.get(t - 1);
        Tensor mu = Ops.add(LinalgOps.matmul(a, mean.get(t - 1)), controlTerm(dynamics, controls, t - 1));
        Tensor mt = LinalgOps.solveTriangular(l, expand(Ops.transpose(a), b), true, false);
        Tensor predCov = Ops.add(LinalgOps.matmul(Ops.transpose(mt), mt), processCov);
        lam = LinalgOps.spdSolve(predCov, expand(eye, b));
        eta = LinalgOps.matmul(lam, mu);
      }
      for (int j = 0; j < contributions.size(); j++) {
        Sensor.Contribution c = contributions.get(j);
        Tensor p = c.precision.rank() == 2 ? c.precision : step4(c.precision, t, b, m);
        Tensor e = Ops.reshape(Ops.slice(c.info, 1, t, t + 1), b, m, 1);
        Tensor mask = masks == null ? null : masks.get(j);
        if (mask != null) {
          Tensor w = Ops.reshape(Ops.slice(mask, 1, t, t + 1), b, 1, 1);
          p = Ops.mul(p, w);
          e = Ops.mul(e, w);
        }
        lam = Ops.add(lam, p);
        eta = Ops.add(eta, e);
      }
      Tensor l = LinalgOps.cholesky(lam.named("filteredPrecision"));
      precision.add(lam);
      info.add(eta);
      chol.add(l);
      mean.add(cholSolve(l, eta));
    }
    return new FilterResult(precision, info, chol, mean);
  }

  /**
   * Validates sensors, observations and masks (shapes, latent sizes, 0/1 masks, finite values) and
   * returns each sensor's information contribution.
   */
  static List<Sensor.Contribution> contributions(LinearGaussianDynamics dynamics, List<Sensor> sensors,
      List<Tensor> observations, List<Tensor> masks) {
    int m = dynamics.latentSize();
    if (sensors.size() != observations.size() || (masks != null && masks.size() != sensors.size())) {
      throw new IllegalArgumentException("InformationFilter: " + sensors.size() + " sensors, "
          + observations.size() + " observation tensors, " + (masks == null ? "no" : masks.size()) + " masks");
    }
    if (sensors.isEmpty()) {
      throw new IllegalArgumentException("InformationFilter: no sensors");
    }
    int b = observations.get(0).dim(0);
    int steps = observations.get(0).dim(1);
    List<Sensor.Contribution> contributions = new ArrayList<>();
    for (int j = 0; j < sensors.size(); j++) {
      Tensor x = observations.get(j);
      if (x.rank() < 2 || x.dim(0) != b || x.dim(1) != steps) {
        throw new IllegalArgumentException("InformationFilter: observations of sensor " + j + " have shape "
            + java.util.Arrays.toString(x.shape()) + ", expected [" + b + ", " + steps + ", ...]");
      }
      if (sensors.get(j).latentSize() != m) {
        throw new IllegalArgumentException("InformationFilter: sensor " + j + " has latent size "
            + sensors.get(j).latentSize() + ", the dynamics " + m);
      }
      Tensor mask = masks == null ? null : masks.get(j);
      if (mask != null && (mask.rank() != 2 || mask.dim(0) != b || mask.dim(1) != steps)) {
        throw new IllegalArgumentException("InformationFilter: mask of sensor " + j + " must be [" + b + ", "
            + steps + "], got " + java.util.Arrays.toString(mask.shape()));
      }
      checkObservations(j, x, mask, b, steps);
      contributions.add(sensors.get(j).contribution(x, mask));
    }
    return contributions;
  }

  /** Masks hold exactly 0 or 1; every observation value, placeholders included, is finite. */
  static void checkObservations(int sensor, Tensor x, Tensor mask, int b, int steps) {
    if (mask != null) {
      float[] mv = mask.data();
      for (int i = 0; i < mv.length; i++) {
        if (mv[i] != 0f && mv[i] != 1f) {
          throw new IllegalArgumentException("InformationFilter: mask of sensor " + sensor + " is " + mv[i]
              + " at (b=" + i / steps + ", t=" + i % steps + "); masks hold 0 (missing) or 1 (present)");
        }
      }
    }
    float[] v = x.data();
    int per = v.length / Math.max(1, b * steps);
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        int frame = i / Math.max(1, per);
        throw new IllegalArgumentException("InformationFilter: observation of sensor " + sensor + " at (b="
            + frame / steps + ", t=" + frame % steps + ") contains " + v[i]
            + " (missing observations need a finite placeholder such as 0 and mask 0)");
      }
    }
  }

  private static Tensor step4(Tensor prec, int t, int b, int m) {
    return Ops.reshape(Ops.slice(prec, 1, t, t + 1), b, m, m);
  }

  static void checkControls(LinearGaussianDynamics dynamics, Tensor controls, int b, int steps) {
    int p = dynamics.controlSize();
    if (p == 0) {
      if (controls != null) {
        throw new IllegalArgumentException("controls given but the dynamics have no control matrix");
      }
      return;
    }
    if (controls == null || controls.rank() != 3 || controls.dim(0) != b
        || controls.dim(1) != Math.max(steps - 1, 0) || controls.dim(2) != p) {
      throw new IllegalArgumentException("controls must be [" + b + ", " + (steps - 1) + ", " + p + "], got "
          + (controls == null ? "null" : java.util.Arrays.toString(controls.shape())));
    }
  }

  /** B u_t as [B, m, 1] (zeros when there is no control). */
  static Tensor controlTerm(LinearGaussianDynamics dynamics, Tensor controls, int t) {
    int m = dynamics.latentSize();
    if (controls == null) {
      return Tensor.zeros(1, m, 1);
    }
    int b = controls.dim(0);
    int p = dynamics.controlSize();
    Tensor u = Ops.reshape(Ops.slice(controls, 1, t, t + 1), b, p, 1);
    return LinalgOps.matmul(dynamics.controlMatrix(), u);
  }

  /** Λ⁻¹η through the factor: L⁻ᵀ(L⁻¹η). */
  static Tensor cholSolve(Tensor l, Tensor rhs) {
    return LinalgOps.solveTriangular(l, LinalgOps.solveTriangular(l, rhs, true, false), true, true);
  }

  /** [m, n] → [B, m, n] (a broadcast add, so gradients sum back). */
  static Tensor expand(Tensor x, int b) {
    int[] s = x.shape();
    return Ops.add(Tensor.zeros(b, s[0], s[1]), x);
  }
}
