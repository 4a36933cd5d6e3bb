package org.vssf.filter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;
import org.vssf.nn.Dcgan;
import org.vssf.nn.Linear;
import org.vssf.nn.Module;
import org.vssf.nn.Sequential;

/**
 * The image sensor of L-VSSF (MATH.md "Image sensor"): a DCGAN encoder gives the Gaussian factor
 * {@code μ(x) = 10·tanh(encoder(x))} (+ c, an optional latent offset: {@link #withLatentOffset()}),
 * {@code Λx = (L Lᵀ + ε I)⁻¹} with a learned m×m matrix L
 * (positive definite by construction, the same for every frame), {@code ηx = Λx μ(x)}; a DCGAN
 * decoder gives the likelihood {@code log N(x; ν(z), σ² I)} on pixels in [-1, 1]. Optionally the
 * gradient flowing from the decoder into each latent sample is clipped to an L2 norm (identity
 * forward), as the reference does on the pendulum. Images are {@code [B, T, 3, S, S]}; batch norm
 * takes its statistics over batch and time together.
 */
public final class ImageSensor extends Module implements Sensor, StreamingSensor {
  private final int m;
  private final int size;
  private final float minCov;
  private final float sigma;
  private final float clipNorm;
  private final boolean perImagePrecision;
  private final Tensor placement;
  private final Sequential encoder;
  private final Sequential decoder;
  private final Tensor factor;
  private boolean hasOffset; // buffer "offset" [m]: see withLatentOffset()

  /**
   * @param m latent size
   * @param size image side (power of two ≥ 16)
   * @param nf DCGAN filter count
   * @param initL initial L = initL·I (reference: 0.01 pendulum, 0.1 blocks)
   * @param minCov ε (reference: 0.001 pendulum, 0.005 blocks)
   * @param sigma pixel standard deviation of the likelihood (reference: 2)
   * @param clipNorm L2 bound on the decoder's gradient into each latent, or 0 for none (reference: 5
   *     on the pendulum)
   */
  public ImageSensor(int m, int size, int nf, float initL, float minCov, float sigma, float clipNorm,
      SplittableRandom rng) {
    this(m, size, nf, initL, minCov, sigma, clipNorm, false, Dcgan.SLOPE, rng);
  }

  /**
   * As above; with {@code perImagePrecision} (beyond the paper) the encoder also outputs the lower
   * triangle of a per-image {@code L(x)} and {@code Λx(x) = (L(x)L(x)ᵀ + ε I)⁻¹}, positive definite
   * for any output, instead of one learned L shared by all images.
   */
  public ImageSensor(int m, int size, int nf, float initL, float minCov, float sigma, float clipNorm,
      boolean perImagePrecision, SplittableRandom rng) {
    this(m, size, nf, initL, minCov, sigma, clipNorm, perImagePrecision, Dcgan.SLOPE, rng);
  }

  /** As above with the networks' leaky-ReLU slope (1 gives smooth networks for gradient checks). */
  ImageSensor(int m, int size, int nf, float initL, float minCov, float sigma, float clipNorm,
      boolean perImagePrecision, float slope, SplittableRandom rng) {
    if (m < 1 || !(minCov > 0) || !(sigma > 0) || !(clipNorm >= 0)) {
      throw new IllegalArgumentException("ImageSensor: need m >= 1, minCov > 0, sigma > 0, clipNorm >= 0;"
          + " got " + m + ", " + minCov + ", " + sigma + ", " + clipNorm);
    }
    this.m = m;
    this.size = size;
    this.minCov = minCov;
    this.sigma = sigma;
    this.clipNorm = clipNorm;
    int hidden = 4 * m * m;
    this.perImagePrecision = perImagePrecision;
    int tri = m * (m + 1) / 2;
    float[] e = new float[tri * m * m]; // row q places triangle entry q at its (i, j), j ≤ i
    for (int i = 0, q = 0; i < m; i++) {
      for (int j = 0; j <= i; j++, q++) {
        e[q * m * m + i * m + j] = 1f;
      }
    }
    this.placement = Tensor.wrap(e, tri, m * m);
    int out = perImagePrecision ? m + tri : m;
    this.encoder = registerModule("encoder", Dcgan.encoder(size, nf, hidden, out, slope, rng));
    this.decoder = registerModule("decoder", Dcgan.decoder(size, nf, hidden, m, slope, rng));
    float[] l = new float[m * m];
    for (int i = 0; i < m; i++) {
      l[i * m + i] = initL;
    }
    this.factor = registerParameter("L", Tensor.wrap(l, m, m));
  }

