package org.vssf.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vssf.bench.app.Diagnosis;
import org.vssf.bench.app.LvssfModel;
import org.vssf.bench.app.Runs;
import org.vssf.bench.app.SequenceData;
import org.vssf.nn.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vssf diagnose}: where a trained run's filter error comes from. */
@Command(name = "diagnose", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = Vssf.Version.class,
    description = {"Take a trained run's filter error apart on DIR/eval and write RUN/diagnosis.json:",
        "image_factor_cov: the image factor's covariance L Lᵀ + εI (row-major);",
        "encoder_eval_C / encoder_train_C: the encoder's single-frame estimate of measured component C"
            + " fitted as slope·z + offset (residual variance, raw MSE), with the running batch-norm"
            + " statistics (the encoder that filters) and inside training batches (the encoder the"
            + " ELBO trained);",
        "filter_mse / filter_mse_measured_factor: the filter (images only) with the image factor as"
            + " trained, and restricted to the measured components;",
        "frame_map / frame_offset / frame_residual_var: the filtered means fitted as M·z + c on the state;",
        "frame_elbo_gain_train / _eval (and _se): the ELBO per sequence of the model with its dynamics"
            + " re-expressed in that frame minus its own, on training batches and on the trajectories"
            + " (positive: the data prefer the state's scales and axes)."},
    footer = {"", "Example:", "  vssf diagnose --run runs/partial"})
final class DiagnoseCommand implements Callable<Integer> {
  @Option(names = "--run", required = true, paramLabel = "RUN", description = "Run directory.")
  Path run;

  @Option(names = "--data", paramLabel = "DIR", description = "Data set (default: the one the run trained on).")
  Path data;

  @Option(names = "--length", defaultValue = "200", paramLabel = "T'",
      description = "Steps of each trajectory (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
      description = "Seed of the training batches the training-mode pass uses (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--threads", paramLabel = "K", description = "Worker threads (default: the number of processors).")
  Integer threads;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CliChecks.threads(spec, threads);
    if (length < 2) {
      throw new ParameterException(spec.commandLine(), "--length must be at least 2, got " + length);
    }
    Path dir = data != null ? data : Runs.dataOf(run);
    LvssfModel model = Runs.load(run);
    SequenceData eval = SequenceData.load(dir.resolve("eval"), model.config.supervised(), 1);
    SequenceData train = SequenceData.load(dir.resolve("train"), model.config.supervised(), Runs.batchOf(run));
    Runs.checkCompatible(model.config, eval.info());
    Map<String, Object> d = Diagnosis.run(model, eval, train, Math.min(length, eval.length()), seed);
    d.putAll(Diagnosis.frame(model, eval, train, Math.min(length, eval.length()), Runs.samplesOf(run), seed));
    Runs.writeJson(run.resolve("diagnosis.json"), d);
    PrintWriter out = spec.commandLine().getOut();
    for (Map.Entry<String, Object> e : d.entrySet()) {
      out.printf("%-28s %s%n", e.getKey(), Json.write(e.getValue()));
    }
    out.printf("wrote %s%n", run.resolve("diagnosis.json"));
    out.flush();
    return 0;
  }
}
