package org.vssf.bench.figures;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.bench.app.LvssfModel;
import org.vssf.bench.app.ModelConfig;
import org.vssf.bench.app.Runs;
import org.vssf.bench.app.SequenceData;
import org.vssf.filter.Trainer;

/**
 * PNG figures of a run, written atomically into {@code RUN/figures/}: the training curves, the
 * paper's Fig. 3 (frames and their reconstructions from the filtered mean), Fig. 5 (filtered mean
 * ±2σ against the true state along one trajectory) and Fig. 6 (filtered means coloured by the true
 * state). Everything is filtered with the image sensor alone and the model in evaluation mode, as
 * {@code vssf evaluate} scores it. Rendering is headless.
 */
public final class Figures {
  static {
    Plots.init(); // java.awt.headless=true before any AWT class is used
  }

  /** Directory of the figures inside a run. */
  public static final String DIR = "figures";
  /** Loss, KL and reconstruction against the step. */
  public static final String TRAINING = "training.png";
  /** Frames of evaluation trajectories above their reconstructions. */
  public static final String RECONSTRUCTIONS = "reconstructions.png";
  /** Filtered means coloured by the true state. */
  public static final String LATENT = "latent.png";
  /** Filtered mean ±2σ against the true state along one trajectory. */
  public static final String TRAJECTORY = "trajectory.png";
  /** The figures {@link #writeAll} writes, in that order. */
  public static final List<String> NAMES = List.of(TRAINING, RECONSTRUCTIONS, LATENT, TRAJECTORY);

  /** Evaluation trajectories in the reconstruction strip. */
  static final int STRIP_SEQUENCES = 3;
  /** Frames per trajectory in the reconstruction strip. */
  static final int STRIP_FRAMES = 8;
  /** Frames are drawn at least this many pixels wide (nearest-neighbour upscaling). */
  static final int TILE = 96;

  private Figures() {}

  /** The figures directory of {@code run}. */
  public static Path dir(Path run) {
    return run.resolve(DIR);
  }

  /**
   * Every figure for {@code run} on {@code data/eval}, over the first 200 steps of each
   * trajectory (or all of them when shorter); see {@link #writeAll(Path, Path, int)}.
   */
  public static List<Path> writeAll(Path run, Path data) throws IOException {
    return writeAll(run, data, 200);
  }

  /**
   * Writes {@link #NAMES} into {@code RUN/figures} from the first {@code length} steps of the
   * evaluation trajectories in {@code data/eval} (capped at their length); the training curves
   * only when {@code metrics.csv} has rows. The model is loaded and the trajectories filtered once.
   *
   * @return the files written
   */
  public static List<Path> writeAll(Path run, Path data, int length) throws IOException {
    List<Path> written = new ArrayList<>();
    if (!readMetrics(run).step.isEmpty()) {
      written.add(trainingCurves(run));
    }
    Context ctx = Context.load(run, data, length);
    Tracks all = Tracks.filter(ctx.model, ctx.data, Tracks.all(ctx.data), ctx.length);
    written.add(reconstructions(ctx, all, stripSequences(ctx.data.sequences()), STRIP_FRAMES));
    written.add(latentScatter(ctx, all));
    written.add(trajectory(ctx, all, 0));
    return written;
  }

  // ---------------------------------------------------------------- training curves

  /** Columns of {@code metrics.csv}. */
  static final class Metrics {
    final List<Double> step = new ArrayList<>();
    final List<Double> loss = new ArrayList<>();
    final List<Double> kl = new ArrayList<>();
    final List<Double> recon = new ArrayList<>();
    final List<Double> gradNorm = new ArrayList<>();
  }

