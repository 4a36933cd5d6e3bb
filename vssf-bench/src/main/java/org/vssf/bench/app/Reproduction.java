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
import org.vssf.bench.data.DataSetGenerator;
import org.vssf.bench.data.DataSetInfo;
import org.vssf.bench.env.Environment;
import org.vssf.bench.figures.Figures;
import org.vssf.nn.io.AtomicFiles;

/**
 * The paper's Table 1 as a grid of runs (environment × supervision × ψ fixed/learned): generates
 * each environment's data once, trains and evaluates every cell, draws its figures, and writes
 * {@code table.json} and {@code report.md} with the paper's MSE beside ours and links to the
 * figures. Every piece is resumable: finished cells (with {@code metrics.json}) are kept,
 * interrupted ones continue from their checkpoint, both only if the run's settings are what the
 * preset asks now ({@link Runs#differences}).
 */
public final class Reproduction {
  private Reproduction() {}

  /** One cell of the grid. */
  public static final class Cell {
    public final String env;
    public final String supervision;
    public final String dynamics;

    public Cell(String env, String supervision, String dynamics) {
      this.env = env;
      this.supervision = supervision;
      this.dynamics = dynamics;
    }

    String id() {
      return env + "-" + supervision + "-" + dynamics;
    }
  }

  /** Label dropout of the pillars' supervised cells (see {@link Preset#labelDropout}). */
  public static final float PILLARS_LABEL_DROPOUT = 0.5f;

  /** The bound on ‖A‖₂ of the unsupervised ψ-learned cells (see {@link Preset#spectralBound(Cell)}). */
  public static final float UNSUPERVISED_SPECTRAL_BOUND = 1f;

  /** The paper's frames per training sequence, T = 5. */
  public static final int PAPER_LENGTH = 5;

  /** Frames per training sequence of the unsupervised cells (see {@link Preset#trainLength}). */
  public static final int UNSUPERVISED_LENGTH = 20;

  /** Factor on the learning rate of A and B of the unsupervised ψ-learned cells (see {@link Preset#dynamicsRate}). */
  public static final float UNSUPERVISED_DYNAMICS_RATE = 0.1f;

  /** A preset: the grid and the scale of data and training. */
  public static final class Preset {
    public String name;
    public List<Cell> cells = new ArrayList<>();
    public int size = 32;
    public int train = 10000;
    public int eval = 20;
    public int evalLength = 200;
    public int steps = 4000;
    public int pretrain = 500;
    public int batch = 32;
    public int samples = 64;
    public float learningRate = 1e-3f;
    public long seed = 1;
    /** Bound on ‖A‖₂ of every ψ-learned cell when set (0 = off); {@code null}: the rule of {@link #spectralBound}. */
    public Float spectralBoundOverride;

    /**
     * The bound on ‖A‖₂ of a cell, 0 = none ({@code vssf train --spectral-bound}; beyond the paper;
     * docs/results.md "ψ learned"): {@link #UNSUPERVISED_SPECTRAL_BOUND} for the unsupervised
     * ψ-learned cells, whose A otherwise degenerates (the paper's posterior collapse; without the
     * bound the pendulum's latent explained half of θ's variance, with it 91 %); the supervised
     * ψ-learned cells learn A freely, as in the paper, their labels pin it. ψ-fixed cells learn no A.
     */
    public float spectralBound(Cell cell) {
      return learnedRule(cell, spectralBoundOverride, UNSUPERVISED_SPECTRAL_BOUND, 0f);
    }

    /**
     * A setting of the learned dynamics: {@code off} for ψ-fixed cells (nothing to apply it to),
     * else {@code override} when given, else {@code unsupervised} for the unsupervised cells and
     * {@code off} for the supervised.
     */
    private static float learnedRule(Cell cell, Float override, float unsupervised, float off) {
      if (!cell.dynamics.equals("learned")) {
        return off;
      }
      if (override != null) {
        return override;
      }
      return cell.supervision.equals("none") ? unsupervised : off;
    }

    /** Factor on the learning rate of A and B of every ψ-learned cell when set; {@code null}: the rule of {@link #dynamicsRate}. */
    public Float dynamicsRateOverride;

