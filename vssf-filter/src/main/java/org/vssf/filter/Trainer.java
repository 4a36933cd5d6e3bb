package org.vssf.filter;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.vssf.autodiff.Tensor;
import org.vssf.nn.Adam;
import org.vssf.nn.BatchNorm;
import org.vssf.nn.Checkpoints;
import org.vssf.nn.LearningRate;
import org.vssf.nn.Module;
import org.vssf.nn.io.AtomicFiles;

/**
 * Trains an L-VSSF model by maximising the Monte-Carlo ELBO with AdamW: first a decoder-only
 * pre-training phase (other parameters frozen), then the optimiser is reset and everything trains.
 * Each step draws its data and noise from {@code SplittableRandom(mix(seed, step))}, so a run
 * resumed from a checkpoint (weights, buffers, optimiser state and step, written atomically every
 * {@code checkpointEvery} steps) continues bitwise-identically. A non-finite loss or gradient stops
 * training with {@link TrainingDivergedException}; the last good checkpoint stays on disk.
 */
public final class Trainer {
  /** Checkpoint file name inside the run directory. */
  public static final String CHECKPOINT = "checkpoint.safetensors";
  /** Metrics file name inside the run directory. */
  public static final String METRICS = "metrics.csv";
  /** Sign-check log inside the run directory (see {@link Config#signCheckEvery}). */
  public static final String SIGN_CHECKS = "sign-checks.csv";
  private static final String METRICS_HEADER = "step,loss,elbo,kl,recon,grad_norm";
  private static final String SIGN_CHECKS_HEADER = "step,elbo,elbo_mirrored,t,signs,mirrored";
  /** A reflection is kept when its per-sequence ELBO gain has a paired t statistic above this. */
  private static final double SIGN_CHECK_T = 2.0;
  private static final long SIGN_CHECK_SALT = 0x5DEECE66DL;
  /** Centring log inside the run directory (see {@link Config#centreEvery}). */
  public static final String CENTRE_CHECKS = "centre-checks.csv";
  private static final String CENTRE_CHECKS_HEADER = "step,sequences,z1_mean,residual_mean,shift,offset";
  private static final long CENTRE_SALT = 0x2545F4914F6CDD1DL;

