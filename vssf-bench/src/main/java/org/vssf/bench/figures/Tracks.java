package org.vssf.bench.figures;

import java.util.List;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.bench.app.LvssfModel;
import org.vssf.bench.app.SequenceData;
import org.vssf.filter.FilterResult;
import org.vssf.filter.InformationFilter;
import org.vssf.filter.Sensor;

/**
 * Filtered means μ_{t|t}, the diagonal of P_{t|t} and the true states of some evaluation
 * trajectories, from the batch {@link InformationFilter} with the image sensor alone and the model
 * in evaluation mode (what {@code vssf evaluate} scores).
 */
final class Tracks {
  /** Sequences filtered at once (bounds memory for long trajectories). */
  private static final int CHUNK = 8;

  /** The trajectories (indices into the split). */
  final int[] sequences;
  /** Steps per trajectory. */
  final int length;
  /** Latent (= state) size. */
  final int m;
  /** Per trajectory k: μ_{t|t}[i] at {@code [k][t·m + i]}. */
  final double[][] mean;
  /** Per trajectory k: P_{t|t}[i][i] at {@code [k][t·m + i]}. */
  final double[][] variance;
  /** Per trajectory k: the true state at {@code [k][t·m + i]}. */
  final double[][] truth;

  private Tracks(int[] sequences, int length, int m) {
    this.sequences = sequences.clone();
    this.length = length;
    this.m = m;
    this.mean = new double[sequences.length][length * m];
    this.variance = new double[sequences.length][length * m];
    this.truth = new double[sequences.length][length * m];
  }

  /** Filters the first {@code length} steps of {@code sequences} of {@code data}. */
  static Tracks filter(LvssfModel model, SequenceData data, int[] sequences, int length) {
    int m = model.config.m;
    Tracks out = new Tracks(sequences, length, m);
    model.train(false);
    List<Sensor> sensors = List.of(model.image);
    try (Tape.Scope noGrad = Tape.noGrad()) {
      for (int first = 0; first < sequences.length; first += CHUNK) {
        int count = Math.min(CHUNK, sequences.length - first);
        int[] idx = new int[count];
        System.arraycopy(sequences, first, idx, 0, count);
        Tensor images = Ops.slice(data.images(idx), 1, 0, length);
        Tensor controls = data.controls(idx);
        Tensor u = controls == null ? null : Ops.slice(controls, 1, 0, length - 1);
        FilterResult f = InformationFilter.run(model.dynamics, sensors, List.of(images), null, u);
        float[] states = data.states(idx).data(); // [count, T, m]
        int full = data.length();
        for (int t = 0; t < length; t++) {
          float[] mu = f.filteredMean(t).data(); // [count, m, 1]
          float[] cov = f.filteredCov(t).data(); // [count, m, m]
          for (int k = 0; k < count; k++) {
            for (int i = 0; i < m; i++) {
              out.mean[first + k][t * m + i] = mu[k * m + i];
              out.variance[first + k][t * m + i] = cov[(k * m + i) * m + i];
              out.truth[first + k][t * m + i] = states[(k * full + t) * m + i];
            }
          }
        }
      }
    }
    return out;
  }

  /** Every trajectory of {@code data}. */
  static int[] all(SequenceData data) {
    int[] idx = new int[data.sequences()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    return idx;
  }
}