    /**
     * The factor on the learning rate of a cell's learned A and B ({@code vssf train
     * --dynamics-rate}; beyond the paper, docs/results.md "What the unsupervised ψ-learned pendulum
     * learns"): {@link #UNSUPERVISED_DYNAMICS_RATE} for the unsupervised ψ-learned cells, whose
     * dynamics otherwise fit the encoder's first, arbitrary latent and lose B on the way (the
     * pendulum's B fell from 0.3 to 0.004; at a tenth it kept 0.24, and its latent came within an
     * affine map of the state); 1 for the supervised ones, whose labels pin the latent from the
     * start. ψ-fixed cells learn no A or B.
     */
    public float dynamicsRate(Cell cell) {
      return learnedRule(cell, dynamicsRateOverride, UNSUPERVISED_DYNAMICS_RATE, 1f);
    }

    /**
     * Share of the steps, at the end, trained with batch norm frozen at its running statistics
     * (beyond the paper; docs/results.md, "Batch norm"): a quarter.
     */
    public double frozenNormShare = 0.25;
    /** Frozen-norm steps when set (overrides the share); {@code null}: the share of the steps. */
    public Integer frozenNormSteps;

    /**
     * Unsupervised cells: steps between sign checks (keep the model or a reflection of its latent,
     * whichever has the better ELBO; beyond the paper, docs/results.md "The latent's sign"), 0 =
     * off. Supervised cells never check: their labels fix the sign.
     */
    public int signCheckEvery = 250;
    /**
     * Unsupervised cells: the decoder's pixel σ. The decoder is their only link to the images, and
     * its log-likelihood scales with pixels/σ², so σ = 2·size/64 gives a size×size image the weight
     * the paper's σ = 2 gives a 64×64 one (σ = 1 at 32×32; docs/results.md "The latent's sign").
     * Supervised cells keep the paper's σ = 2.
     */
    public float unsupervisedSigma() {
      return 2f * size / 64;
    }

    /**
     * Supervised cells: the share of sequences whose labels are hidden from the filter ({@code
     * vssf train --label-dropout}) when set; {@code null}: {@link #PILLARS_LABEL_DROPOUT} for the
     * pillars and 0 elsewhere.
     */
    public Float labelDropoutOverride;

    /**
     * The label dropout of a cell (beyond the paper; docs/results.md, "Label dropout"): the pillars'
     * fog leaves depth (x) faint in the images, so with labels on every sequence the posterior
     * needs no images and the encoder that filters afterwards is starved; hiding the labels on
     * half of the sequences trains the images-only filter. The pendulum's and the block world's
     * images pin their state, and there it moved the frame (pendulum, full: 0.000593 → 0.00151),
     * so they train without it. Unsupervised cells have no labels to hide.
     */
    public float labelDropout(Cell cell) {
      if (cell.supervision.equals("none")) {
        return 0f;
      }
      if (labelDropoutOverride != null) {
        return labelDropoutOverride;
      }
      return cell.env.equals("pillars") ? PILLARS_LABEL_DROPOUT : 0f;
    }

    /**
     * The unsupervised cells: frames per training sequence when set; {@code null}: {@link
     * #UNSUPERVISED_LENGTH}.
     */
    public Integer unsupervisedLengthOverride;

    /**
     * Frames per training sequence of a cell (beyond the paper for the unsupervised cells;
     * docs/results.md, "The latent's frame"). Without labels the latent's frame is pinned only by
     * how the controls move the state over time (B u through A's slow modes): over five frames the
     * pendulum's true frame scores within 0.1 nats of one 16 % too large, over twenty 3.6 nats
     * better; the camera scenes' latents came out rotated by about 12° or at 0.75× scale with five
     * frames and within 5 % of the state's frame with twenty (quick budget: block world raw 0.147 →
     * 0.0093, pillars 0.112 → 0.021). So those cells train on sequences of {@link
     * #UNSUPERVISED_LENGTH} frames, with as many frames in the data set ({@link #trainSequences})
     * and per step ({@link #batch(Cell)}). Labels pin the frame of the supervised cells. With A
     * learned every rotation of the frame is a symmetry up to the prior, yet twenty frames pin the
     * latent to within an affine map of the state once the dynamics learn slowly ({@link #dynamicsRate};
     * pendulum, quick budget: aligned 0.0018 against 0.076 with five frames).
     */
    public int trainLength(Cell cell) {
      if (!cell.supervision.equals("none")) {
        return PAPER_LENGTH;
      }
      return unsupervisedLengthOverride != null ? unsupervisedLengthOverride : UNSUPERVISED_LENGTH;
    }