  @Override
  public int latentSize() {
    return m;
  }

  /**
   * Adds a latent offset c (a buffer, zero at first, saved with the model) after the encoder's
   * squashing: {@code μ(x) = 10·tanh(encoder(x)) + c} (beyond the paper). It is moved only by
   * {@link #latentShift(double[])}, an exact change of the latent's origin; without it the image
   * model has no exact way to move its latent by a constant. Call before loading weights.
   */
  public ImageSensor withLatentOffset() {
    if (!hasOffset) {
      registerBuffer("offset", Tensor.zeros(m));
      hasOffset = true;
    }
    return this;
  }

  /**
   * The latent offset c, or {@code null} without {@link #withLatentOffset()}. Loading a checkpoint
   * replaces buffer tensors, so this is looked up on every call, never cached.
   */
  public Tensor latentOffset() {
    return hasOffset ? buffer("offset") : null;
  }

  /**
   * The reparametrisation z → z + δ of this sensor: the offset c → c + δ (so μ(x) → μ(x) + δ) and
   * the decoder's first-layer bias b → b − Wᵀδ (it reads z + δ and computes what it computed from
   * z). Λx is unchanged. The shifted sensor explains every shifted latent path exactly as this one
   * explains the original; only the dynamics ((I − A)δ) and the prior's mean tell them apart.
   *
   * @throws IllegalStateException without {@link #withLatentOffset()}
   */
  public void latentShift(double[] delta) {
    if (!hasOffset) {
      throw new IllegalStateException("ImageSensor.latentShift: the sensor has no latent offset;"
          + " build it withLatentOffset()");
    }
    if (delta.length != m) {
      throw new IllegalArgumentException("ImageSensor.latentShift: need " + m + " values, got " + delta.length);
    }
    for (double v : delta) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("ImageSensor.latentShift: shift " + Arrays.toString(delta)
            + " is not finite");
      }
    }
    Linear first = linears(decoder, new ArrayList<>()).get(0);
    if (first.bias() == null) {
      throw new IllegalStateException("ImageSensor.latentShift: the decoder's first layer has no bias");
    }
    float[] w = first.weight().data(); // [m, hidden]
    float[] b = first.bias().data();
    int hidden = b.length;
    for (int j = 0; j < hidden; j++) {
      double s = 0;
      for (int i = 0; i < m; i++) {
        s += w[i * hidden + j] * delta[i];
      }
      b[j] = (float) (b[j] - s);
    }
    float[] c = latentOffset().data();
    for (int i = 0; i < m; i++) {
      c[i] = (float) (c[i] + delta[i]);
    }
  }

  /** The encoder's means μ(x) = 10·tanh(encoder(x)) (+ c), [N, m], of frames [N, 3, S, S]. */
  public Tensor means(Tensor frames) {
    return squash(encoder.forward(frames));
  }

  private Tensor squash(Tensor encoded) {
    Tensor mu = Ops.scale(Ops.tanh(Ops.slice(encoded, 1, 0, m)), 10f);
    return hasOffset ? Ops.add(mu, latentOffset()) : mu;
  }

  /** Whether the encoder also gives each image its own precision Λx(x). */
  public boolean perImagePrecision() {
    return perImagePrecision;
  }

  /** The encoder network (images → pre-tanh mean). */
  public Sequential encoder() {
    return encoder;
  }

  /** The decoder network (latents → images). */
  public Sequential decoder() {
    return decoder;
  }

  /** {@link #latentReflection(float[])} with every sign −1: z → −z. */
  public Map<Tensor, float[]> latentReflection() {
    float[] d = new float[m];
    Arrays.fill(d, -1f);
    return latentReflection(d);
  }

  /**
   * The reparametrisation z → Dz (D = diag(d), d a vector of ±1) of this sensor, as sign factors
   * for the parameters it changes: the encoder's last layer (μ(x) → Dμ(x), since 10·tanh is odd;
   * with per-image precision, L(x) → D L(x)), the shared L (→ DL, so Λx → DΛxD) and the decoder's
   * first layer (it reads Dz). The reflected sensor explains every reflected latent path exactly as
   * this one explains the original; only the dynamics' B u and other sensors can tell them apart
   * when D is one of {@link LinearGaussianDynamics#signSymmetries()}. Multiplying each tensor by its
   * factors applies it, and applying it twice restores the sensor bitwise. With a latent offset
   * the map also holds the offset buffer (c → Dc).
   */
  public Map<Tensor, float[]> latentReflection(float[] d) {
    if (d.length != m) {
      throw new IllegalArgumentException("ImageSensor.latentReflection: need " + m + " signs, got " + d.length);
    }
    int[] identity = new int[m];
    for (int i = 0; i < m; i++) {
      identity[i] = i;
    }
    Map<Tensor, float[]> factors = new LinkedHashMap<>();
    latentPermutation(identity, d).forEach((t, g) -> factors.put(t, g.factor));
    return factors;
  }

  /**
   * One tensor's part of a latent permutation: its new values are {@code factor[k]·old[index[k]]}.
   */
  public static final class Gather {
    /** The old entry each new entry reads. */
    public final int[] index;
    /** The sign each new entry takes. */
    public final float[] factor;

    Gather(int[] index, float[] factor) {
      this.index = index;
      this.factor = factor;
    }

    /** Applies this gather to {@code t}'s values in place. */
    public void apply(Tensor t) {
      float[] v = t.data();
      float[] old = v.clone();
      for (int k = 0; k < v.length; k++) {
        v[k] = factor[k] * old[index[k]];
      }
    }
  }

  /**
   * The reparametrisation z → Pz of this sensor for a signed permutation P, {@code (Pz)_i =
   * sign_i·z_{source_i}} (beyond the paper; a reflection is the case source = identity): the
   * encoder's last layer's columns (μ(x) → Pμ(x), since 10·tanh acts entrywise and is odd), the
   * shared L's rows (L → PL, so Λx → PΛxPᵀ), the decoder's first layer's rows (it reads Pz) and
   * the offset (c → Pc). The new sensor explains every permuted latent path exactly as this one
   * explains the original.
   *
   * @throws IllegalArgumentException if source is not a permutation of 0..m−1, a sign is not ±1,
   *     or P is not diagonal and the sensor has per-image precision (P·L(x) is not lower
   *     triangular, so the encoder cannot express it)
   */
  public Map<Tensor, Gather> latentPermutation(int[] source, float[] sign) {
    if (source.length != m || sign.length != m) {
      throw new IllegalArgumentException("ImageSensor.latentPermutation: need " + m + " sources and signs, got "
          + source.length + " and " + sign.length);
    }
    boolean[] seen = new boolean[m];
    boolean diagonal = true;
    for (int i = 0; i < m; i++) {
      if (source[i] < 0 || source[i] >= m || seen[source[i]] || Math.abs(sign[i]) != 1f) {
        throw new IllegalArgumentException("ImageSensor.latentPermutation: not a signed permutation: "
            + Arrays.toString(source) + " " + Arrays.toString(sign));
      }
      seen[source[i]] = true;
      diagonal &= source[i] == i;
    }
    if (perImagePrecision && !diagonal) {
      throw new IllegalArgumentException("ImageSensor.latentPermutation: with per-image precision only"
          + " reflections can be expressed (P·L(x) is not lower triangular)");
    }
    int out = perImagePrecision ? m + m * (m + 1) / 2 : m;
    int[] column = new int[out]; // the old encoder output each new one reads
    float[] columnSign = new float[out];
    for (int j = 0; j < m; j++) {
      column[j] = source[j];
      columnSign[j] = sign[j];
    }
    for (int i = 0, q = 0; perImagePrecision && i < m; i++) {
      for (int j = 0; j <= i; j++, q++) {
        column[m + q] = m + q;
        columnSign[m + q] = sign[i]; // entry (i, j) of L(x): row i of D L(x)
      }
    }
    Map<Tensor, Gather> gathers = new LinkedHashMap<>();
    List<Linear> encoderLinears = linears(encoder, new ArrayList<>());
    Linear last = encoderLinears.get(encoderLinears.size() - 1);
    Tensor w = last.weight(); // [hidden, out]
    gathers.put(w, columns(w.size() / out, out, column, columnSign));
    if (last.bias() != null) {
      gathers.put(last.bias(), columns(1, out, column, columnSign));
    }
    gathers.put(factor, rows(m, m, source, sign));
    Tensor first = linears(decoder, new ArrayList<>()).get(0).weight(); // [m, hidden]
    gathers.put(first, rows(m, first.dim(1), source, sign));
    if (hasOffset) {
      gathers.put(latentOffset(), rows(m, 1, source, sign)); // c → Pc: a buffer, not a parameter
    }
    return gathers;
  }

  /** Row-major [r, c] with column j ← sign[j]·column src[j]. */
  private static Gather columns(int r, int c, int[] src, float[] sign) {
    int[] index = new int[r * c];
    float[] f = new float[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        index[i * c + j] = i * c + src[j];
        f[i * c + j] = sign[j];
      }
    }
    return new Gather(index, f);
  }

  /** Row-major [r, c] with row i ← sign[i]·row src[i]. */
  private static Gather rows(int r, int c, int[] src, float[] sign) {
    int[] index = new int[r * c];
    float[] f = new float[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        index[i * c + j] = src[i] * c + j;
        f[i * c + j] = sign[i];
      }
    }
    return new Gather(index, f);
  }

  /** The Linear layers under {@code module}, in forward order. */
  private static List<Linear> linears(Module module, List<Linear> out) {
    if (module instanceof Linear) {
      out.add((Linear) module);
    }
    for (Module child : module.children().values()) {
      linears(child, out);
    }
    return out;
  }

  /** Λx = (L Lᵀ + ε I)⁻¹, [m, m]. */
  public Tensor precision() {
    Tensor eye = Tensor.wrap(LinearGaussianDynamics.identity(m), m, m);
    Tensor cov = Ops.add(LinalgOps.matmul(factor, Ops.transpose(factor)), Ops.scale(eye, minCov));
    return LinalgOps.spdSolve(cov.named("L·Lᵀ + minCov·I"), eye);
  }

  @Override
  public Contribution contribution(Tensor images, Tensor mask) {
    int[] s = checkImages(images);
    int bt = s[0] * s[1];
    Tensor frames = Ops.reshape(images, bt, 3, size, size);
    int out = perImagePrecision ? m + m * (m + 1) / 2 : m;
    Tensor encoded;
    if (mask == null) {
      encoded = encoder.forward(frames); // [BT, out]
    } else {
      // Encode only the present frames: placeholders must not enter batch-norm statistics.
      float[] present = mask.data();
      int count = 0;
      for (float v : present) {
        count += v != 0f ? 1 : 0;
      }
      int[] rows = new int[count];
      int[] where = new int[bt]; // row of each frame in [encoded; zero row]
      for (int i = 0, k = 0; i < bt; i++) {
        if (present[i] != 0f) {
          rows[k] = i;
          where[i] = k++;
        } else {
          where[i] = count;
        }
      }
      Tensor enc = count == 0 ? Tensor.zeros(0, out) : encoder.forward(Ops.gatherRows(frames, rows));
      encoded = Ops.gatherRows(Ops.concat(0, enc, Tensor.zeros(1, out)), where);
    }
    Tensor mu = squash(encoded); // [BT, m]
    if (!perImagePrecision) {
      Tensor lambda = precision();
      Tensor info = LinalgOps.matmul(mu, lambda); // rows μᵀΛ = (Λμ)ᵀ, Λ symmetric
      return new Contribution(lambda, Ops.reshape(info, s[0], s[1], m));
    }
    // Per image: L(x) from the triangle outputs, Λx = (L Lᵀ + ε I)⁻¹, ηx = Λx μ.
    Tensor l = Ops.reshape(LinalgOps.matmul(Ops.slice(encoded, 1, m, out), placement), bt, m, m);
    Tensor eye = Tensor.wrap(LinearGaussianDynamics.identity(m), m, m);
    Tensor cov = Ops.add(LinalgOps.matmul(l, Ops.transpose(l)), Ops.scale(eye, minCov));
    Tensor lambda = LinalgOps.spdSolve(cov.named("L(x)·L(x)ᵀ + minCov·I"), InformationFilter.expand(eye, bt));
    Tensor info = LinalgOps.matmul(lambda, Ops.reshape(mu, bt, m, 1)); // [BT, m, 1]
    return new Contribution(Ops.reshape(lambda, s[0], s[1], m, m), Ops.reshape(info, s[0], s[1], m));
  }

  @Override
  public Tensor logLikelihood(Tensor images, Tensor latents) {
    int[] s = checkImages(images);
    int bt = s[0] * s[1];
    Tensor z = clipNorm > 0 ? Ops.clipGradNorm(latents, clipNorm, 2) : latents;
    Tensor recon = decoder.forward(Ops.reshape(z, bt, m)); // [BT, 3, S, S]
    Tensor resid = Ops.sub(Ops.reshape(images, bt, 3 * size * size), Ops.reshape(recon, bt, 3 * size * size));
    Tensor quad = Ops.sum(Ops.square(resid), new int[] {1}, false); // [BT]
    int d = 3 * size * size;
    float constant = (float) (-0.5 * d * Math.log(2 * Math.PI * sigma * sigma));
    Tensor ll = Ops.addScalar(Ops.scale(quad, -0.5f / (sigma * sigma)), constant);
    return Ops.reshape(ll, s[0], s[1]);
  }

  private int[] checkImages(Tensor x) {
    int[] s = x.shape();
    if (s.length != 5 || s[2] != 3 || s[3] != size || s[4] != size) {
      throw new IllegalArgumentException("ImageSensor: images must be [B, T, 3, " + size + ", " + size
          + "], got " + java.util.Arrays.toString(s));
    }
    return s;
  }

  /** One frame: {@code 3·size·size} values (channel-major, like one image of the batch input). */
  @Override
  public int observationSize() {
    return 3 * size * size;
  }

  /**
   * Adds the factor of one frame for {@link OnlineFilter}: encodes it without gradient (the sensor
   * must be in evaluation mode, so batch norm uses its running statistics) and adds Λx and Λx·μ(x).
   * Allocates the encoder's activations.
   */
  @Override
  public void addContribution(float[] x, int off, double[] lambda, double[] eta) {
    if (isTraining()) {
      throw new IllegalStateException("ImageSensor: in training mode; call eval() before filtering online");
    }
    try (org.vssf.autodiff.Tape.Scope noGrad = org.vssf.autodiff.Tape.noGrad()) {
      float[] frame = java.util.Arrays.copyOfRange(x, off, off + observationSize());
      Contribution c = contribution(Tensor.wrap(frame, 1, 1, 3, size, size), null);
      float[] p = c.precision.data();
      float[] e = c.info.data();
      for (int i = 0; i < m * m; i++) {
        lambda[i] += p[i];
      }
      for (int i = 0; i < m; i++) {
        eta[i] += e[i];
      }
    }
  }

  @Override
  public Tensor forward(Tensor images) {
    throw new UnsupportedOperationException("ImageSensor is used through contribution() and"
        + " logLikelihood(), not forward()");
  }
}
