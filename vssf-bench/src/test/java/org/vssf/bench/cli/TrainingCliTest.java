package org.vssf.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.bench.app.Runs;
import org.vssf.bench.figures.Figures;
import org.vssf.nn.io.Json;

/**
 * {@code train}, {@code evaluate} and {@code reproduce} end to end at toy scale (the smoke version
 * of the reproduction that CI runs), resume, and their error paths.
 */
class TrainingCliTest {
  @TempDir
  Path tmp;

  private static String[] run(int expectedCode, String... args) {
    return CliRuns.run(expectedCode, args);
  }

  private static void failsWith(int code, String expected, String... args) {
    CliRuns.failsWith(code, expected, args);
  }


  private Path data() {
    Path d = tmp.resolve("data");
    run(0, "generate", "--env", "pendulum", "--out", d.toString(), "--size", "16", "--train", "6", "--test", "0",
        "--length", "3", "--eval", "2", "--eval-length", "6", "--threads", "1");
    return d;
  }

  @Test
  void trainEvaluateAndResume() throws Exception {
    Path d = data();
    Path r = tmp.resolve("run");
    String out = run(0, "train", "--data", d.toString(), "--out", r.toString(), "--steps", "3", "--pretrain", "1",
        "--batch", "2", "--samples", "3", "--frozen-norm", "1", "--decoder-sigma", "1.5", "--sign-check", "1",
        "--label-dropout", "0.5", "--min-cov", "0.002", "--centre", "1", "--threads", "1")[0];
    assertTrue(out.contains("step 3/3"), out);
    for (String f : new String[] {Runs.MODEL, Runs.CONFIG, "metrics.csv", "checkpoint.safetensors"}) {
      assertTrue(Files.isRegularFile(r.resolve(f)), f);
    }
    Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(r.resolve(Runs.CONFIG)));
    assertEquals(1L, ((Number) config.get("frozen_norm_steps")).longValue(), config.toString());
    assertEquals(1L, ((Number) config.get("sign_check_every")).longValue(), config.toString());
    assertEquals(0.5, ((Number) config.get("label_dropout")).doubleValue(), 0.0, config.toString());
    Map<?, ?> modelJson = (Map<?, ?>) Json.parse(Files.readString(r.resolve(Runs.MODEL)));
    assertEquals(1.5, ((Number) modelJson.get("decoder_sigma")).doubleValue(), 0.0, modelJson.toString());
    assertEquals(0.002, ((Number) modelJson.get("min_cov")).doubleValue(), 1e-9, modelJson.toString());
    assertEquals(Boolean.TRUE, modelJson.get("latent_offset"), modelJson.toString());
    assertEquals(1L, ((Number) config.get("centre_every")).longValue(), config.toString());
    assertEquals(1.0, ((Number) config.get("dynamics_rate_factor")).doubleValue(), 0.0, config.toString());
    // A run written before the options existed has no such fields: it resumes without freezing,
    // at one learning rate.
    Files.writeString(r.resolve(Runs.CONFIG), Files.readString(r.resolve(Runs.CONFIG))
        .replace("\"frozen_norm_steps\"", "\"unused\"").replace("\"dynamics_rate_factor\"", "\"unused2\""));
    failsWith(1, "already holds a run", "train", "--data", d.toString(), "--out", r.toString(), "--steps", "3");
    String more = run(0, "train", "--out", r.toString(), "--resume", "--steps", "4")[0];
    assertTrue(more.contains("step 4/4") && !more.contains("step 3/4"), more);
    List<String> checks = Files.readAllLines(r.resolve("sign-checks.csv"));
    assertEquals(List.of("step,elbo,elbo_mirrored,t,signs,mirrored", "2", "3"),
        checks.stream().map(l -> l.split(",")[0].equals("step") ? l : l.split(",")[0]).toList(),
        "a check before each step after the pre-training, the resumed one included");
    List<String> centred = Files.readAllLines(r.resolve("centre-checks.csv"));
    assertEquals(List.of("step,sequences,z1_mean,residual_mean,shift,offset", "2", "3"),
        centred.stream().map(l -> l.split(",")[0].equals("step") ? l : l.split(",")[0]).toList(),
        "a centring check before each step after the pre-training, the resumed one included");
    Map<?, ?> trainInfo = (Map<?, ?>) Json.parse(Files.readString(d.resolve("train/dataset.json")));
    assertEquals(trainInfo.get("sequences").toString(), centred.get(1).split(",")[1],
        "each check averages every training sequence once");
    failsWith(2, "--centre must be at least 0, got -1", "train", "--data", d.toString(), "--out",
        tmp.resolve("bad").toString(), "--centre", "-1");
    failsWith(2, "--dynamics-rate needs --dynamics learned", "train", "--data", d.toString(), "--out",
        tmp.resolve("bad").toString(), "--dynamics-rate", "0.1");
    failsWith(2, "--dynamics-rate must be positive, got 0.0", "train", "--data", d.toString(), "--out",
        tmp.resolve("bad").toString(), "--dynamics", "learned", "--dynamics-rate", "0");
    failsWith(2, "--sign-check must be at least 0, got -1", "train", "--data", d.toString(), "--out",
        tmp.resolve("bad").toString(), "--sign-check", "-1");
    failsWith(2, "--label-dropout must be in [0, 1), got 1.0", "train", "--data", d.toString(), "--out",
        tmp.resolve("bad").toString(), "--label-dropout", "1");
    failsWith(2, "--min-cov must be positive, got 0.0", "train", "--data", d.toString(), "--out",
        tmp.resolve("bad").toString(), "--min-cov", "0");
    failsWith(2, "--label-dropout needs labels: --supervision partial or full", "train", "--data", d.toString(),
        "--out", tmp.resolve("bad").toString(), "--supervision", "none", "--label-dropout", "0.5");
    String eval = run(0, "evaluate", "--run", r.toString(), "--length", "5")[0];
    String diag = run(0, "diagnose", "--run", r.toString(), "--length", "5")[0];
    assertTrue(diag.contains("wrote " + r.resolve("diagnosis.json")), diag);
    Map<?, ?> dj = (Map<?, ?>) Json.parse(Files.readString(r.resolve("diagnosis.json")));
    assertEquals(4, ((List<?>) dj.get("image_factor_cov")).size(), dj.toString());
    assertEquals(4, ((List<?>) dj.get("frame_map")).size(), dj.toString());
    for (String k : new String[] {"frame_elbo_gain_train", "frame_elbo_gain_eval", "frame_elbo_gain_eval_se"}) {
      assertTrue(Double.isFinite(((Number) dj.get(k)).doubleValue()), k + " in " + dj);
    }
    for (String k : new String[] {"encoder_eval_0", "encoder_train_0"}) {
      Map<?, ?> fit = (Map<?, ?>) dj.get(k);
      for (String f : new String[] {"slope", "offset", "residual_var", "raw_mse"}) {
        assertTrue(fit.get(f) instanceof Number && Double.isFinite(((Number) fit.get(f)).doubleValue()), k + "." + f);
      }
    }
    // The image factor as a linear sensor on the encoder's means is the same filter as evaluate's.
    double fm = ((Number) dj.get("filter_mse")).doubleValue();
    Map<?, ?> metrics = (Map<?, ?>) Json.parse(Files.readString(r.resolve(Runs.METRICS)));
    double evaluated = ((Number) metrics.get("filter_mse")).doubleValue();
    assertEquals(evaluated, fm, 1e-4 * evaluated, "diagnosis against evaluate");
    assertTrue(((Number) dj.get("filter_mse_measured_factor")).doubleValue() >= 0, dj.toString());
    failsWith(2, "--length must be at least 2", "diagnose", "--run", r.toString(), "--length", "1");
    assertTrue(eval.contains("filter_mse"), eval);
    for (String f : Figures.NAMES) { // evaluate draws the figures after the metrics
      assertTrue(Files.isRegularFile(r.resolve("figures").resolve(f)), f);
      assertTrue(eval.contains(r.resolve("figures").resolve(f).toString()), eval);
    }
    Map<?, ?> m = (Map<?, ?>) Json.parse(Files.readString(r.resolve(Runs.METRICS)));
    for (String k : new String[] {"filter_mse", "smoother_mse", "state_nll", "coverage_2sigma",
        "filter_mse_aligned"}) {
      assertTrue(m.get(k) instanceof Number && Double.isFinite(((Number) m.get(k)).doubleValue()), k + ": " + m);
    }
    assertEquals(5L, ((Number) m.get("length")).longValue());
    deleteTree(r.resolve("figures"));
    String both = run(0, "evaluate", "--run", r.toString(), "--sensors", "image,linear", "--length", "6",
        "--no-figures")[0];
    assertFalse(Files.exists(r.resolve("figures")), "--no-figures draws nothing");
    failsWith(1, "evaluation length 200 is not in 2..6", "evaluate", "--run", r.toString());
    assertTrue(both.contains("image,linear"), both);
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void reproduceSmokeWritesTheTable() throws Exception {
    Path out = tmp.resolve("repro");
    String log = run(0, "reproduce", "--out", out.toString(), "--train", "6", "--eval", "2", "--eval-length", "5",
        "--steps", "2", "--batch", "2", "--samples", "2", "--cells", "partial,full,none", "--threads", "1")[0];
    assertTrue(log.contains("| pendulum | partial | fixed |"), log);
    List<?> rows = (List<?>) Json.parse(Files.readString(out.resolve("table.json")));
    assertEquals(3, rows.size());
    Map<?, ?> row = (Map<?, ?>) rows.get(1);
    assertEquals("full", row.get("supervision"));
    assertEquals("fixed", row.get("dynamics"));
    assertEquals(0.000211, ((Number) row.get("paper_mse")).doubleValue(), 1e-12);
    assertTrue(row.get("filter_mse") instanceof Number);
    String report = Files.readString(out.resolve("report.md"));
    assertTrue(report.contains("| env | supervision |"), report);
    Map<?, ?> cellConfig = (Map<?, ?>) Json.parse(Files.readString(out.resolve("runs/pendulum-full-fixed/config.json")));
    assertEquals(1L, ((Number) cellConfig.get("frozen_norm_steps")).longValue(), "a quarter of 2 steps, rounded");
    assertEquals(0L, ((Number) cellConfig.get("sign_check_every")).longValue(), "labels fix a supervised sign");
    assertEquals(0.0, ((Number) cellConfig.get("label_dropout")).doubleValue(), 0.0, "the pendulum sees its labels");
    Map<?, ?> noneConfig = (Map<?, ?>) Json.parse(Files.readString(out.resolve("runs/pendulum-none-fixed/config.json")));
    assertEquals(250L, ((Number) noneConfig.get("sign_check_every")).longValue(), noneConfig.toString());
    Map<?, ?> noneModel = (Map<?, ?>) Json.parse(Files.readString(out.resolve("runs/pendulum-none-fixed/model.json")));
    assertEquals(1.0, ((Number) noneModel.get("decoder_sigma")).doubleValue(), 0.0, "σ = 2·32/64 without labels");
    Map<?, ?> longer = (Map<?, ?>) Json.parse(Files.readString(out.resolve("data/pendulum-t20/train/dataset.json")));
    assertEquals(20L, ((Number) longer.get("length")).longValue(), "the unsupervised pendulum's sequences");
    assertEquals(1L, ((Number) longer.get("sequences")).longValue(), "6 sequences of 5 frames → 1 of 20");
    assertEquals(1L, ((Number) noneConfig.get("batch")).longValue(), "2 sequences of 5 frames → 1 of 20");
    assertTrue(report.contains("1 sequences of length 20, batch 1, with ψ fixed their latent centred every 1000 steps;"),
        report);
    assertFalse(report.contains("with ψ learned"), "the grid has no ψ-learned cell: " + report);
    assertEquals(Boolean.TRUE, noneModel.get("latent_offset"), "the unsupervised pendulum can be centred");
    assertEquals(1000L, ((Number) noneConfig.get("centre_every")).longValue(), noneConfig.toString());
    Map<?, ?> fullModel = (Map<?, ?>) Json.parse(Files.readString(out.resolve("runs/pendulum-full-fixed/model.json")));
    assertEquals(Boolean.FALSE, fullModel.get("latent_offset"), "labels fix a supervised origin");
    assertEquals(0L, ((Number) cellConfig.get("centre_every")).longValue(), cellConfig.toString());
    for (String cell : new String[] {"pendulum-partial-fixed", "pendulum-full-fixed"}) {
      for (String f : Figures.NAMES) { // each cell's figures, linked relative to the report
        String link = "runs/" + cell + "/figures/" + f;
        assertTrue(report.contains("(" + link + ")"), link + " in\n" + report);
        assertTrue(Files.isRegularFile(out.resolve(link)), link);
      }
    }
    // Again: every cell is already evaluated and kept.
    String again = run(0, "reproduce", "--out", out.toString(), "--train", "6", "--eval", "2", "--eval-length", "5",
        "--steps", "2", "--batch", "2", "--samples", "2", "--cells", "partial,full,none", "--threads", "1")[0];
    assertTrue(again.contains("already evaluated, kept"), again);
    // Other settings: the kept cells would not be what the table says; refuse, naming the field.
    failsWith(1, "centre_every: 1000 in the run, 0 asked", "reproduce", "--out", out.toString(), "--train", "6",
        "--eval", "2", "--eval-length", "5", "--steps", "2", "--batch", "2", "--samples", "2", "--cells", "none",
        "--centre", "0", "--threads", "1");
    failsWith(1, "steps: 2 in the run, 3 asked", "reproduce", "--out", out.toString(), "--train", "6", "--eval",
        "2", "--eval-length", "5", "--steps", "3", "--batch", "2", "--samples", "2", "--cells", "full", "--threads",
        "1");
    // Five-frame sequences at a batch that rounds to the same size: the data's length tells them apart.
    failsWith(1, "training sequence length: 20 in the run, 5 asked", "reproduce", "--out", out.toString(), "--train",
        "6", "--eval", "2", "--eval-length", "5", "--steps", "2", "--batch", "1", "--samples", "2", "--cells", "none",
        "--unsupervised-length", "5", "--threads", "1");
    // The whole directory moved: an unfinished cell resumes from the data beside it.
    Path moved = tmp.resolve("repro-moved");
    Files.move(out, moved);
    Files.delete(moved.resolve("runs/pendulum-full-fixed/metrics.json"));
    Files.writeString(moved.resolve("runs/pendulum-full-fixed/time.json"), "{\"train_seconds\": 1000.0}\n");
    String resumed = run(0, "reproduce", "--out", moved.toString(), "--train", "6", "--eval", "2", "--eval-length",
        "5", "--steps", "2", "--batch", "2", "--samples", "2", "--cells", "full", "--threads", "1")[0];
    assertTrue(resumed.contains("pendulum-full-fixed: training"), resumed);
    assertTrue(Files.isRegularFile(moved.resolve("runs/pendulum-full-fixed/metrics.json")));
    Map<?, ?> movedConfig = (Map<?, ?>) Json.parse(Files.readString(moved.resolve("runs/pendulum-full-fixed/config.json")));
    assertEquals(moved.resolve("data/pendulum").toAbsolutePath().normalize().toString(), movedConfig.get("data"));
    Map<?, ?> time = (Map<?, ?>) Json.parse(Files.readString(moved.resolve("runs/pendulum-full-fixed/time.json")));
    double seconds = ((Number) time.get("train_seconds")).doubleValue();
    assertTrue(seconds >= 1000 && seconds < 1100, "evaluating again keeps the training's time: " + seconds);
  }