    /** Training sequences of a cell's data set: as many frames as {@link #train} sequences of T = 5. */
    public int trainSequences(Cell cell) {
      return (int) Math.max(1, (long) train * PAPER_LENGTH / trainLength(cell));
    }

    /** Sequences per step of a cell: as many frames as {@link #batch} sequences of T = 5. */
    public int batch(Cell cell) {
      return Math.max(1, batch * PAPER_LENGTH / trainLength(cell));
    }

    /** The directory name of a cell's data set under {@code OUT/data}: the environment, and its T if not 5. */
    public String dataName(Cell cell) {
      int t = trainLength(cell);
      return t == PAPER_LENGTH ? cell.env : cell.env + "-t" + t;
    }

    /** Steps between the unsupervised ψ-fixed cells' centring checks (see {@link #centreEvery(Cell)}). */
    public int centreEvery = 1000;

    /**
     * Steps between centring checks of a cell ({@code vssf train --centre}; beyond the paper;
     * docs/results.md, "The latent's origin"), 0 = none: the unsupervised ψ-fixed cells. Every
     * scene's A − I is nearly singular (the pendulum's along (1, 0.05), the camera scenes' along
     * position plus a tenth of velocity): a constant shift of the latent costs the dynamics almost
     * nothing, only the prior on z₁ pins it (the pendulum: 0.025 nats per sequence for 0.355, far
     * below a step's noise), and the latent's origin is wherever training leaves it, which was the
     * whole of the unsupervised pendulum's raw error. The check moves the latent, exactly, by the
     * shift that fits the prior and dynamics to the posterior over the training set. Labels fix
     * the supervised cells' origin; with A learned the latent's whole frame is arbitrary (A →
     * MAM⁻¹), so those cells are not centred.
     */
    public int centreEvery(Cell cell) {
      return cell.supervision.equals("none") && cell.dynamics.equals("fixed") ? centreEvery : 0;
    }

    /** The number of final steps trained with batch norm frozen. */
    public int frozenNorm() {
      return frozenNormSteps != null ? frozenNormSteps : (int) Math.round(frozenNormShare * steps);
    }
  }

  /**
   * {@code quick}: pendulum, ψ fixed, partial, full and no supervision, 32×32, 4 000 steps (about
   * five minutes on two idle cores); {@code paper}: every cell of Table 1 for pendulum, blocks and
   * pillars, 32×32, 40 000 steps of batch 32 with S = 64, the scale at which the partially
   * supervised cells of the pendulum and the block world beat the paper's numbers
   * (docs/results.md). Both train the last quarter of the steps with batch norm frozen.
   */
  public static Preset preset(String name) {
    Preset p = new Preset();
    p.name = name;
    switch (name) {
      case "quick":
        for (String sup : new String[] {"partial", "full", "none"}) {
          p.cells.add(new Cell("pendulum", sup, "fixed"));
        }
        return p;
      case "paper":
        p.steps = 40000;
        for (String env : new String[] {"pendulum", "blocks", "pillars"}) {
          for (String dyn : new String[] {"fixed", "learned"}) {
            for (String sup : new String[] {"none", "partial", "full"}) {
              p.cells.add(new Cell(env, sup, dyn));
            }
          }
        }
        return p;
      default:
        throw new IllegalArgumentException("unknown preset '" + name + "' (choose quick or paper)");
    }
  }

