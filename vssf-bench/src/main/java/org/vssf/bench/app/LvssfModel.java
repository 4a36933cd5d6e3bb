package org.vssf.bench.app;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.vssf.filter.ImageSensor;
import org.vssf.filter.LinearGaussianDynamics;
import org.vssf.filter.LinearSensor;
import org.vssf.filter.Sensor;
import org.vssf.nn.RandomStreams;

/**
 * An L-VSSF model built from a {@link ModelConfig}: the latent dynamics (ψ fixed at the data's A
 * and B, or learned from A = I and the true B; Σw = model_process_noise·I; Σz the data's prior),
 * the image sensor (DCGAN encoder/decoder) and, when supervised, a linear sensor on the chosen
 * state components. Same config and seed give the same initial weights.
 */
public final class LvssfModel {
  public final ModelConfig config;
  public final LinearGaussianDynamics dynamics;
  public final ImageSensor image;
  /** The supervision sensor, or {@code null} for {@code none}. */
  public final LinearSensor linear;

  /** Builds the model with weights initialised from {@code seed}'s init stream. */
  public LvssfModel(ModelConfig config, long seed) {
    this.config = config;
    int m = config.m;
    int p = config.p;
    boolean learned = config.dynamics.equals("learned");
    float[] a = learned ? identity(m) : toFloat(config.a);
    float[] sw = identity(m);
    for (int i = 0; i < sw.length; i++) {
      sw[i] *= config.modelProcessNoise;
    }
    dynamics = new LinearGaussianDynamics(m, p, toFloat(config.initialCov), a, p == 0 ? null : toFloat(config.b),
        sw, learned, learned, false);
    if (learned && config.spectralBound > 0) {
      dynamics.withSpectralBound(config.spectralBound);
    }
    SplittableRandom init = new RandomStreams(seed).init();
    image = new ImageSensor(m, config.size, config.nf, config.initL, config.minCov, config.sigma, config.clipNorm,
        init);
    if (config.latentOffset) {
      image.withLatentOffset();
    }
    int[] comps = config.supervised();
    if (comps.length == 0) {
      linear = null;
    } else {
      int d = comps.length;
      float[] c = new float[d * m];
      float[] r = new float[d * d];
      for (int k = 0; k < d; k++) {
        c[k * m + comps[k]] = 1f;
        r[k * d + k] = config.linearNoise;
      }
      linear = new LinearSensor(d, m, c, r);
    }
  }

  /** The sensors used in training: image, then the linear sensor if supervised. */
  public List<Sensor> trainingSensors() {
    List<Sensor> s = new ArrayList<>();
    s.add(image);
    if (linear != null) {
      s.add(linear);
    }
    return s;
  }

  /** Sets training (batch statistics) or evaluation (running averages) mode. */
  public void train(boolean on) {
    image.train(on);
    dynamics.train(on);
  }

  static float[] identity(int m) {
    float[] e = new float[m * m];
    for (int i = 0; i < m; i++) {
      e[i * m + i] = 1f;
    }
    return e;
  }

  static float[] toFloat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }
}
