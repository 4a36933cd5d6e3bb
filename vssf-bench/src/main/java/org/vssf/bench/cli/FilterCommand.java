package org.vssf.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vssf.bench.app.LvssfModel;
import org.vssf.bench.app.OnlineRun;
import org.vssf.bench.app.Runs;
import org.vssf.bench.app.SequenceData;
import org.vssf.bench.figures.Figures;
import org.vssf.filter.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vssf filter}: the deployment filter, step by step, on one evaluation trajectory. */
@Command(name = "filter", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = Vssf.Version.class,
    description = {"Run the streaming deployment filter (OnlineFilter, image sensor only) of a trained run"
        + " on evaluation trajectory I of DIR/eval, one frame and control at a time.",
        "Writes RUN/filter-I.csv (t, state_1..state_m, mean_1..mean_m, var_1..var_m: the true state, the"
            + " filtered mean and the diagonal of its covariance; for the pendulum component 1 is θ) and"
            + " RUN/figures/filter-I.png (mean ±2σ against the truth), and prints the MSE on the measured"
            + " components (θ, or x and y) and the mean time per step."},
    footer = {"", "Example:", "  vssf filter --run runs/partial --index 3"})
final class FilterCommand implements Callable<Integer> {
  @Option(names = "--run", required = true, paramLabel = "RUN", description = "Run directory.")
  Path run;

  @Option(names = "--data", paramLabel = "DIR", description = "Data set (default: the one the run trained on).")
  Path data;

  @Option(names = "--index", required = true, paramLabel = "I", description = "Evaluation trajectory, from 0.")
  int index;

  @Option(names = "--length", paramLabel = "T'", description = "Steps to filter (default: the whole trajectory).")
  Integer length;

  @Option(names = "--threads", paramLabel = "K", description = "Worker threads (default: the number of processors).")
  Integer threads;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CliChecks.threads(spec, threads);
    if (index < 0) {
      throw new ParameterException(spec.commandLine(), "--index must be at least 0, got " + index);
    }
    if (length != null && length < 1) {
      throw new ParameterException(spec.commandLine(), "--length must be at least 1, got " + length);
    }
    for (String f : new String[] {Runs.MODEL, Runs.CONFIG, Trainer.CHECKPOINT}) {
      if (!Files.isRegularFile(run.resolve(f))) {
        throw new IOException(run + " holds no trained run (missing " + f + ")");
      }
    }
    Path dir = data != null ? data : Runs.dataOf(run);
    LvssfModel model = Runs.load(run);
    SequenceData eval = SequenceData.load(dir.resolve("eval"), model.config.supervised(), 1);
    OnlineRun r = OnlineRun.filter(model, eval, index, length == null ? eval.length() : length);
    Path csv = run.resolve("filter-" + index + ".csv");
    r.writeCsv(csv);
    String title = String.format(Locale.ROOT, "Evaluation trajectory %d: online filter, images only — %s", index,
        run.toAbsolutePath().normalize().getFileName());
    Path png = Figures.track(Figures.dir(run).resolve("filter-" + index + ".png"), title, model.config, r.length,
        r.truth, r.mean, r.variance);
    PrintWriter out = spec.commandLine().getOut();
    int[] measured = model.config.measured();
    String[] names = Figures.stateNames(model.config);
    StringBuilder which = new StringBuilder();
    for (int c : measured) {
      which.append(which.length() == 0 ? "" : ", ").append(names[c]);
    }
    out.printf(Locale.ROOT, "trajectory %d, %d steps%n", index, r.length);
    out.printf(Locale.ROOT, "filter MSE on %s: %.6g%n", which, r.mse(measured));
    out.printf(Locale.ROOT, "mean time per step: %.1f µs (median %.1f µs; image encoder included)%n",
        r.meanStepMicros(), r.medianStepMicros());
    out.printf("wrote %s and %s%n", csv, png);
    out.flush();
    return 0;
  }
}