  /** The paper's filter MSE (Table 1; Zhangjiajie for pillars), or NaN where it has none. */
  public static double paperMse(String env, String supervision, String dynamics) {
    double[][] table;
    switch (env) {
      case "pendulum":
        table = new double[][] {{0.0458, 0.000452, 0.000211}, {0.558, 0.000369, 0.000368}};
        break;
      case "blocks":
        table = new double[][] {{0.244, 0.00292, 0.00193}, {9.715, 0.00488, 0.00230}};
        break;
      case "pillars":
        table = new double[][] {{2.308, 0.0519, 0.0089}, {6.186, 0.137, 0.0413}};
        break;
      default:
        return Double.NaN;
    }
    int col = supervision.equals("none") ? 0 : supervision.equals("partial") ? 1 : 2;
    return table[dynamics.equals("fixed") ? 0 : 1][col];
  }

  /**
   * Runs the preset into {@code out} with {@code threads} worker threads; returns the table rows.
   * With two or more threads and cells, cells train concurrently, one thread each (a single-threaded
   * cell gives the same result whatever runs beside it); otherwise one cell at a time on all threads.
   */
  public static List<Map<String, Object>> run(Preset preset, Path out, int threads, PrintWriter log)
      throws IOException {
    Files.createDirectories(out);
    for (Cell cell : preset.cells) {
      ensureData(preset, cell, out.resolve("data").resolve(preset.dataName(cell)), threads, log);
    }
    int concurrent = Math.min(threads, preset.cells.size());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < preset.cells.size(); i++) {
      rows.add(null);
    }
    if (concurrent <= 1) {
      for (int i = 0; i < preset.cells.size(); i++) {
        rows.set(i, runCell(preset, preset.cells.get(i), out, log));
        writeTable(preset, rows, out);
      }
      return rows;
    }
    int saved = org.vssf.linalg.Parallel.defaultParallelism();
    org.vssf.linalg.Parallel.setDefaultParallelism(1);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(concurrent);
    try {
      List<java.util.concurrent.Future<Map<String, Object>>> futures = new ArrayList<>();
      for (Cell cell : preset.cells) {
        futures.add(pool.submit(() -> runCell(preset, cell, out, new PrefixedLog(log, cell.id()))));
      }
      IOException failure = null;
      for (int i = 0; i < futures.size(); i++) {
        try {
          rows.set(i, futures.get(i).get());
          writeTable(preset, rows, out);
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof RuntimeException) {
            throw (RuntimeException) c;
          }
          if (c instanceof Error) {
            throw (Error) c;
          }
          failure = failure != null ? failure : c instanceof IOException ? (IOException) c : new IOException(c);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted");
        }
      }
      if (failure != null) {
        throw failure;
      }
      return rows;
    } finally {
      pool.shutdownNow();
      org.vssf.linalg.Parallel.setDefaultParallelism(saved);
    }
  }

  /** Writes the finished rows (in grid order) to table.json and report.md. */
  private static synchronized void writeTable(Preset preset, List<Map<String, Object>> rows, Path out)
      throws IOException {
    List<Map<String, Object>> done = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      if (r != null) {
        done.add(r);
      }
    }
    Runs.writeJson(out.resolve("table.json"), done);
    writeReport(preset, done, out.resolve("report.md"));
  }

  /** A log whose lines start with the cell's name (concurrent cells share one output). */
  private static final class PrefixedLog extends PrintWriter {
    private final PrintWriter target;
    private final String prefix;
    private final StringBuilder line = new StringBuilder();

    PrefixedLog(PrintWriter target, String prefix) {
      super(new java.io.StringWriter());
      this.target = target;
      this.prefix = prefix;
    }

    @Override
    public void write(String s, int off, int len) {
      for (int i = off; i < off + len; i++) {
        char c = s.charAt(i);
        if (c == '\n') {
          synchronized (target) {
            String text = line.toString();
            target.println(text.startsWith(prefix + ": ") ? text : prefix + ": " + text);
            target.flush();
          }
          line.setLength(0);
        } else if (c != '\r') {
          line.append(c);
        }
      }
    }

    @Override
    public void write(int c) {
      write(String.valueOf((char) c), 0, 1);
    }

    @Override
    public void write(char[] buf, int off, int len) {
      write(new String(buf, off, len), 0, len);
    }

    @Override
    public void println() {
      write("\n", 0, 1);
    }

    @Override
    public void flush() {
      // lines are written whole
    }
  }

  private static Map<String, Object> runCell(Preset preset, Cell cell, Path out, PrintWriter log)
      throws IOException {
    Path data = out.resolve("data").resolve(preset.dataName(cell));
    Path run = out.resolve("runs").resolve(cell.id());
    ModelConfig model = cellModel(preset, cell, data);
    Runs.Settings settings = cellSettings(preset, cell, data);
    if (Files.isRegularFile(run.resolve(Runs.MODEL)) && Files.isRegularFile(run.resolve(Runs.CONFIG))) {
      List<String> differences = Runs.differences(run, model, settings);
      if (!differences.isEmpty()) {
        throw new IOException(run + " was trained with other settings than preset '" + preset.name + "' asks ("
            + String.join("; ", differences) + "): delete that directory to train the cell again, or choose"
            + " another --out");
      }
      Runs.relocateData(run, data);
    }
    Map<?, ?> metrics;
    double seconds;
    if (Files.isRegularFile(run.resolve(Runs.METRICS))) {
      log.printf("%s: already evaluated, kept%n", cell.id());
      metrics = asMap(Runs.readJson(run.resolve(Runs.METRICS)));
      seconds = recordedSeconds(run);
    } else {
      log.printf("%s: training%n", cell.id());
      log.flush();
      long t0 = System.nanoTime();
      boolean resume = Files.isRegularFile(run.resolve(Runs.MODEL));
      // The time so far: a finished training that is only evaluated again keeps its time, and an
      // interrupted one resumes from its last checkpoint, where its time was last recorded.
      double recorded = recordedSeconds(run);
      double before = Double.isNaN(recorded) ? 0 : recorded;
      int every = settings.trainer.checkpointEvery;
      Runs.train(run, model, settings, resume, 0, log, System.console() != null && !(log instanceof PrefixedLog),
          (done, total, loss) -> {
            if (done % every == 0 && done < total) {
              writeTime(run, before + (System.nanoTime() - t0) / 1e9);
            }
          });
      seconds = before + (System.nanoTime() - t0) / 1e9;
      writeTime(run, seconds);
      metrics = Runs.evaluate(run, data, preset.evalLength, false);
    }
    drawFigures(cell, run, data, preset.evalLength, log);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("env", cell.env);
    row.put("supervision", cell.supervision);
    row.put("dynamics", cell.dynamics);
    row.put("filter_mse", metrics.get("filter_mse"));
    row.put("filter_mse_aligned", metrics.get("filter_mse_aligned"));
    row.put("smoother_mse", metrics.get("smoother_mse"));
    row.put("state_nll", metrics.get("state_nll"));
    row.put("coverage_2sigma", metrics.get("coverage_2sigma"));
    double paper = paperMse(cell.env, cell.supervision, cell.dynamics);
    row.put("paper_mse", Double.isNaN(paper) ? null : paper);
    row.put("train_seconds", Double.isNaN(seconds) ? null : seconds);
    row.put("steps", (long) preset.steps);
    log.printf(Locale.ROOT, "%s: filter MSE %.5g (paper %.3g)%n", cell.id(), num(row.get("filter_mse")), paper);
    log.flush();
    return row;
  }

  /** The model a cell trains under the preset, for the data set in {@code data}. */
  static ModelConfig cellModel(Preset preset, Cell cell, Path data) throws IOException {
    ModelConfig model = ModelConfig.forData(DataSetInfo.read(data.resolve("train")), cell.supervision,
        cell.dynamics);
    model.spectralBound = preset.spectralBound(cell);
    if (cell.supervision.equals("none")) {
      model.sigma = preset.unsupervisedSigma();
    }
    model.latentOffset = preset.centreEvery(cell) > 0;
    return model;
  }

  /** The training settings of a cell under the preset. */
  static Runs.Settings cellSettings(Preset preset, Cell cell, Path data) {
    Runs.Settings settings = new Runs.Settings();
    settings.data = data;
    settings.batch = preset.batch(cell);
    settings.trainer.steps = preset.steps;
    settings.trainer.pretrainSteps = preset.pretrain;
    settings.trainer.samples = preset.samples;
    settings.trainer.learningRate = preset.learningRate;
    settings.trainer.seed = preset.seed;
    settings.trainer.frozenNormSteps = preset.frozenNorm();
    settings.trainer.signCheckEvery = cell.supervision.equals("none") ? preset.signCheckEvery : 0;
    settings.trainer.labelDropout = preset.labelDropout(cell);
    settings.trainer.centreEvery = preset.centreEvery(cell);
    settings.trainer.dynamicsRateFactor = preset.dynamicsRate(cell);
    settings.trainer.logEvery = Math.max(1, Math.min(50, preset.steps / 20));
    settings.trainer.checkpointEvery = Math.max(1, Math.min(500, preset.steps / 4));
    return settings;
  }

  private static final String TIME = "time.json";

  /** Records the training time so far in the run's {@code time.json} (atomically). */
  private static void writeTime(Path run, double seconds) {
    Map<String, Object> time = new LinkedHashMap<>();
    time.put("train_seconds", seconds);
    try {
      Runs.writeJson(run.resolve(TIME), time);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(run.resolve(TIME) + ": " + e.getMessage(), e);
    }
  }

  /** The training time recorded in the run's {@code time.json}, NaN if none. */
  private static double recordedSeconds(Path run) throws IOException {
    if (!Files.isRegularFile(run.resolve(TIME))) {
      return Double.NaN;
    }
    Object t = asMap(Runs.readJson(run.resolve(TIME))).get("train_seconds");
    return t instanceof Number ? ((Number) t).doubleValue() : Double.NaN;
  }

  /**
   * Draws the cell's figures unless they are all there. A figure that fails is reported and
   * skipped: the cell's metrics are what the table needs.
   */
  private static void drawFigures(Cell cell, Path run, Path data, int length, PrintWriter log) {
    boolean all = true;
    for (String name : Figures.NAMES) {
      all &= Files.isRegularFile(Figures.dir(run).resolve(name));
    }
    if (all) {
      return;
    }
    try {
      Figures.writeAll(run, data, length);
    } catch (IOException | RuntimeException e) {
      log.printf("%s: figures not written: %s%n", cell.id(), e.getMessage() == null ? e : e.getMessage());
      log.flush();
    }
  }

  private static void ensureData(Preset preset, Cell cell, Path data, int threads, PrintWriter log)
      throws IOException {
    if (Files.isRegularFile(data.resolve("eval").resolve(DataSetInfo.FILE))
        && Files.isRegularFile(data.resolve("train").resolve(DataSetInfo.FILE))) {
      return;
    }
    if (Files.exists(data)) { // a generation that did not finish: start it again
      Runs.deleteTree(data);
    }
    Environment e = Environment.of(cell.env);
    DataSetGenerator.Config config = new DataSetGenerator.Config(e, e.defaultDynamics(), preset.size, preset.seed,
        Environment.DEFAULT_SCENE_SEED, preset.trainSequences(cell), 0, preset.trainLength(cell), preset.eval,
        preset.evalLength, threads);
    long t0 = System.nanoTime();
    DataSetGenerator.generate(config, data, log);
    log.printf(Locale.ROOT, "generated %s in %.1f s%n", data, (System.nanoTime() - t0) / 1e9);
  }

  private static Map<?, ?> asMap(Object o) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    return (Map<?, ?>) o;
  }

  private static double num(Object o) {
    return o instanceof Number ? ((Number) o).doubleValue() : Double.NaN;
  }

  /** Whether the rows hold an unsupervised ({@code unsupervised}) or supervised cell with ψ {@code dynamics}. */
  private static boolean holds(List<Map<String, Object>> rows, boolean unsupervised, String dynamics) {
    return rows.stream().anyMatch(r -> "none".equals(r.get("supervision")) == unsupervised
        && dynamics.equals(r.get("dynamics")));
  }

  /** {@code report.md}: ours beside the paper's, with calibration and time per cell. */
  static void writeReport(Preset preset, List<Map<String, Object>> rows, Path file) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("# L-VSSF reproduction: preset `").append(preset.name).append("`\n\n");
    Cell unsupervisedFixed = new Cell("pendulum", "none", "fixed");
    Cell unsupervisedLearned = new Cell("pendulum", "none", "learned");
    StringBuilder unsupervised = new StringBuilder();
    if (holds(rows, true, "fixed")) {
      unsupervised.append(preset.centreEvery(unsupervisedFixed) > 0
          ? String.format(Locale.ROOT, ", with ψ fixed their latent centred every %d steps",
              preset.centreEvery(unsupervisedFixed))
          : ", with ψ fixed not centred");
    }
    if (holds(rows, true, "learned")) {
      float bound = preset.spectralBound(unsupervisedLearned);
      unsupervised.append(bound == 0 ? ", with ψ learned A unbounded"
          : String.format(Locale.ROOT, ", with ψ learned ‖A‖₂ ≤ %.3g", bound));
      unsupervised.append(String.format(Locale.ROOT, " and A, B learned at %.3g× the rate",
          preset.dynamicsRate(unsupervisedLearned)));
    }
    String supervisedLearned = preset.dynamicsRateOverride != null && preset.dynamicsRateOverride != 1f
        && holds(rows, false, "learned")
        ? String.format(Locale.ROOT, "; with ψ learned A, B at %.3g× the rate", preset.dynamicsRateOverride) : "";
    sb.append(String.format(Locale.ROOT, "Images %d×%d, %d training sequences of length %d, %d steps of batch %d"
        + " with S = %d backward samples (the last %d with batch norm frozen; unsupervised cells: a sign check"
        + " every %d steps, decoder σ = %.3g, %d sequences of length %d, batch %d%s;"
        + " supervised cells: %s%s), seed %d; filter MSE on %d evaluation"
        + " trajectories of length %d, images only.%n%n", preset.size, preset.size, preset.train, PAPER_LENGTH,
        preset.steps, preset.batch, preset.samples, preset.frozenNorm(), preset.signCheckEvery,
        preset.unsupervisedSigma(),
        preset.trainSequences(unsupervisedFixed), preset.trainLength(unsupervisedFixed), preset.batch(unsupervisedFixed),
        unsupervised,
        String.format(Locale.ROOT, "%s hidden from the filter on a share %.3g of the sequences",
            preset.labelDropoutOverride != null ? "labels" : "the pillars' labels",
            preset.labelDropoutOverride != null ? preset.labelDropoutOverride : PILLARS_LABEL_DROPOUT),
        supervisedLearned,
        preset.seed, preset.eval, preset.evalLength));
    sb.append("| env | supervision | ψ | filter MSE | paper | aligned MSE | smoother MSE | state NLL | 2σ coverage"
        + " | train time |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Map<String, Object> r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3g | %s | %.3g | %.3g | %.3f | %.3f | %s |%n",
          r.get("env"), r.get("supervision"), r.get("dynamics"), num(r.get("filter_mse")),
          r.get("paper_mse") == null ? "–" : String.format(Locale.ROOT, "%.3g", num(r.get("paper_mse"))),
          num(r.get("filter_mse_aligned")), num(r.get("smoother_mse")), num(r.get("state_nll")),
          num(r.get("coverage_2sigma")),
          r.get("train_seconds") == null ? "–" : Runs.Progress.clock(num(r.get("train_seconds")))));
    }
    Path out = file.toAbsolutePath().getParent();
    boolean heading = false;
    for (Map<String, Object> r : rows) {
      String id = r.get("env") + "-" + r.get("supervision") + "-" + r.get("dynamics");
      List<String> links = new ArrayList<>();
      for (String name : Figures.NAMES) {
        if (Files.isRegularFile(Figures.dir(out.resolve("runs").resolve(id)).resolve(name))) {
          links.add(String.format("![%s %s](runs/%s/%s/%s)", id, name.replace(".png", ""), id, Figures.DIR, name));
        }
      }
      if (links.isEmpty()) {
        continue;
      }
      if (!heading) {
        sb.append("\n## Figures\n\nTraining curves, reconstructions from the filtered mean (Fig. 3), filtered means"
            + " coloured by the true state (Fig. 6) and the filtered mean ±2σ along evaluation trajectory 0"
            + " (Fig. 5); images only.\n");
        heading = true;
      }
      sb.append("\n### ").append(id).append("\n\n").append(String.join("\n\n", links)).append("\n");
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(file, o -> o.write(bytes));
  }
}