  /** Training settings (defaults from the reference setup where it gives them). */
  public static final class Config {
    /** Total optimiser steps, pre-training included. */
    public int steps = 1000;
    /** Decoder-only steps at the start (reference: 500). */
    public int pretrainSteps = 500;
    /** AdamW learning rate (reference: 1e-3). */
    public float learningRate = 1e-3f;
    /** Decoupled weight decay. */
    public float weightDecay = 1e-4f;
    /** KL weight β. */
    public float beta = 1f;
    /** Backward samples S per sequence (reference: 1024). */
    public int samples = 64;
    /** Global gradient-norm clip, 0 for none. */
    public float maxGradNorm = 0f;
    /** Probability of hiding each sensor from the filter for a whole sequence (beyond the paper). */
    public float sensorDropout = 0f;
    /**
     * Probability of hiding every sensor but the image sensors (the labels of a linear sensor) from
     * the filter for a whole sequence, so that share of the sequences trains the images-only
     * filter that runs after training; the reconstruction term still scores every sensor. With
     * every state component labelled the posterior otherwise needs no images and the encoder gets
     * little of the ELBO's gradient (beyond the paper; docs/results.md, "Label dropout"; 0 = off).
     */
    public float labelDropout = 0f;
    /**
     * The last this many of {@code steps} train with every batch norm in evaluation mode (running
     * statistics, no longer updated), so the ELBO fits the deterministic encoder that filters after
     * training rather than the batch-statistics one (beyond the paper; 0 = off).
     */
    public int frozenNormSteps = 0;
    /**
     * Every this many steps after the pre-training, the mean ELBO of one batch is compared with
     * that of the model moved z → Pz for each symmetry P of the uncontrolled dynamics ({@link
     * LinearGaussianDynamics#latentSymmetries()}: −I, per-axis flips where A couples no axes, and
     * signed permutations of axes the dynamics treat alike, such as the block world's x and y),
     * applied to every image sensor ({@link ImageSensor#latentPermutation(int[], float[])}; only
     * reflections with per-image precision); the best trains on when its per-sequence gain has a
     * paired t statistic above 2, so noise-level differences never move the latent back and forth.
     * Each is an exact reparametrisation of the image model that only the controls (B u) and the
     * other sensors tell apart, so gradient descent cannot cross from a latent of the wrong signs
     * or axes to the right ones; an unsupervised latent otherwise keeps whichever its first steps
     * gave it (beyond the paper; 0 = off). Each check is logged to {@value #SIGN_CHECKS}.
     */
    public int signCheckEvery = 0;
    /**
     * Every this many steps after the pre-training, the latent is moved by the constant δ that best
     * fits the model's own prior and dynamics to its posterior: with m̄ the mean posterior z₁ and
     * r̄ the mean residual z_{t+1} − A z_t − B u_t over every training sequence once (in batches
     * of a training step's size; or, when the data cannot be enumerated, over {@link
     * #centreSequences} sequences of drawn batches), δ minimises
     * {@code ½(m̄+δ)ᵀΣz⁻¹(m̄+δ) + ½(T−1)(r̄+(I−A)δ)ᵀΣw⁻¹(r̄+(I−A)δ)}, the prior and transition
     * terms of the ELBO with the posterior moved by δ. Each image sensor applies it exactly
     * ({@link ImageSensor#latentShift(double[])}; it needs {@link ImageSensor#withLatentOffset()}).
     * Where A − I is nearly singular, a constant shift costs the dynamics almost nothing and the
     * prior's pull on z₁ is far below the noise of a gradient step, so the latent's origin
     * otherwise stays wherever training leaves it (beyond the paper; 0 = off). Between checks it
     * drifts freely, so one more check comes before the last step. Each check is logged to {@value
     * #CENTRE_CHECKS}.
     */
    public int centreEvery = 0;
    /**
     * Factor on the learning rate of the learned dynamics ψ (every parameter under {@code
     * dynamics.}: A, B and a learned process noise): below 1 the latent's encoder and decoder
     * settle faster than the dynamics that are fitted to them (beyond the paper; 1 = one learning
     * rate for all; another value needs learned dynamics).
     */
    public float dynamicsRateFactor = 1f;
    /** Sequences averaged by each centring check when the data cannot be enumerated (see {@link #centreEvery}). */
    public int centreSequences = 2048;
    /** Steps between metric lines. */
    public int logEvery = 50;
    /** Steps between checkpoints. */
    public int checkpointEvery = 500;
    /** Seed of all randomness. */
    public long seed = 0;
  }

  /** One training batch: per-sensor observations and masks, and controls (or {@code null}). */
  public static final class Batch {
    final List<Tensor> observations;
    final List<Tensor> masks;
    final Tensor controls;

    /** A batch; masks may be {@code null} (all present). */
    public Batch(List<Tensor> observations, List<Tensor> masks, Tensor controls) {
      this.observations = observations;
      this.masks = masks;
      this.controls = controls;
    }

    /** Per-sensor observations {@code [B, T, ...]}. */
    public List<Tensor> observations() {
      return observations;
    }

    /** Per-sensor masks {@code [B, T]}, or {@code null} (all present). */
    public List<Tensor> masks() {
      return masks;
    }

    /** Controls {@code [B, T−1, p]}, or {@code null}. */
    public Tensor controls() {
      return controls;
    }
  }

  /** The training data: a batch for a step, drawn only from the given random source. */
  @FunctionalInterface
  public interface Data {
    /** The batch of step {@code step}. */
    Batch batch(long step, SplittableRandom rng);

    /**
     * The number of sequences when the data can be enumerated ({@link #sequences(int[])}), so a
     * centring check averages every sequence once; −1 (the default): checks draw batches instead.
     */
    default int size() {
      return -1;
    }

    /** Sequences {@code idx} (each in {@code 0..size()−1}) as one batch. */
    default Batch sequences(int[] idx) {
      throw new UnsupportedOperationException("this training data cannot be enumerated");
    }
  }

  /** Training stopped on a non-finite loss or gradient. */
  public static final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TrainingDivergedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Called after every optimiser step (e.g. to draw a progress bar). */
  @FunctionalInterface
  public interface Progress {
    /** Step {@code done} of {@code total} finished with training loss {@code loss}. */
    void step(long done, long total, float loss);
  }

  /** Name of the dynamics module in the trained model (its parameters are {@code dynamics.*}). */
  private static final String DYNAMICS = "dynamics";
  private final LinearGaussianDynamics dynamics;
  private final List<Sensor> sensors;
  private final Module model;
  private final Config config;
  private final Path runDir;
  private Progress progress = (done, total, loss) -> { };