  /** Reads {@code RUN/metrics.csv} by its header (no rows when the file does not exist). */
  static Metrics readMetrics(Path run) throws IOException {
    Metrics m = new Metrics();
    Path file = run.resolve(Trainer.METRICS);
    if (!Files.isRegularFile(file)) {
      return m;
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.isEmpty()) {
      return m;
    }
    List<String> header = Arrays.asList(lines.get(0).strip().split(","));
    int[] col = new int[5];
    String[] names = {"step", "loss", "kl", "recon", "grad_norm"};
    for (int i = 0; i < names.length; i++) {
      col[i] = header.indexOf(names[i]);
      if (col[i] < 0) {
        throw new IOException(file + ": no column '" + names[i] + "' in the header " + lines.get(0));
      }
    }
    for (int r = 1; r < lines.size(); r++) {
      String line = lines.get(r).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split(",");
      try {
        m.step.add(Double.parseDouble(f[col[0]]));
        m.loss.add(Double.parseDouble(f[col[1]]));
        m.kl.add(Double.parseDouble(f[col[2]]));
        m.recon.add(-Double.parseDouble(f[col[3]]));
        m.gradNorm.add(Double.parseDouble(f[col[4]]));
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        throw new IOException(file + ": line " + (r + 1) + " is not a row of numbers: " + line, e);
      }
    }
    return m;
  }

