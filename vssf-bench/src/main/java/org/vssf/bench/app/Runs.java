package org.vssf.bench.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.vssf.bench.data.DataSetInfo;
import org.vssf.filter.Trainer;
import org.vssf.nn.io.AtomicFiles;
import org.vssf.nn.io.Json;

/**
 * A run directory: {@code model.json} (the {@link ModelConfig}), {@code config.json} (data and
 * training settings), the trainer's checkpoint and {@code metrics.csv}, and after evaluation {@code
 * metrics.json}. Training resumes from the checkpoint bitwise-identically.
 */
public final class Runs {
  /** Model description file. */
  public static final String MODEL = "model.json";
  /** Training settings file. */
  public static final String CONFIG = "config.json";
  /** Evaluation results file. */
  public static final String METRICS = "metrics.json";

  private Runs() {}

  /** Training settings beyond the model: data, batch and the trainer's config. */
  public static final class Settings {
    public Path data;
    public int batch = 32;
    public Trainer.Config trainer = new Trainer.Config();
  }

  /**
   * Starts a run in {@code run} (which must not hold one) and trains it, or with {@code resume}
   * continues the run stored there (its model and settings; {@code steps}, when positive, extends
   * it). Progress goes to {@code log}.
   */
  public static void train(Path run, ModelConfig model, Settings settings, boolean resume, int steps,
      PrintWriter log) throws IOException {
    train(run, model, settings, resume, steps, log, System.console() != null);
  }

  /** As above; {@code interactive} draws one updating progress line instead of a line per 10 %. */
  public static void train(Path run, ModelConfig model, Settings settings, boolean resume, int steps,
      PrintWriter log, boolean interactive) throws IOException {
    train(run, model, settings, resume, steps, log, interactive, (done, total, loss) -> { });
  }

  /** As above; {@code listener} also hears every finished step. */
  public static void train(Path run, ModelConfig model, Settings settings, boolean resume, int steps,
      PrintWriter log, boolean interactive, Trainer.Progress listener) throws IOException {
    if (resume) {
      if (!Files.isRegularFile(run.resolve(MODEL)) || !Files.isRegularFile(run.resolve(CONFIG))) {
        throw new IOException("--resume: " + run + " holds no run (missing " + MODEL + " or " + CONFIG + ")");
      }
      model = readModel(run);
      settings = readSettings(run);
      if (steps > 0) {
        settings.trainer.steps = steps;
      }
    } else {
      if (Files.exists(run.resolve(MODEL)) || Files.exists(run.resolve(Trainer.CHECKPOINT))) {
        throw new IOException(run + " already holds a run; pass --resume to continue it or choose another --out");
      }
      Files.createDirectories(run);
      writeJson(run.resolve(MODEL), model.toJson());
      writeJson(run.resolve(CONFIG), settingsJson(settings));
    }
    SequenceData data = SequenceData.load(settings.data.resolve("train"), model.supervised(), settings.batch);
    checkCompatible(model, data.info());
    LvssfModel net = new LvssfModel(model, settings.trainer.seed);
    net.train(true);
    Progress progress = new Progress(log, interactive);
    new Trainer(net.dynamics, net.trainingSensors(), settings.trainer, run).onProgress((done, total, loss) -> {
      progress.step(done, total, loss);
      listener.step(done, total, loss);
    }).train(data);
    progress.finish();
  }

  /** Rebuilds the run's model and loads its trained weights. */
  public static LvssfModel load(Path run) throws IOException {
    ModelConfig model = readModel(run);
    Settings settings = readSettings(run);
    LvssfModel net = new LvssfModel(model, settings.trainer.seed);
    Trainer.loadModel(run, net.dynamics, net.trainingSensors());
    return net;
  }

  /** Evaluates the run on {@code data/eval}, writes {@code metrics.json} and returns the metrics. */
  public static Map<String, Object> evaluate(Path run, Path data, int length, boolean withLinear)
      throws IOException {
    LvssfModel net = load(run);
    SequenceData eval = SequenceData.load(data.resolve("eval"), net.config.supervised(), 1);
    checkCompatible(net.config, eval.info());
    int len = length <= 0 ? eval.length() : length;
    Map<String, Object> metrics = Evaluator.evaluate(net, eval, len, withLinear);
    writeJson(run.resolve(METRICS), metrics);
    return metrics;
  }

  /** Throws {@link IllegalArgumentException} when the data do not fit the model (size, m, p). */
  public static void checkCompatible(ModelConfig model, DataSetInfo info) {
    if (info.height() != model.size || info.stateDim() != model.m || info.controlDim() != model.p) {
      throw new IllegalArgumentException("the data (" + info.height() + "x" + info.width() + " images, m="
          + info.stateDim() + ", p=" + info.controlDim() + ") do not fit the model (" + model.size
          + " px, m=" + model.m + ", p=" + model.p + ")");
    }
  }