  @Test
  void trainStepBenchmarkPrintsJson() throws Exception {
    String out = run(0, "benchmark", "train-step", "--size", "16", "--nf", "2", "--batch", "2", "--samples", "2",
        "--warmup", "1", "--steps", "3", "--threads", "1", "--json")[0];
    Map<?, ?> r = (Map<?, ?>) Json.parse(out.strip());
    assertTrue(((Number) r.get("median_ms")).doubleValue() > 0, out);
    assertEquals(16L, ((Number) r.get("size")).longValue());
    assertEquals(3L, ((Number) r.get("steps_timed")).longValue());
    failsWith(2, "--size must be a power of two", "benchmark", "train-step", "--size", "48");
    failsWith(2, "missing what to benchmark", "benchmark");
  }

  @Test
  void userErrorsAreOneLine() {
    failsWith(2, "--data is required", "train", "--out", tmp.resolve("x").toString());
    failsWith(1, "not a data set directory", "train", "--data", tmp.resolve("missing").toString(), "--out", tmp.resolve("x").toString());
    failsWith(2, "supervision must be one of none, partial, full", "train", "--data", data().toString(), "--out",
        tmp.resolve("y").toString(), "--supervision", "most");
    failsWith(2, "--steps must be at least 1", "train", "--data", tmp.toString(), "--out", tmp.toString(),
        "--steps", "0");
    failsWith(2, "--decoder-sigma must be positive", "train", "--data", tmp.toString(), "--out", tmp.toString(),
        "--decoder-sigma", "0");
    failsWith(2, "--frozen-norm must be in 0..3 (after the pre-training)", "train", "--data", tmp.toString(), "--out",
        tmp.toString(), "--steps", "4", "--pretrain", "0", "--frozen-norm", "4");
    failsWith(2, "--frozen-norm must be in 0..", "reproduce", "--out", tmp.toString(), "--steps", "4",
        "--frozen-norm", "-1");
    failsWith(1, "holds no run", "train", "--out", tmp.resolve("none").toString(), "--resume");
    failsWith(1, "no such file", "evaluate", "--run", tmp.resolve("none").toString(), "--data", tmp.toString());
    failsWith(2, "--sensors must be image or image,linear", "evaluate", "--run", tmp.toString(), "--sensors", "x");
    failsWith(2, "unknown preset 'huge'", "reproduce", "--preset", "huge", "--out", tmp.toString());
    failsWith(2, "--label-dropout must be in [0, 1), got -0.5", "reproduce", "--out", tmp.toString(),
        "--label-dropout", "-0.5");
    failsWith(2, "--cells lists none, partial or full", "reproduce", "--out", tmp.toString(), "--cells", "most");
    failsWith(2, "--dynamics-rate must be positive, got -0.5", "reproduce", "--out", tmp.toString(),
        "--dynamics-rate", "-0.5");
    failsWith(2, "--spectral-bound must be 0 or positive, got -1.0", "reproduce", "--out", tmp.toString(),
        "--spectral-bound", "-1");
    failsWith(2, "--unsupervised-length must be at least 2, got 1", "reproduce", "--out", tmp.toString(),
        "--unsupervised-length", "1");
    failsWith(2, "--centre must be at least 0, got -2", "reproduce", "--out", tmp.toString(), "--centre", "-2");
  }
}