  /**
   * {@code RUN/figures/training.png}: the loss (−ELBO) and its two terms, the KL and the negative
   * reconstruction log-likelihood, and the gradient norm against the step, each on its own axis; a
   * dashed line marks the end of the decoder-only pre-training.
   *
   * @throws IllegalArgumentException when {@code metrics.csv} has no rows yet
   */
  public static Path trainingCurves(Path run) throws IOException {
    Metrics m = readMetrics(run);
    if (m.step.isEmpty()) {
      throw new IllegalArgumentException(run.resolve(Trainer.METRICS) + " has no rows yet; train the run first");
    }
    double[] x = toArray(m.step);
    double pretrain = pretrainSteps(run);
    boolean marked = pretrain > x[0] && pretrain < x[x.length - 1];
    String[] titles = {"loss = −ELBO", "KL(q ‖ p)", "−reconstruction log-likelihood", "gradient norm"};
    List<List<Double>> ys = List.of(m.loss, m.kl, m.recon, m.gradNorm);
    List<BufferedImage> panels = new ArrayList<>();
    for (int i = 0; i < titles.length; i++) {
      double[] y = toArray(ys.get(i));
      XYChart c = Plots.chart(560, 360, titles[i], "step", "per sequence");
      Plots.roundXTicks(c, x[0], y[0]);
      if ((i == 1 || i == 3) && allPositive(y)) { // KL and gradient norm span decades
        c.setYAxisTitle(i == 1 ? "per sequence (log scale)" : "L2 norm (log scale)");
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min(y)))));
        c.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(max(y)))));
      } else if (i == 3) {
        c.setYAxisTitle("L2 norm");
      }
      XYSeries s = Plots.line(c, titles[i], x, y, Plots.CURVES[i], 1.8f);
      if (x.length == 1) {
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setMarkerColor(Plots.CURVES[i]);
      }
      c.getStyler().setLegendVisible(false);
      robustRange(c, x, y, pretrain);
      if (marked) {
        AnnotationLine a = new AnnotationLine(pretrain, true, false);
        c.addAnnotation(a);
        c.getStyler().setAnnotationLineColor(Color.GRAY).setAnnotationLineStroke(new BasicStroke(1.2f,
            BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      }
      panels.add(Plots.render(c));
    }
    String title = String.format(Locale.ROOT, "Training of %s (%d logged steps%s)", name(run), x.length,
        marked ? "; dashed: end of decoder pre-training at step " + (long) pretrain : "");
    return Plots.writePng(dir(run).resolve(TRAINING), Plots.grid(panels, 2, title));
  }

  private static double pretrainSteps(Path run) {
    try {
      Object o = org.vssf.nn.io.Json.parse(Files.readString(run.resolve(Runs.CONFIG), StandardCharsets.UTF_8));
      Object v = o instanceof java.util.Map ? ((java.util.Map<?, ?>) o).get("pretrain_steps") : null;
      return v instanceof Number ? ((Number) v).doubleValue() : 0;
    } catch (IOException | org.vssf.nn.io.Json.SyntaxException | RuntimeException e) {
      return 0; // the figure only loses its marker
    }
  }

  /**
   * Keeps the large values of the decoder-only pre-training (or, without one, of the first tenth
   * of the rows) from flattening the rest: when they would take more than three times the range of
   * the later values, the y axis covers the later values only and the early line runs off the top.
   */
  private static void robustRange(XYChart c, double[] x, double[] y, double pretrain) {
    if (y.length < 10 || c.getStyler().isYAxisLogarithmic()) {
      return;
    }
    int from = y.length / 10;
    while (from < y.length - 3 && x[from] <= pretrain) {
      from++;
    }
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int i = from; i < y.length; i++) {
      lo = Math.min(lo, y[i]);
      hi = Math.max(hi, y[i]);
    }
    double span = Math.max(hi - lo, 1e-9 * Math.max(1, Math.abs(hi)));
    if (max(y) - min(y) > 3 * span) {
      c.getStyler().setYAxisMin(lo - 0.1 * span);
      c.getStyler().setYAxisMax(hi + 0.4 * span);
    }
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElse(0);
  }

  private static double max(double[] v) {
    return Arrays.stream(v).max().orElse(0);
  }

  // ---------------------------------------------------------------- reconstructions

  /**
   * {@code RUN/figures/reconstructions.png} (the paper's Fig. 3): for each trajectory in {@code
   * sequences} of {@code data/eval}, {@code frames} frames evenly spaced over the first {@code
   * length} steps, the true frame above the decoder's image of the filtered mean μ_t|t.
   */
  public static Path reconstructions(Path run, Path data, int[] sequences, int frames, int length)
      throws IOException {
    Context ctx = Context.load(run, data, length);
    for (int s : sequences) {
      ctx.checkIndex(s);
    }
    if (frames < 1) {
      throw new IllegalArgumentException("frames must be at least 1, got " + frames);
    }
    Tracks tracks = Tracks.filter(ctx.model, ctx.data, sequences, ctx.length);
    int[] rows = new int[sequences.length];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    return strip(ctx, tracks, rows, frames);
  }

  private static Path reconstructions(Context ctx, Tracks all, int[] sequences, int frames) throws IOException {
    return strip(ctx, all, sequences, frames); // in `all`, row k is trajectory k
  }

  /** The first few trajectories (at most {@link #STRIP_SEQUENCES}). */
  static int[] stripSequences(int n) {
    int[] s = new int[Math.min(STRIP_SEQUENCES, n)];
    for (int i = 0; i < s.length; i++) {
      s[i] = i;
    }
    return s;
  }

  /** Frame indices: {@code count} evenly spaced steps in [0, length). */
  static int[] frameSteps(int length, int count) {
    int n = Math.min(count, length);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = n == 1 ? 0 : (int) Math.round(i * (length - 1) / (double) (n - 1));
    }
    return t;
  }

  /** Upscaling factor so a frame of {@code size} pixels is at least {@link #TILE} wide. */
  static int scale(int size) {
    return Math.max(1, (TILE + size - 1) / size);
  }

  private static final int LEFT = 150;
  private static final int GAP = 6;
  private static final int HEADER = 74;
  private static final int ROW_GAP = 18;

  /** Width (at least: a long title widens it) and height of the reconstruction strip. */
  static int[] stripSize(int size, int sequences, int frames) {
    int tile = size * scale(size);
    int w = LEFT + frames * (tile + GAP) + GAP;
    int h = HEADER + sequences * (2 * tile + GAP + ROW_GAP + 20);
    return new int[] {w, h};
  }

  private static Path strip(Context ctx, Tracks tracks, int[] rows, int frames) throws IOException {
    int size = ctx.model.config.size;
    int m = ctx.model.config.m;
    int[] steps = frameSteps(ctx.length, frames);
    int f = steps.length;
    // Decode μ_t|t of every shown frame in one batch.
    float[] z = new float[rows.length * f * m];
    for (int r = 0; r < rows.length; r++) {
      for (int j = 0; j < f; j++) {
        for (int i = 0; i < m; i++) {
          z[(r * f + j) * m + i] = (float) tracks.mean[rows[r]][steps[j] * m + i];
        }
      }
    }
    float[] decoded;
    ctx.model.train(false);
    try (Tape.Scope noGrad = Tape.noGrad()) {
      decoded = ctx.model.image.decoder().forward(Tensor.wrap(z, rows.length * f, m)).data(); // [N, 3, S, S]
    }
    int scale = scale(size);
    int tile = size * scale;
    int[] wh = stripSize(size, rows.length, f);
    String title = "Reconstructions from the filtered mean — " + name(ctx.run);
    String subtitle = "truth: the frame at t; reconstruction: decoder(μ_t|t), with μ_t|t filtered from the images"
        + " up to t";
    int width = Math.max(wh[0], 2 * GAP + Math.max(Plots.textWidth(title, Plots.TITLE),
        Plots.textWidth(subtitle, Plots.TICKS)));
    BufferedImage out = new BufferedImage(width, wh[1], BufferedImage.TYPE_INT_RGB);
    Graphics2D g = Plots.graphics(out);
    g.setColor(Color.BLACK);
    g.setFont(Plots.TITLE);
    FontMetrics fm = g.getFontMetrics();
    g.drawString(title, GAP, 4 + fm.getAscent());
    g.setFont(Plots.TICKS);
    g.drawString(subtitle, GAP, 4 + fm.getHeight() + g.getFontMetrics().getAscent());
    g.setFont(Plots.LABEL);
    fm = g.getFontMetrics();
    for (int j = 0; j < f; j++) {
      String label = "t = " + steps[j];
      int x = LEFT + j * (tile + GAP) + (tile - fm.stringWidth(label)) / 2;
      g.drawString(label, x, HEADER - 8);
    }
    int hw = size * size;
    int y = HEADER;
    for (int r = 0; r < rows.length; r++) {
      int seq = tracks.sequences[rows[r]];
      float[] frames01;
      try (Tape.Scope noGrad = Tape.noGrad()) {
        frames01 = ctx.data.images(new int[] {seq}).data(); // [1, T, 3, S, S] in [-1, 1]
      }
      g.setColor(Color.BLACK);
      g.setFont(Plots.TITLE);
      g.drawString("trajectory " + seq, GAP, y + 14);
      g.setFont(Plots.LABEL);
      g.drawString("truth", GAP + 10, y + 20 + tile / 2 + 5);
      g.drawString("reconstruction", GAP + 10, y + 20 + tile + GAP + tile / 2 + 5);
      for (int j = 0; j < f; j++) {
        int x = LEFT + j * (tile + GAP);
        drawFrame(out, frames01, steps[j] * 3 * hw, size, scale, x, y + 20);
        drawFrame(out, decoded, (r * f + j) * 3 * hw, size, scale, x, y + 20 + tile + GAP);
      }
      y += 2 * tile + GAP + ROW_GAP + 20;
    }
    g.dispose();
    return Plots.writePng(dir(ctx.run).resolve(RECONSTRUCTIONS), out);
  }

  /** Draws one channel-major frame in [-1, 1] at ({@code x0}, {@code y0}), each pixel a block of scale². */
  private static void drawFrame(BufferedImage out, float[] v, int off, int size, int scale, int x0, int y0) {
    int hw = size * size;
    for (int py = 0; py < size; py++) {
      for (int px = 0; px < size; px++) {
        int p = py * size + px;
        int rgb = (byte255(v[off + p]) << 16) | (byte255(v[off + hw + p]) << 8) | byte255(v[off + 2 * hw + p]);
        for (int dy = 0; dy < scale; dy++) {
          for (int dx = 0; dx < scale; dx++) {
            out.setRGB(x0 + px * scale + dx, y0 + py * scale + dy, rgb);
          }
        }
      }
    }
  }

  private static int byte255(float v) {
    float b = (v + 1f) * 127.5f;
    return b != b ? 0 : Math.max(0, Math.min(255, Math.round(b)));
  }

  // ---------------------------------------------------------------- latent scatter

  /**
   * {@code RUN/figures/latent.png} (the paper's Fig. 6): the filtered means of every evaluation
   * trajectory (first {@code length} steps), latent component 1 against 2, coloured by the true
   * value of each measured state component (θ; or x, then y), one panel per component; with a
   * one-dimensional latent, the latent against the measured component.
   */
  public static Path latentScatter(Path run, Path data, int length) throws IOException {
    Context ctx = Context.load(run, data, length);
    return latentScatter(ctx, Tracks.filter(ctx.model, ctx.data, Tracks.all(ctx.data), ctx.length));
  }

  private static Path latentScatter(Context ctx, Tracks all) throws IOException {
    ModelConfig cfg = ctx.model.config;
    int m = cfg.m;
    int[] measured = cfg.measured();
    String[] names = stateNames(cfg);
    List<BufferedImage> panels = new ArrayList<>();
    int points = all.sequences.length * all.length;
    for (int comp : measured) {
      double[] colour = new double[points];
      double[] px = new double[points];
      double[] py = new double[points];
      for (int k = 0, q = 0; k < all.sequences.length; k++) {
        for (int t = 0; t < all.length; t++, q++) {
          colour[q] = all.truth[k][t * m + comp];
          px[q] = m >= 2 ? all.mean[k][t * m] : all.truth[k][t * m + comp];
          py[q] = m >= 2 ? all.mean[k][t * m + 1] : all.mean[k][t * m];
        }
      }
      String title = m >= 2
          ? String.format(Locale.ROOT, "filtered means μ_t|t, coloured by the true %s", names[comp])
          : "filtered mean μ_t|t against the true " + names[comp];
      XYChart c = Plots.chart(720, 560, title, m >= 2 ? "latent 1 (μ₁)" : "true " + names[comp],
          m >= 2 ? "latent 2 (μ₂)" : "latent 1 (μ₁)");
      c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setMarkerSize(5);
      double lo = Arrays.stream(colour).min().orElse(0);
      double hi = Arrays.stream(colour).max().orElse(1);
      int bins = Plots.VIRIDIS.length;
      double width = hi > lo ? (hi - lo) / bins : 1;
      for (int b = 0; b < bins; b++) {
        List<Double> bx = new ArrayList<>();
        List<Double> by = new ArrayList<>();
        for (int q = 0; q < points; q++) {
          int bin = hi > lo ? Math.min(bins - 1, (int) ((colour[q] - lo) / width)) : 0;
          if (bin == b) {
            bx.add(px[q]);
            by.add(py[q]);
          }
        }
        if (bx.isEmpty()) {
          continue;
        }
        String label = String.format(Locale.ROOT, "%s %+.2f … %+.2f", names[comp], lo + b * width,
            lo + (b + 1) * width);
        XYSeries s = c.addSeries(label, toArray(bx), toArray(by));
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setMarkerColor(Plots.VIRIDIS[b]);
      }
      panels.add(Plots.render(c));
    }
    String title = String.format(Locale.ROOT, "Filtered means of %d evaluation trajectories × %d steps"
        + " (images only) — %s", all.sequences.length, all.length, name(ctx.run));
    return Plots.writePng(dir(ctx.run).resolve(LATENT), Plots.grid(panels, panels.size(), title));
  }

  // ---------------------------------------------------------------- trajectory

  /**
   * {@code RUN/figures/trajectory.png} (the paper's Fig. 5): the filtered mean μ_t|t with its
   * ±2σ band against the true state, for each measured component, along evaluation trajectory
   * {@code index} (first {@code length} steps).
   */
  public static Path trajectories(Path run, Path data, int index, int length) throws IOException {
    Context ctx = Context.load(run, data, length);
    ctx.checkIndex(index);
    Tracks one = Tracks.filter(ctx.model, ctx.data, new int[] {index}, ctx.length);
    return trajectory(ctx, one, 0);
  }

  private static Path trajectory(Context ctx, Tracks tracks, int row) throws IOException {
    String title = String.format(Locale.ROOT, "Evaluation trajectory %d: batch filter, images only — %s",
        tracks.sequences[row], name(ctx.run));
    return track(dir(ctx.run).resolve(TRAJECTORY), title, ctx.model.config, tracks.length, tracks.truth[row],
        tracks.mean[row], tracks.variance[row]);
  }

  /**
   * Writes a track figure to {@code file}: for each measured component of the model, the mean with
   * a ±2σ band against the truth over {@code length} steps, with the component's MSE and 2σ
   * coverage in the panel title. Arrays are {@code [t·m + i]}.
   */
  public static Path track(Path file, String title, ModelConfig config, int length, double[] truth,
      double[] mean, double[] variance) throws IOException {
    int m = config.m;
    String[] names = stateNames(config);
    double[] x = Plots.steps(length);
    List<BufferedImage> panels = new ArrayList<>();
    for (int comp : config.measured()) {
      double[] tr = new double[length];
      double[] mu = new double[length];
      double[] lo = new double[length];
      double[] hi = new double[length];
      double se = 0;
      int inside = 0;
      for (int t = 0; t < length; t++) {
        tr[t] = truth[t * m + comp];
        mu[t] = mean[t * m + comp];
        double sd = Math.sqrt(Math.max(0, variance[t * m + comp]));
        lo[t] = mu[t] - 2 * sd;
        hi[t] = mu[t] + 2 * sd;
        se += (mu[t] - tr[t]) * (mu[t] - tr[t]);
        inside += tr[t] >= lo[t] && tr[t] <= hi[t] ? 1 : 0;
      }
      String panelTitle = String.format(Locale.ROOT, "%s: MSE %.3g, truth inside ±2σ at %.0f%% of steps", names[comp],
          se / length, 100.0 * inside / length);
      XYChart c = Plots.chart(1000, 360, panelTitle, "step t", names[comp]);
      Plots.legendBelow(c);
      Plots.roundXTicks(c, 0, tr[0]);
      Plots.band(c, "μ ± 2σ", x, lo, hi, Plots.BAND);
      Plots.line(c, "true " + names[comp], x, tr, Plots.TRUTH, 1.6f);
      Plots.line(c, "filtered μ", x, mu, Plots.MEAN, 1.6f);
      panels.add(Plots.render(c));
      // The band is often thin next to the swing of the state: the error against ±2σ shows it.
      double[] err = new double[length];
      double[] elo = new double[length];
      double[] ehi = new double[length];
      double[] zero = new double[length];
      for (int t = 0; t < length; t++) {
        err[t] = mu[t] - tr[t];
        ehi[t] = hi[t] - mu[t];
        elo[t] = -ehi[t];
      }
      XYChart e = Plots.chart(1000, 270, "error of the filtered mean against its ±2σ band", "step t",
          "μ − " + names[comp]);
      Plots.legendBelow(e);
      Plots.roundXTicks(e, 0, 0);
      Plots.band(e, "±2σ", x, elo, ehi, Plots.BAND);
      Plots.line(e, "zero", x, zero, Color.GRAY, 1f).setShowInLegend(false);
      Plots.line(e, "μ − " + names[comp], x, err, Plots.ERROR, 1.4f);
      panels.add(Plots.render(e));
    }
    return Plots.writePng(file, Plots.grid(panels, 1, title));
  }

  // ---------------------------------------------------------------- shared

  /** A run's model (evaluation mode) and its evaluation split. */
  private static final class Context {
    final Path run;
    final LvssfModel model;
    final SequenceData data;
    final int length;

    private Context(Path run, LvssfModel model, SequenceData data, int length) {
      this.run = run;
      this.model = model;
      this.data = data;
      this.length = length;
    }

    static Context load(Path run, Path data, int length) throws IOException {
      LvssfModel model = Runs.load(run);
      model.train(false);
      SequenceData eval = SequenceData.load(data.resolve("eval"), model.config.supervised(), 1);
      Runs.checkCompatible(model.config, eval.info());
      if (length < 2) {
        throw new IllegalArgumentException("figure length must be at least 2, got " + length);
      }
      return new Context(run, model, eval, Math.min(length, eval.length()));
    }

    void checkIndex(int index) {
      if (index < 0 || index >= data.sequences()) {
        throw new IllegalArgumentException("trajectory " + index + " is not in 0.." + (data.sequences() - 1)
            + " (the evaluation split has " + data.sequences() + ")");
      }
    }
  }

  /**
   * Names of the state components: θ, θ̇ for the pendulum (m = 2), x, y, ẋ, ẏ for the camera
   * scenes (m = 4), z1, z2, … otherwise.
   */
  public static String[] stateNames(ModelConfig config) {
    if (config.m == 2) {
      return new String[] {"θ", "θ̇"};
    }
    if (config.m == 4) {
      return new String[] {"x", "y", "ẋ", "ẏ"};
    }
    String[] n = new String[config.m];
    for (int i = 0; i < n.length; i++) {
      n[i] = "z" + (i + 1);
    }
    return n;
  }

  private static String name(Path run) {
    Path abs = run.toAbsolutePath().normalize();
    return abs.getFileName() == null ? abs.toString() : abs.getFileName().toString();
  }

  private static double[] toArray(List<Double> v) {
    double[] a = new double[v.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = v.get(i);
    }
    return a;
  }

  private static boolean allPositive(double[] v) {
    for (double x : v) {
      if (!(x > 0)) {
        return false;
      }
    }
    return true;
  }
}