  /**
   * @param dynamics the latent dynamics (its learned parameters train)
   * @param sensors the sensors; those that are {@link Module}s contribute parameters
   * @param config settings (copied)
   * @param runDir directory for the checkpoint and metrics (created if missing)
   */
  public Trainer(LinearGaussianDynamics dynamics, List<Sensor> sensors, Config config, Path runDir) {
    this.dynamics = dynamics;
    this.sensors = List.copyOf(sensors);
    this.config = config;
    this.runDir = runDir;
    this.model = new ModelModule(dynamics, this.sensors);
  }

  /** Reports every finished step to {@code listener}; returns {@code this}. */
  public Trainer onProgress(Progress listener) {
    this.progress = java.util.Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * Loads the weights (and batch-norm statistics) of the checkpoint in {@code runDir} into a model
   * built with the same architecture as the one trained; returns the checkpoint's metadata.
   *
   * @throws org.vssf.nn.ModelMismatchException listing every tensor that does not fit
   */
  public static Map<String, String> loadModel(Path runDir, LinearGaussianDynamics dynamics, List<Sensor> sensors)
      throws IOException {
    Path ckpt = runDir.resolve(CHECKPOINT);
    if (!Files.isRegularFile(ckpt)) {
      throw new java.io.FileNotFoundException("no checkpoint in " + runDir + " (expected " + ckpt + ")");
    }
    return Checkpoints.load(ckpt, new ModelModule(dynamics, List.copyOf(sensors)), null);
  }

  /** Dynamics and sensor modules under one root, for optimiser groups and checkpoints. */
  private static final class ModelModule extends Module {
    ModelModule(LinearGaussianDynamics dynamics, List<Sensor> sensors) {
      registerModule(DYNAMICS, dynamics);
      for (int j = 0; j < sensors.size(); j++) {
        if (sensors.get(j) instanceof Module) {
          registerModule("sensor" + j, (Module) sensors.get(j));
        }
      }
    }

    @Override
    public Tensor forward(Tensor x) {
      throw new UnsupportedOperationException("the model root has no forward(x)");
    }
  }

  /** The parameters trained in the pre-training phase: every image sensor's decoder. */
  private Map<String, Tensor> decoderParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
      if (e.getKey().contains(".decoder.")) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  private static long mix(long seed, long step) {
    long z = seed * 0x9E3779B97F4A7C15L + step;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Trains up to {@code config.steps}, resuming from the run directory's checkpoint when one
   * exists. Returns the final step count.
   */
  public long train(Data data) throws IOException {
    if (!(config.dynamicsRateFactor > 0) || !Float.isFinite(config.dynamicsRateFactor)) {
      throw new IllegalArgumentException("dynamicsRateFactor must be finite and > 0, got " + config.dynamicsRateFactor);
    }
    Map<String, Tensor> decoder = decoderParameters();
    Map<String, Tensor> rest = new LinkedHashMap<>(model.namedParameters());
    rest.keySet().removeAll(decoder.keySet());
    List<Adam.Group> groups = new ArrayList<>();
    groups.add(new Adam.Group("decoder", decoder, config.weightDecay));
    if (config.dynamicsRateFactor != 1f) {
      // Only split when asked: the same groups in the same order keep earlier runs bitwise identical.
      Map<String, Tensor> psi = new LinkedHashMap<>();
      for (Map.Entry<String, Tensor> e : rest.entrySet()) {
        if (e.getKey().startsWith(DYNAMICS + ".")) {
          psi.put(e.getKey(), e.getValue());
        }
      }
      if (psi.isEmpty()) {
        throw new IllegalArgumentException("dynamicsRateFactor " + config.dynamicsRateFactor
            + " needs learned dynamics; this model's A and B are fixed");
      }
      rest.keySet().removeAll(psi.keySet());
      groups.add(new Adam.Group("dynamics", psi, config.weightDecay).rateFactor(config.dynamicsRateFactor));
    }
    groups.add(new Adam.Group("rest", rest, config.weightDecay));
    List<Adam.Group> restGroups = groups.subList(1, groups.size());
    Files.createDirectories(runDir);
    Adam adam = new Adam(groups, LearningRate.constant(config.learningRate),
        0.9f, 0.999f, 1e-8f, config.maxGradNorm);
    long step = 0;
    Path ckpt = runDir.resolve(CHECKPOINT);
    if (Files.exists(ckpt)) {
      Map<String, String> meta = Checkpoints.load(ckpt, model, adam);
      step = Long.parseLong(meta.get("trainer.step"));
    }
    List<String> metrics = readLog(METRICS, METRICS_HEADER, step);
    boolean pretrain = !decoder.isEmpty() && config.pretrainSteps > 0;
    for (Adam.Group g : restGroups) {
      g.frozen(pretrain && step < config.pretrainSteps);
    }
    if (config.frozenNormSteps < 0 || config.frozenNormSteps >= Math.max(1, config.steps)) {
      throw new IllegalArgumentException("frozenNormSteps must be in 0.." + (config.steps - 1) + ", got "
          + config.frozenNormSteps);
    }
    long freezeFrom = config.frozenNormSteps > 0 ? config.steps - config.frozenNormSteps : Long.MAX_VALUE;
    if (config.signCheckEvery < 0) {
      throw new IllegalArgumentException("signCheckEvery must be >= 0, got " + config.signCheckEvery);
    }
    if (config.signCheckEvery > 0 && sensors.stream().noneMatch(x -> x instanceof ImageSensor)) {
      throw new IllegalArgumentException("signCheckEvery needs an image sensor to mirror; the model has none");
    }
    if (config.centreEvery < 0 || config.centreSequences < 1) {
      throw new IllegalArgumentException("centreEvery must be >= 0 and centreSequences >= 1, got "
          + config.centreEvery + " and " + config.centreSequences);
    }
    if (config.centreEvery > 0 && offsetSensors().isEmpty()) {
      throw new IllegalArgumentException("centreEvery needs an image sensor with a latent offset"
          + " (ImageSensor.withLatentOffset()); the model has none");
    }
    long checksFrom = pretrain ? config.pretrainSteps : 0;
    List<String> signChecks = config.signCheckEvery > 0
        ? readLog(SIGN_CHECKS, SIGN_CHECKS_HEADER, step - 1) : null;
    List<String> centreChecks = config.centreEvery > 0
        ? readLog(CENTRE_CHECKS, CENTRE_CHECKS_HEADER, step - 1) : null;
    List<BatchNorm> norms = BatchNorm.all(model);
    List<Boolean> normModes = new ArrayList<>();
    for (BatchNorm bn : norms) {
      normModes.add(bn.isTraining());
    }
    long start = step;
    try {
      for (; step < config.steps; step++) {
        if (step == Math.max(freezeFrom, start)) {
          // Keyed on the step, so a resumed run freezes exactly where an unbroken one does.
          for (BatchNorm bn : norms) {
            bn.train(false);
          }
        }
        if (signChecks != null && step > checksFrom && (step - checksFrom) % config.signCheckEvery == 0) {
          signCheck(data, adam, signChecks, step);
        }
        // Also before the last step: the origin drifts between checks, and the last check sets it.
        if (centreChecks != null && step > checksFrom
            && ((step - checksFrom) % config.centreEvery == 0 || step == config.steps - 1)) {
          centreCheck(data, centreChecks, step);
        }
        step(data, adam, restGroups, pretrain, metrics, ckpt, step);
      }
    } finally {
      for (int i = 0; i < norms.size(); i++) {
        norms.get(i).train(normModes.get(i));
      }
    }
    return step;
  }

  /** One optimiser step: draws the step's batch and noise, updates, logs and checkpoints. */
  private void step(Data data, Adam adam, List<Adam.Group> restGroups, boolean pretrain, List<String> metrics, Path ckpt,
      long step) throws IOException {
    if (pretrain && step == config.pretrainSteps) {
      // As the reference: a fresh optimiser after pre-training. Keyed on the step, so a run
      // resumed from a checkpoint written at this boundary resets exactly like an unbroken one.
      for (Adam.Group g : restGroups) {
        g.frozen(false);
      }
      adam.reset();
    }
    SplittableRandom rng = new SplittableRandom(mix(config.seed, step));
    Batch batch = data.batch(step, rng.split());
    SplittableRandom noise = rng.split();
    List<Tensor> filterMasks = filterMasks(sensors, batch, config.sensorDropout, config.labelDropout, noise);
    model.zeroGrad();
    Elbo.Terms terms;
    try {
      BackwardSampler.Samples s = FusedPosterior.sample(dynamics, sensors, batch.observations, filterMasks,
          batch.controls, config.samples, noise);
      terms = Elbo.compute(dynamics, sensors, batch.observations, batch.masks, batch.controls, s, config.beta);
      float loss = terms.loss.item();
      if (!Float.isFinite(loss)) {
        throw new ArithmeticException("loss is " + loss);
      }
      terms.loss.backward();
      adam.update();
    } catch (ArithmeticException e) {
      org.vssf.autodiff.Tape.clear();
      throw new TrainingDivergedException("training stopped at step " + step + ": " + e.getMessage()
          + "; the last good checkpoint is " + (Files.exists(ckpt) ? ckpt : "not written yet"), e);
    }
    long done = step + 1;
    progress.step(done, config.steps, terms.loss.item());
    if (done % config.logEvery == 0 || done == config.steps) {
      metrics.add(String.format(Locale.ROOT, "%d,%.6g,%.6g,%.6g,%.6g,%.6g", done, terms.loss.item(),
          mean(terms.elbo), mean(terms.kl), mean(terms.recon), adam.lastGradNorm()));
      writeLog(METRICS, metrics);
    }
    if (done % config.checkpointEvery == 0 || done == config.steps) {
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("trainer.step", Long.toString(done));
      Checkpoints.save(ckpt, model, adam, meta);
    }
  }

  /**
   * Compares the ELBOs of one batch (its own data and noise; a reflection's noise reflected with
   * it, so a reflection the data cannot tell apart scores the same to rounding) under the model
   * and under each symmetry z → Pz of {@link LinearGaussianDynamics#latentSymmetries()} applied to
   * every image sensor; keeps the best when it clearly beats the model (its Adam moments moved
   * with it), otherwise restores the model bitwise. Batch-norm statistics are restored either way,
   * so a check changes nothing but the latent's signs and axes.
   */
  private void signCheck(Data data, Adam adam, List<String> log, long step) throws IOException {
    SplittableRandom rng = new SplittableRandom(mix(config.seed ^ SIGN_CHECK_SALT, step));
    Batch batch = data.batch(step, rng.split());
    long noiseSeed = rng.nextLong();
    Map<String, float[]> saved = saveBuffers();
    List<LinearGaussianDynamics.Symmetry> candidates = new ArrayList<>();
    boolean perImage = sensors.stream()
        .anyMatch(x -> x instanceof ImageSensor && ((ImageSensor) x).perImagePrecision());
    try (org.vssf.autodiff.Tape.Scope noGrad = org.vssf.autodiff.Tape.noGrad()) {
      for (LinearGaussianDynamics.Symmetry c : dynamics.latentSymmetries()) {
        if (c.diagonal() || !perImage) { // per-image precision expresses only reflections
          candidates.add(c);
        }
      }
    }
    float[] original = sequenceElbos(batch, new SplittableRandom(noiseSeed), null);
    double best = Double.NEGATIVE_INFINITY;
    double bestT = Double.NaN;
    LinearGaussianDynamics.Symmetry bestMove = candidates.get(0);
    for (LinearGaussianDynamics.Symmetry c : candidates) {
      Map<Tensor, ImageSensor.Gather> g = permutation(c);
      Map<Tensor, float[]> before = new java.util.IdentityHashMap<>();
      for (Tensor t : g.keySet()) {
        before.put(t, t.data().clone());
      }
      g.forEach((t, gather) -> gather.apply(t));
      // A reflection is scored on the reflected samples (the same to rounding when the data cannot
      // tell it apart); a permutation's samples cannot be permuted, so it gets the common noise.
      float[] e = sequenceElbos(batch, new SplittableRandom(noiseSeed), c.diagonal() ? c.sign : null);
      before.forEach((t, v) -> System.arraycopy(v, 0, t.data(), 0, v.length));
      if (mean(e) > best) { // a non-finite ELBO never wins
        best = mean(e);
        bestMove = c;
        bestT = pairedT(e, original);
      }
    }
    restoreBuffers(saved);
    double originalMean = mean(original);
    if (!Double.isFinite(originalMean)) {
      throw new TrainingDivergedException("sign check at step " + step + ": the ELBO is " + originalMean
          + "; the last good checkpoint is " + runDir.resolve(CHECKPOINT), null);
    }
    // Kept only when the gain is clear of the Monte-Carlo noise: a coin-flip decision would undo
    // and redo reflections that the data cannot tell apart.
    boolean keepMirror = best - originalMean > 1e-6 * Math.abs(originalMean) && bestT > SIGN_CHECK_T;
    if (keepMirror) {
      Map<Tensor, ImageSensor.Gather> g = permutation(bestMove);
      Map<Tensor, String> names = new java.util.IdentityHashMap<>();
      for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
        names.put(e.getValue(), e.getKey());
      }
      for (Map.Entry<Tensor, ImageSensor.Gather> e : g.entrySet()) {
        e.getValue().apply(e.getKey());
        String name = names.get(e.getKey());
        if (name != null) { // a latent offset is a buffer: no moments
          adam.permuteMoments(name, e.getValue().index, e.getValue().factor);
        }
      }
    }
    log.add(String.format(Locale.ROOT, "%d,%.9g,%.9g,%.4g,%s,%d", step, originalMean, best, bestT, bestMove,
        keepMirror ? 1 : 0));
    writeLog(SIGN_CHECKS, log);
  }

  /** The reparametrisation z → Pz of every image sensor. */
  private Map<Tensor, ImageSensor.Gather> permutation(LinearGaussianDynamics.Symmetry p) {
    Map<Tensor, ImageSensor.Gather> out = new LinkedHashMap<>();
    for (Sensor x : sensors) {
      if (x instanceof ImageSensor) {
        out.putAll(((ImageSensor) x).latentPermutation(p.source, p.sign));
      }
    }
    return out;
  }

  /** Copies of every buffer, by name (the checks' forward passes move batch-norm statistics). */
  private Map<String, float[]> saveBuffers() {
    Map<String, float[]> saved = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) {
      saved.put(e.getKey(), e.getValue().data().clone());
    }
    return saved;
  }

