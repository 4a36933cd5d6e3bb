package org.vssf.filter;

import java.util.List;
import java.util.SplittableRandom;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Node;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.linalg.Parallel;
import org.vssf.nn.RandomStreams;

/**
 * The training path's posterior in one differentiable op: the information filter ({@link
 * InformationFilter}), the backward sampler ({@link BackwardSampler}) and the prior log-density
 * log p(z | u) ({@link Elbo#logPrior}) fused per sequence, in double, with a hand-derived adjoint
 * ({@code PosteriorKernel} states it). Same math, same noise and same samples as the composite
 * {@code run → sample → logPrior} chain, which stays the test oracle; about two orders of magnitude
 * fewer recorded ops, so the per-step small-matrix work no longer pays framework overhead.
 *
 * <p>Sequences run in parallel over the library's pool ({@link Parallel#defaultParallelism()});
 * results and gradients are bitwise identical for every thread count.
 */
public final class FusedPosterior {
  private FusedPosterior() {}

  /**
   * Filters, then draws S samples per sequence from the smoothing posterior, with log q and log p(z
   * | u) per sample. Arguments as for {@link InformationFilter#run} and {@link
   * BackwardSampler#sample}; draws the noise from {@code noise} in the same order as {@link
   * BackwardSampler#sample}, so both give the same samples for the same stream.
   *
   * @return samples whose {@link BackwardSampler.Samples#logPrior()} is set
   * @throws org.vssf.linalg.NotPositiveDefiniteException naming the matrix ({@code
   *     filteredPrecision}, {@code predicted covariance}, {@code backward precision}) and the sequence
   */
  public static BackwardSampler.Samples sample(LinearGaussianDynamics dynamics, List<Sensor> sensors,
      List<Tensor> observations, List<Tensor> masks, Tensor controls, int samples, SplittableRandom noise) {
    return sample(dynamics, sensors, observations, masks, controls, samples, noise, null);
  }

  /**
   * As above, with the noise of latent component i multiplied by {@code noiseSigns[i]} (±1; {@code
   * null}: unchanged). A posterior reflected z → Dz has the Cholesky factors D L D, so with D's signs
   * the same stream gives exactly the reflected samples: common random numbers for comparing a
   * model with its reflection.
   */
  public static BackwardSampler.Samples sample(LinearGaussianDynamics dynamics, List<Sensor> sensors,
      List<Tensor> observations, List<Tensor> masks, Tensor controls, int samples, SplittableRandom noise,
      float[] noiseSigns) {
    if (samples < 1) {
      throw new IllegalArgumentException("FusedPosterior: samples must be >= 1, got " + samples);
    }
    List<Sensor.Contribution> contributions =
        InformationFilter.contributions(dynamics, sensors, observations, masks);
    int b = observations.get(0).dim(0);
    int steps = observations.get(0).dim(1);
    int m = dynamics.latentSize();
    InformationFilter.checkControls(dynamics, controls, b, steps);
    if (steps < 1) {
      throw new IllegalArgumentException("FusedPosterior: sequences of length 0");
    }
    int k = contributions.size();
    // Inputs: A, Σw, Σz, [c], then (Λx, ηx) per sensor.
    boolean hasControl = controls != null && steps > 1;
    Tensor[] inputs = new Tensor[3 + (hasControl ? 1 : 0) + 2 * k];
    inputs[0] = dynamics.dynamicsMatrix();
    inputs[1] = dynamics.processCov();
    inputs[2] = dynamics.initialCov();
    int next = 3;
    Tensor control = null;
    if (hasControl) {
      int p = dynamics.controlSize();
      Tensor u = Ops.reshape(controls, b * (steps - 1), p);
      control = Ops.reshape(LinalgOps.matmul(u, Ops.transpose(dynamics.controlMatrix())), b, steps - 1, m);
      inputs[next++] = control;
    }
    int firstSensor = next;
    float[][] precision = new float[k][];
    boolean[] shared = new boolean[k];
    float[][] info = new float[k][];
    float[][] mask = new float[k][];
    for (int j = 0; j < k; j++) {
      Sensor.Contribution c = contributions.get(j);
      shared[j] = c.precision.rank() == 2;
      int[] expect = shared[j] ? new int[] {m, m} : new int[] {b, steps, m, m};
      if (!java.util.Arrays.equals(c.precision.shape(), expect)
          || !java.util.Arrays.equals(c.info.shape(), new int[] {b, steps, m})) {
        throw new IllegalArgumentException("FusedPosterior: sensor " + j + " contributed precision "
            + java.util.Arrays.toString(c.precision.shape()) + " and information "
            + java.util.Arrays.toString(c.info.shape()) + "; expected " + java.util.Arrays.toString(expect)
            + " and [" + b + ", " + steps + ", " + m + "]");
      }
      precision[j] = c.precision.data();
      info[j] = c.info.data();
      mask[j] = masks == null || masks.get(j) == null ? null : masks.get(j).data();
      inputs[next++] = c.precision;
      inputs[next++] = c.info;
    }
    float[] eps = new float[steps * b * m * samples];
    int block = b * m * samples; // one draw per step, t = T−1 down to 0, as BackwardSampler draws
    for (int t = 0; t < steps; t++) {
      RandomStreams.fillGaussian(noise, eps, t * block, (t + 1) * block);
    }
    if (noiseSigns != null) {
      if (noiseSigns.length != m) {
        throw new IllegalArgumentException("FusedPosterior: " + noiseSigns.length + " noise signs for m = " + m);
      }
      for (int e = 0; e < eps.length; e++) { // layout [T, B, m, S]
        eps[e] *= noiseSigns[e / samples % m];
      }
    }
    PosteriorKernel kernel = new PosteriorKernel(b, steps, m, samples, inputs[0].data(), inputs[1].data(),
        inputs[2].data(), control == null ? null : control.data(), precision, shared, info, mask, eps,
        Parallel.defaultParallelism());
    int[] shape = {b, kernel.rows(), samples};
    float[] out = new float[b * kernel.rows() * samples];
    kernel.forward(out);
    final boolean withControl = hasControl;
    Tensor packed = Tape.record(new Node("fusedPosterior", inputs) {
      @Override
      protected void backward(float[] g) {
        PosteriorKernel.Grads grads = new PosteriorKernel.Grads();
        grads.a = needs(0) ? gradOf(0) : null;
        grads.processCov = needs(1) ? gradOf(1) : null;
        grads.initialCov = needs(2) ? gradOf(2) : null;
        grads.control = withControl && needs(3) ? gradOf(3) : null;
        grads.precision = new float[k][];
        grads.info = new float[k][];
        for (int j = 0; j < k; j++) {
          grads.precision[j] = needs(firstSensor + 2 * j) ? gradOf(firstSensor + 2 * j) : null;
          grads.info[j] = needs(firstSensor + 2 * j + 1) ? gradOf(firstSensor + 2 * j + 1) : null;
        }
        kernel.backward(out, g, grads);
      }
    }, shape, out);
    return new BackwardSampler.Samples(packed, steps, m);
  }
}