  /** Deletes {@code dir} and everything below it (children first). */
  static void deleteTree(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      java.util.List<Path> paths = new java.util.ArrayList<>();
      walk.forEach(paths::add);
      for (int i = paths.size() - 1; i >= 0; i--) {
        Files.deleteIfExists(paths.get(i));
      }
    }
  }

  /** {@code h:mm:ss}. */
  public static String clockOf(double seconds) {
    return Progress.clock(seconds);
  }

  /** Settings that do not change what a run learns: where its data lie and how often it logs or saves. */
  private static final java.util.Set<String> BOOKKEEPING = java.util.Set.of("data", "log_every", "checkpoint_every");

  /**
   * How the run stored in {@code run} differs from {@code model} and {@code settings}, one entry per
   * field ("centre_every: 0 in the run, 1000 asked"); empty when the run trains what they describe.
   * The data directory and the logging and checkpoint intervals are not compared: they do not change
   * what the run learns. Fields a run predates read as their defaults (which is how it trained).
   */
  public static List<String> differences(Path run, ModelConfig model, Settings settings) throws IOException {
    List<String> out = new ArrayList<>();
    compare(readModel(run).toJson(), model.toJson(), java.util.Set.of(), out);
    Settings stored = readSettings(run);
    compare(settingsJson(stored), settingsJson(settings), BOOKKEEPING, out);
    // The data path is not compared, but the sequence length it trained on is, where both data
    // sets can still be read (a moved run's old path may not).
    int storedLength = trainLength(stored.data);
    int askedLength = trainLength(settings.data);
    if (storedLength > 0 && askedLength > 0 && storedLength != askedLength) {
      out.add("training sequence length: " + storedLength + " in the run, " + askedLength + " asked");
    }
    return out;
  }

  /** T of the training sequences in {@code data/train}, or 0 when they cannot be read. */
  private static int trainLength(Path data) {
    try {
      return DataSetInfo.read(data.resolve("train")).length();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static void compare(Map<String, Object> stored, Map<String, Object> asked, java.util.Set<String> skip,
      List<String> out) {
    java.util.Set<String> keys = new java.util.LinkedHashSet<>(asked.keySet());
    keys.addAll(stored.keySet());
    for (String key : keys) {
      if (!skip.contains(key) && !java.util.Objects.equals(stored.get(key), asked.get(key))) {
        out.add(key + ": " + Json.write(stored.get(key)) + " in the run, " + Json.write(asked.get(key)) + " asked");
      }
    }
  }

  /**
   * Points the run's {@code config.json} at {@code data} when it names another directory (the run
   * and its data moved together, as a copied reproduction directory does), so that resuming reads
   * the data beside it; the caller has checked that the data are the ones the run trained on.
   */
  public static void relocateData(Path run, Path data) throws IOException {
    Settings settings = readSettings(run);
    Path here = data.toAbsolutePath().normalize();
    if (!settings.data.toAbsolutePath().normalize().equals(here)) {
      settings.data = here;
      writeJson(run.resolve(CONFIG), settingsJson(settings));
    }
  }

  /** The data set directory the run trained on (from {@code config.json}). */
  public static Path dataOf(Path run) throws IOException {
    return readSettings(run).data;
  }

  /** The batch size the run trained with (from {@code config.json}). */
  public static int batchOf(Path run) throws IOException {
    return readSettings(run).batch;
  }

  /** The backward samples S the run trained with (from {@code config.json}). */
  public static int samplesOf(Path run) throws IOException {
    return readSettings(run).trainer.samples;
  }

  /** Reads {@code run/model.json}. */
  public static ModelConfig readModel(Path run) throws IOException {
    return ModelConfig.fromJson(readJson(run.resolve(MODEL)));
  }

  static Settings readSettings(Path run) throws IOException {
    Object json = readJson(run.resolve(CONFIG));
    if (!(json instanceof Map)) {
      throw new IOException(run.resolve(CONFIG) + ": not a JSON object");
    }
    Map<?, ?> o = (Map<?, ?>) json;
    Settings s = new Settings();
    s.data = Path.of(String.valueOf(o.get("data")));
    s.batch = (int) num(o, "batch");
    Trainer.Config t = s.trainer;
    t.steps = (int) num(o, "steps");
    t.pretrainSteps = (int) num(o, "pretrain_steps");
    t.learningRate = (float) num(o, "learning_rate");
    t.weightDecay = (float) num(o, "weight_decay");
    t.beta = (float) num(o, "beta");
    t.samples = (int) num(o, "samples");
    t.maxGradNorm = (float) num(o, "max_grad_norm");
    t.sensorDropout = (float) num(o, "sensor_dropout");
    t.labelDropout = o.containsKey("label_dropout") ? (float) num(o, "label_dropout") : 0f;
    // Absent in runs written before the option existed: those trained without freezing.
    t.frozenNormSteps = o.containsKey("frozen_norm_steps") ? (int) num(o, "frozen_norm_steps") : 0;
    t.signCheckEvery = o.containsKey("sign_check_every") ? (int) num(o, "sign_check_every") : 0;
    t.centreEvery = o.containsKey("centre_every") ? (int) num(o, "centre_every") : 0;
    t.dynamicsRateFactor = o.containsKey("dynamics_rate_factor") ? (float) num(o, "dynamics_rate_factor") : 1f;
    t.logEvery = (int) num(o, "log_every");
    t.checkpointEvery = (int) num(o, "checkpoint_every");
    t.seed = (long) num(o, "seed");
    return s;
  }

  private static double num(Map<?, ?> o, String key) {
    Object v = o.get(key);
    if (!(v instanceof Number)) {
      throw new IllegalArgumentException("config.json: field '" + key + "' must be a number");
    }
    return ((Number) v).doubleValue();
  }

  static Map<String, Object> settingsJson(Settings s) {
    Map<String, Object> o = new LinkedHashMap<>();
    Trainer.Config t = s.trainer;
    o.put("data", s.data.toAbsolutePath().normalize().toString());
    o.put("batch", (long) s.batch);
    o.put("steps", (long) t.steps);
    o.put("pretrain_steps", (long) t.pretrainSteps);
    o.put("learning_rate", decimal(t.learningRate));
    o.put("weight_decay", decimal(t.weightDecay));
    o.put("beta", decimal(t.beta));
    o.put("samples", (long) t.samples);
    o.put("max_grad_norm", decimal(t.maxGradNorm));
    o.put("sensor_dropout", decimal(t.sensorDropout));
    o.put("label_dropout", decimal(t.labelDropout));
    o.put("frozen_norm_steps", (long) t.frozenNormSteps);
    o.put("sign_check_every", (long) t.signCheckEvery);
    o.put("centre_every", (long) t.centreEvery);
    o.put("dynamics_rate_factor", decimal(t.dynamicsRateFactor));
    o.put("log_every", (long) t.logEvery);
    o.put("checkpoint_every", (long) t.checkpointEvery);
    o.put("seed", t.seed);
    return o;
  }

  /**
   * The decimal a float setting was written as (0.1, not 0.10000000149011612): the same float when
   * read back, and the text a person typed.
   */
  static double decimal(float f) {
    return Double.parseDouble(Float.toString(f));
  }

  static Object readJson(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return Json.parse(text);
    } catch (Json.SyntaxException e) {
      throw new IOException(file + ": invalid JSON: " + e.getMessage(), e);
    }
  }

  /** Writes {@code value} as JSON, atomically. */
  public static void writeJson(Path file, Object value) throws IOException {
    byte[] bytes = (Json.write(value) + "\n").getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(file, out -> out.write(bytes));
  }

  /** Progress with loss and ETA: one updating line on a terminal, a line per 10 % otherwise. */
  static final class Progress {
    private final PrintWriter log;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long first = -1;
    private long lastDraw;
    private double smoothed = Double.NaN;

    Progress(PrintWriter log, boolean terminal) {
      this.log = log;
      this.terminal = terminal;
    }

    void step(long done, long all, float loss) {
      if (first < 0) {
        first = done - 1;
      }
      smoothed = Double.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
      long now = System.nanoTime();
      double elapsed = (now - start) / 1e9;
      double rate = (done - first) / Math.max(elapsed, 1e-9);
      double eta = (all - done) / Math.max(rate, 1e-9);
      String line = String.format(Locale.ROOT, "step %d/%d  loss %.4g  %.1f steps/s  ETA %s", done, all, smoothed,
          rate, clock(eta));
      if (terminal) {
        if (now - lastDraw > 200_000_000L || done == all) {
          log.print("\r" + line);
          log.flush();
          lastDraw = now;
        }
      } else if (done == all || (done * 10 / all) != ((done - 1) * 10 / all)) {
        log.println(line);
        log.flush();
      }
    }

    void finish() {
      if (terminal) {
        log.println();
      }
      log.printf(Locale.ROOT, "trained in %s%n", clock((System.nanoTime() - start) / 1e9));
      log.flush();
    }

    static String clock(double seconds) {
      long s = Math.round(seconds);
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
  }
}
