package org.vssf.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.bench.app.LvssfModel;
import org.vssf.bench.app.Runs;
import org.vssf.bench.app.SequenceData;
import org.vssf.filter.FilterResult;
import org.vssf.filter.InformationFilter;
import org.vssf.filter.Sensor;

/**
 * {@code vssf filter} end to end on a tiny trained run: the CSV and figure it writes, agreement of
 * the streaming filter with the batch information filter, and its error paths.
 */
class FilterCliTest {
  @TempDir
  static Path tmp;

  static Path data;
  static Path run;

  private static String[] cli(int expectedCode, String... args) {
    return CliRuns.run(expectedCode, args);
  }

  private static void failsWith(int code, String expected, String... args) {
    CliRuns.failsWith(code, expected, args);
  }


  @BeforeAll
  static void tinyRun() {
    data = tmp.resolve("data");
    run = tmp.resolve("run");
    cli(0, "generate", "--env", "pendulum", "--out", data.toString(), "--size", "16", "--train", "6", "--test", "0",
        "--length", "3", "--eval", "2", "--eval-length", "7", "--threads", "1");
    cli(0, "train", "--data", data.toString(), "--out", run.toString(), "--steps", "3", "--pretrain", "1", "--batch",
        "2", "--samples", "3", "--threads", "1");
  }

  /** The CSV's rows after the header, as numbers. */
  private static double[][] readCsv(Path file, int columns) throws Exception {
    List<String> lines = Files.readAllLines(file);
    assertEquals("t,state_1,state_2,mean_1,mean_2,var_1,var_2", lines.get(0));
    double[][] rows = new double[lines.size() - 1][];
    for (int r = 1; r < lines.size(); r++) {
      String[] f = lines.get(r).split(",");
      assertEquals(columns, f.length, lines.get(r));
      rows[r - 1] = new double[columns];
      for (int c = 0; c < columns; c++) {
        rows[r - 1][c] = Double.parseDouble(f[c]);
        assertTrue(Double.isFinite(rows[r - 1][c]), lines.get(r));
      }
      assertEquals(r - 1, rows[r - 1][0], "t");
    }
    return rows;
  }

  @Test
  void filtersOneTrajectoryLikeTheBatchFilter() throws Exception {
    String out = cli(0, "filter", "--run", run.toString(), "--index", "1", "--threads", "1")[0];
    assertTrue(out.contains("trajectory 1, 7 steps"), out);
    assertTrue(out.contains("filter MSE on θ: "), out);
    assertTrue(out.contains("mean time per step: ") && out.contains(" µs"), out);
    Path csv = run.resolve("filter-1.csv");
    double[][] rows = readCsv(csv, 7);
    assertEquals(7, rows.length, "one row per step");
    for (double[] r : rows) {
      assertTrue(r[5] > 0 && r[6] > 0, "variances are positive");
    }
    var png = ImageIO.read(run.resolve("figures").resolve("filter-1.png").toFile());
    assertNotNull(png);
    assertEquals(1000, png.getWidth());

    // The streaming filter is the batch information filter, one step at a time.
    LvssfModel model = Runs.load(run);
    model.train(false);
    SequenceData eval = SequenceData.load(data.resolve("eval"), model.config.supervised(), 1);
    int[] idx = {1};
    try (Tape.Scope noGrad = Tape.noGrad()) {
      Tensor u = eval.controls(idx);
      FilterResult f = InformationFilter.run(model.dynamics, List.<Sensor>of(model.image), List.of(eval.images(idx)),
          null, u);
      float[] states = eval.states(idx).data();
      for (int t = 0; t < 7; t++) {
        float[] mu = f.filteredMean(t).data();
        float[] cov = f.filteredCov(t).data();
        for (int i = 0; i < 2; i++) {
          assertEquals(states[t * 2 + i], rows[t][1 + i], 1e-6, "state " + i + " at t=" + t);
          assertEquals(mu[i], rows[t][3 + i], 1e-3, "mean " + i + " at t=" + t);
          assertEquals(cov[i * 2 + i], rows[t][5 + i], 1e-3 * Math.max(1, cov[i * 2 + i]), "var " + i + " at t=" + t);
        }
      }
    }

    String shorter = cli(0, "filter", "--run", run.toString(), "--index", "0", "--length", "4", "--data",
        data.toString())[0];
    assertTrue(shorter.contains("trajectory 0, 4 steps"), shorter);
    assertEquals(4, readCsv(run.resolve("filter-0.csv"), 7).length);
  }

  @Test
  void helpAndRegistration() {
    String help = cli(0, "filter", "--help")[0];
    for (String option : new String[] {"--run", "--data", "--index", "--length", "--threads"}) {
      assertTrue(help.contains(option), option + " in\n" + help);
    }
    assertTrue(cli(0, "--help")[0].contains("filter"));
  }

  @Test
  void userErrorsAreOneLine() {
    String r = run.toString();
    failsWith(2, "Missing required option: '--index=I'", "filter", "--run", r);
    failsWith(2, "--index must be at least 0, got -1", "filter", "--run", r, "--index", "-1");
    failsWith(2, "--length must be at least 1, got 0", "filter", "--run", r, "--index", "0", "--length", "0");
    failsWith(2, "Invalid value for option '--index'", "filter", "--run", r, "--index", "first");
    failsWith(1, "--index 2 is not in 0..1 (the evaluation split has 2 trajectories)", "filter", "--run", r,
        "--index", "2");
    failsWith(1, "--length 8 is not in 1..7", "filter", "--run", r, "--index", "0", "--length", "8");
    failsWith(1, "holds no trained run (missing model.json)", "filter", "--run", tmp.resolve("none").toString(),
        "--index", "0");
    failsWith(1, "no such data set directory", "filter", "--run", r, "--index", "0", "--data",
        tmp.resolve("nowhere").toString());
  }
}
