package org.vssf.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vssf.bench.app.Runs;
import org.vssf.bench.figures.Figures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vssf evaluate}: filter the evaluation trajectories and score the run. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = Vssf.Version.class,
    description = {"Filter DIR/eval with a trained run and write RUN/metrics.json: filter_mse (raw, as the"
        + " paper), filter_mse_aligned (after the best affine latent-to-state map, held out),"
        + " smoother_mse, state_nll and coverage_2sigma.",
        "Then draw RUN/figures/: training.png (loss, KL, reconstruction), reconstructions.png (frames and"
            + " the decoded filtered mean), latent.png (filtered means coloured by the true state) and"
            + " trajectory.png (filtered mean ±2σ against the truth on trajectory 0)."},
    footer = {"", "Example:", "  vssf evaluate --run runs/partial --data data/pendulum"})
final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--run", required = true, paramLabel = "RUN", description = "Run directory.")
  Path run;

  @Option(names = "--data", paramLabel = "DIR", description = "Data set (default: the one the run trained on).")
  Path data;

  @Option(names = "--length", defaultValue = "200", paramLabel = "T'",
      description = "Steps of each trajectory to filter (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--sensors", defaultValue = "image", paramLabel = "LIST",
      description = "image, or image,linear (default: ${DEFAULT-VALUE}).")
  String sensors;

  @Option(names = "--no-figures", description = "Write metrics.json only, no figures.")
  boolean noFigures;

  @Option(names = "--threads", paramLabel = "K", description = "Worker threads (default: the number of processors).")
  Integer threads;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CliChecks.threads(spec, threads);
    boolean withLinear;
    if (sensors.equals("image")) {
      withLinear = false;
    } else if (sensors.equals("image,linear") || sensors.equals("linear,image")) {
      withLinear = true;
    } else {
      throw new ParameterException(spec.commandLine(), "--sensors must be image or image,linear, got '" + sensors + "'");
    }
    if (length < 2) {
      throw new ParameterException(spec.commandLine(), "--length must be at least 2, got " + length);
    }
    Path dir = data != null ? data : Path.of(String.valueOf(Runs.dataOf(run)));
    Map<String, Object> m = Runs.evaluate(run, dir, length, withLinear);
    PrintWriter out = spec.commandLine().getOut();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      out.printf("%-26s %s%n", e.getKey(), e.getValue());
    }
    out.printf("wrote %s%n", run.resolve(Runs.METRICS));
    out.flush();
    if (!noFigures) {
      for (Path f : Figures.writeAll(run, dir, length)) {
        out.printf("wrote %s%n", f);
      }
      out.flush();
    }
    return 0;
  }
}
