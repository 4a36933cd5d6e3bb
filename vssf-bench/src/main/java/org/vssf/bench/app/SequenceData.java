package org.vssf.bench.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.vssf.autodiff.Tensor;
import org.vssf.bench.data.DataSet;
import org.vssf.bench.data.DataSetInfo;
import org.vssf.filter.Trainer;

/**
 * One split of a data set held in memory as stored (uint8 pixels), turned into model inputs on
 * demand: images [B, T, 3, H, W] scaled to [-1, 1], the linear sensor's observations C z (the true
 * state's supervised components), controls [B, T−1, p] and true states [B, T, m].
 */
public final class SequenceData implements Trainer.Data {
  private final DataSetInfo info;
  private final byte[] images;
  private final float[] states;
  private final float[] controls;
  private final int[] supervised;
  private final int batchSize;

  private SequenceData(DataSetInfo info, byte[] images, float[] states, float[] controls, int[] supervised,
      int batchSize) {
    this.info = info;
    this.images = images;
    this.states = states;
    this.controls = controls;
    this.supervised = supervised;
    this.batchSize = batchSize;
  }

  /**
   * Loads the split in {@code dir} for a model that supervises {@code supervised} components,
   * drawing training batches of {@code batchSize} sequences.
   *
   * @throws org.vssf.bench.data.DataFileException naming a bad file
   */
  public static SequenceData load(Path dir, int[] supervised, int batchSize) throws IOException {
    try (DataSet ds = DataSet.open(dir)) {
      DataSetInfo info = ds.info();
      long bytes = (long) ds.sequences() * ds.sequenceImageBytes();
      if (bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("data set " + dir + " has " + bytes
            + " bytes of images; more than 2 GiB does not fit one array (use fewer sequences)");
      }
      byte[] img = new byte[(int) bytes];
      ds.readImages(0, ds.sequences(), img, 0);
      return new SequenceData(info, img, ds.states(), ds.controls(), supervised, batchSize);
    }
  }

  /** The split's description. */
  public DataSetInfo info() {
    return info;
  }

  /** Number of sequences N. */
  public int sequences() {
    return info.sequences();
  }

  /** Sequence length T. */
  public int length() {
    return info.length();
  }

  /** A training batch: {@code batchSize} sequences drawn uniformly (with replacement) by {@code rng}. */
  @Override
  public Trainer.Batch batch(long step, SplittableRandom rng) {
    int[] idx = new int[batchSize];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = rng.nextInt(info.sequences());
    }
    return batch(idx, true);
  }

  /** Every sequence can be enumerated: N. */
  @Override
  public int size() {
    return sequences();
  }

  /** Sequences {@code idx} as a training batch (with the linear sensor's observations when supervised). */
  @Override
  public Trainer.Batch sequences(int[] idx) {
    return batch(idx, true);
  }

  /**
   * Model inputs for sequences {@code idx}: the image observations, and the linear sensor's when
   * {@code withLinear} and the model is supervised.
   */
  public Trainer.Batch batch(int[] idx, boolean withLinear) {
    List<Tensor> obs = new ArrayList<>();
    obs.add(images(idx));
    if (withLinear && supervised.length > 0) {
      obs.add(linearObservations(idx));
    }
    return new Trainer.Batch(obs, null, controls(idx));
  }

  /** Images of sequences {@code idx}: [B, T, 3, H, W] with v/127.5 − 1 (channel-major). */
  public Tensor images(int[] idx) {
    int t = info.length();
    int h = info.height();
    int w = info.width();
    int hw = h * w;
    float[] out = new float[idx.length * t * 3 * hw];
    int per = t * hw * 3;
    for (int k = 0; k < idx.length; k++) {
      int src = idx[k] * per;
      int dst = k * per;
      for (int f = 0; f < t; f++) {
        int fs = src + f * hw * 3;
        int fd = dst + f * hw * 3;
        for (int pix = 0; pix < hw; pix++) {
          for (int c = 0; c < 3; c++) {
            out[fd + c * hw + pix] = (images[fs + pix * 3 + c] & 0xFF) / 127.5f - 1f;
          }
        }
      }
    }
    return Tensor.wrap(out, idx.length, t, 3, h, w);
  }

  /** True states of sequences {@code idx}: [B, T, m]. */
  public Tensor states(int[] idx) {
    int per = info.length() * info.stateDim();
    float[] out = new float[idx.length * per];
    for (int k = 0; k < idx.length; k++) {
      System.arraycopy(states, idx[k] * per, out, k * per, per);
    }
    return Tensor.wrap(out, idx.length, info.length(), info.stateDim());
  }

  /** The linear sensor's observations: the supervised components of the true state, [B, T, d]. */
  public Tensor linearObservations(int[] idx) {
    int t = info.length();
    int m = info.stateDim();
    int d = supervised.length;
    float[] out = new float[idx.length * t * d];
    for (int k = 0; k < idx.length; k++) {
      for (int s = 0; s < t; s++) {
        for (int j = 0; j < d; j++) {
          out[(k * t + s) * d + j] = states[(idx[k] * t + s) * m + supervised[j]];
        }
      }
    }
    return Tensor.wrap(out, idx.length, t, d);
  }

  /** Controls of sequences {@code idx}: [B, T−1, p], or {@code null} when p = 0. */
  public Tensor controls(int[] idx) {
    int p = info.controlDim();
    if (p == 0) {
      return null;
    }
    int per = (info.length() - 1) * p;
    float[] out = new float[idx.length * per];
    for (int k = 0; k < idx.length; k++) {
      System.arraycopy(controls, idx[k] * per, out, k * per, per);
    }
    return Tensor.wrap(out, idx.length, info.length() - 1, p);
  }
}