  /**
   * Restores buffers by name into the current tensors: batch norm replaces its running-statistics
   * tensors as it updates them, so the saved ones are copied into fresh tensors no op has read.
   */
  private void restoreBuffers(Map<String, float[]> saved) {
    for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) {
      float[] v = saved.get(e.getKey());
      System.arraycopy(v, 0, e.getValue().data(), 0, v.length);
    }
  }

  /** The image sensors that carry a latent offset. */
  private List<ImageSensor> offsetSensors() {
    List<ImageSensor> out = new ArrayList<>();
    for (Sensor x : sensors) {
      if (x instanceof ImageSensor && ((ImageSensor) x).latentOffset() != null) {
        out.add((ImageSensor) x);
      }
    }
    return out;
  }

  /**
   * One centring check ({@link Config#centreEvery}): averages the posterior's z₁ and transition
   * residuals over every training sequence (or batches drawn from a source keyed on the step), with
   * noise keyed on the step (so a resumed run checks exactly like an unbroken one), restores the
   * batch-norm statistics those passes moved, and shifts every offset-carrying image sensor by the
   * δ that fits the prior and dynamics best.
   */
  private void centreCheck(Data data, List<String> log, long step) throws IOException {
    SplittableRandom rng = new SplittableRandom(mix(config.seed ^ CENTRE_SALT, step));
    Map<String, float[]> saved = saveBuffers();
    int m = dynamics.latentSize();
    int p = dynamics.controlSize();
    double[] z1 = new double[m];
    double[] resid = new double[m];
    long sequences = 0;
    long transitions = 0;
    float[] a;
    float[] bm;
    double[] priorCov = new double[m * m];
    double[] processCov = new double[m * m];
    try (org.vssf.autodiff.Tape.Scope noGrad = org.vssf.autodiff.Tape.noGrad()) {
      a = dynamics.dynamicsMatrix().data().clone();
      bm = p == 0 ? null : dynamics.controlMatrix().data().clone();
      float[] sz = dynamics.initialCov().data();
      float[] sw = dynamics.processCov().data();
      for (int i = 0; i < m * m; i++) {
        priorCov[i] = sz[i];
        processCov[i] = sw[i];
      }
      int total = data.size();
      int per = total > 0 ? data.batch(step, rng.split()).observations.get(0).dim(0) : 0;
      for (int from = 0; total > 0 ? from < total : sequences < config.centreSequences; from += per) {
        Batch batch;
        if (total > 0) {
          int[] idx = new int[Math.min(per, total - from)];
          for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
          }
          batch = data.sequences(idx);
        } else {
          batch = data.batch(step, rng.split());
        }
        BackwardSampler.Samples s = FusedPosterior.sample(dynamics, sensors, batch.observations, batch.masks,
            batch.controls, config.samples, rng.split());
        int steps = s.steps();
        float[][] z = new float[steps][];
        for (int t = 0; t < steps; t++) {
          z[t] = s.latent(t).data(); // [B, m, S]
        }
        int b = z[0].length / (m * config.samples);
        int samples = config.samples;
        float[] u = batch.controls == null ? null : batch.controls.data(); // [B, T−1, p]
        for (int n = 0; n < b; n++) {
          for (int i = 0; i < m; i++) {
            for (int k = 0; k < samples; k++) {
              z1[i] += z[0][(n * m + i) * samples + k] / (double) samples;
            }
          }
          for (int t = 0; t + 1 < steps; t++) {
            for (int k = 0; k < samples; k++) {
              for (int i = 0; i < m; i++) {
                double r = z[t + 1][(n * m + i) * samples + k];
                for (int j = 0; j < m; j++) {
                  r -= a[i * m + j] * z[t][(n * m + j) * samples + k];
                }
                for (int j = 0; u != null && bm != null && j < p; j++) {
                  r -= bm[i * p + j] * u[(n * (steps - 1) + t) * p + j];
                }
                resid[i] += r / samples;
              }
            }
          }
          transitions += steps - 1;
        }
        sequences += b;
      }
    }
    restoreBuffers(saved);
    for (int i = 0; i < m; i++) {
      z1[i] /= sequences;
      resid[i] /= Math.max(1, transitions);
    }
    double[] delta = centringShift(a, priorCov, processCov, z1, resid, transitions / (double) sequences, m);
    for (ImageSensor x : offsetSensors()) {
      x.latentShift(delta);
    }
    log.add(String.format(Locale.ROOT, "%d,%d,%s,%s,%s,%s", step, sequences, joined(z1), joined(resid),
        joined(delta), joined(offsetSensors().get(0).latentOffset().data())));
    writeLog(CENTRE_CHECKS, log);
  }

  /**
   * The δ minimising {@code ½(m̄+δ)ᵀΣz⁻¹(m̄+δ) + ½k(r̄+(I−A)δ)ᵀΣw⁻¹(r̄+(I−A)δ)}: the solution of
   * {@code (Σz⁻¹ + k DᵀΣw⁻¹D) δ = −(Σz⁻¹m̄ + k DᵀΣw⁻¹r̄)} with D = I − A, by Cholesky solves.
   */
  static double[] centringShift(float[] a, double[] priorCov, double[] processCov, double[] z1, double[] resid,
      double k, int m) {
    double[] lz = new double[m * m];
    double[] lw = new double[m * m];
    SmallDense.cholesky("prior covariance Σz", 0, priorCov, lz, m);
    SmallDense.cholesky("process covariance Σw", 0, processCov, lw, m);
    double[] d = new double[m * m]; // I − A
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        d[i * m + j] = (i == j ? 1 : 0) - a[i * m + j];
      }
    }
    double[] wd = d.clone(); // Σw⁻¹ D
    double[] h = new double[m * m]; // Σz⁻¹ (columns of I solved)
    for (int i = 0; i < m; i++) {
      h[i * m + i] = 1;
    }
    for (int c = 0; c < m; c++) {
      SmallDense.solveColumn(lw, wd, c, m);
      SmallDense.solveColumn(lz, h, c, m);
    }
    double[] g = z1.clone();
    SmallDense.solve(lz, g, m); // Σz⁻¹ m̄
    double[] wr = resid.clone();
    SmallDense.solve(lw, wr, m); // Σw⁻¹ r̄
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int q = 0; q < m; q++) {
          s += d[q * m + i] * wd[q * m + j];
        }
        h[i * m + j] += k * s;
      }
      double s = 0;
      for (int q = 0; q < m; q++) {
        s += d[q * m + i] * wr[q];
      }
      g[i] += k * s;
    }
    for (int i = 0; i < m; i++) { // symmetrise rounding before the factorisation
      for (int j = 0; j < i; j++) {
        double v = 0.5 * (h[i * m + j] + h[j * m + i]);
        h[i * m + j] = v;
        h[j * m + i] = v;
      }
    }
    double[] lh = new double[m * m];
    SmallDense.cholesky("centring Hessian Σz⁻¹ + k(I−A)ᵀΣw⁻¹(I−A)", 0, h, lh, m);
    SmallDense.solve(lh, g, m);
    for (int i = 0; i < m; i++) {
      g[i] = -g[i];
    }
    return g;
  }

  private static String joined(double[] v) {
    StringBuilder sb = new StringBuilder();
    for (double x : v) {
      sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.6g", x));
    }
    return sb.toString();
  }

  private static String joined(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return joined(d);
  }

  /** The batch's per-sequence ELBOs without gradient, the filter seeing every present observation. */
  private float[] sequenceElbos(Batch batch, SplittableRandom noise, float[] noiseSigns) {
    try (org.vssf.autodiff.Tape.Scope noGrad = org.vssf.autodiff.Tape.noGrad()) {
      BackwardSampler.Samples s = FusedPosterior.sample(dynamics, sensors, batch.observations, batch.masks,
          batch.controls, config.samples, noise, noiseSigns);
      return Elbo.compute(dynamics, sensors, batch.observations, batch.masks, batch.controls, s, config.beta)
          .elbo.data().clone();
    }
  }

  private static double mean(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x;
    }
    return s / Math.max(1, v.length);
  }

  /** Paired t statistic of a − b (same sequences, same noise); +∞ when they differ by a constant gain. */
  static double pairedT(float[] a, float[] b) {
    int n = a.length;
    double mean = 0;
    for (int i = 0; i < n; i++) {
      mean += (double) a[i] - b[i];
    }
    mean /= n;
    double ss = 0;
    for (int i = 0; i < n; i++) {
      double d = (double) a[i] - b[i] - mean;
      ss += d * d;
    }
    double se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : Double.POSITIVE_INFINITY;
    return se > 0 ? mean / se : mean > 0 ? Double.POSITIVE_INFINITY : mean < 0 ? Double.NEGATIVE_INFINITY : 0;
  }

  /**
   * The filter's masks: each sensor hidden for a whole sequence with probability {@code
   * sensorDropout}, then every non-image sensor of a sequence hidden together with probability
   * {@code labelDropout}; entries already missing stay missing. Draws nothing when both are 0.
   */
  static List<Tensor> filterMasks(List<Sensor> sensors, Batch batch, float sensorDropout, float labelDropout,
      SplittableRandom rng) {
    if (sensorDropout <= 0 && labelDropout <= 0) {
      return batch.masks;
    }
    int b = batch.observations.get(0).dim(0);
    int t = batch.observations.get(0).dim(1);
    boolean[][] hidden = new boolean[batch.observations.size()][b];
    if (sensorDropout > 0) {
      for (int j = 0; j < hidden.length; j++) {
        for (int s = 0; s < b; s++) {
          hidden[j][s] = rng.nextDouble() < sensorDropout;
        }
      }
    }
    if (labelDropout > 0) {
      for (int s = 0; s < b; s++) {
        if (rng.nextDouble() < labelDropout) {
          for (int j = 0; j < hidden.length; j++) {
            hidden[j][s] |= !(sensors.get(j) instanceof ImageSensor);
          }
        }
      }
    }
    List<Tensor> out = new ArrayList<>();
    for (int j = 0; j < hidden.length; j++) {
      float[] m = batch.masks == null || batch.masks.get(j) == null ? null : batch.masks.get(j).data();
      float[] keep = new float[b * t];
      for (int s = 0; s < b; s++) {
        for (int k = 0; k < t; k++) {
          keep[s * t + k] = hidden[j][s] ? 0f : (m == null ? 1f : m[s * t + k]);
        }
      }
      out.add(Tensor.wrap(keep, b, t));
    }
    return out;
  }

  private static double mean(Tensor t) {
    return mean(t.data());
  }

  /** The rows of log {@code file} up to step {@code upToStep} (later rows are recomputed on resume). */
  private List<String> readLog(String file, String header, long upToStep) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(header);
    Path f = runDir.resolve(file);
    if (Files.exists(f)) {
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        int comma = line.indexOf(',');
        if (comma > 0 && Character.isDigit(line.charAt(0)) && Long.parseLong(line.substring(0, comma)) <= upToStep) {
          lines.add(line);
        }
      }
    }
    return lines;
  }

  private void writeLog(String file, List<String> lines) throws IOException {
    AtomicFiles.write(runDir.resolve(file), out -> {
      BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
      for (String l : lines) {
        w.write(l);
        w.write('\n');
      }
      w.flush();
    });
  }
}
