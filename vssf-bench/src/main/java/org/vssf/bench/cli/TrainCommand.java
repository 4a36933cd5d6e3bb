package org.vssf.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vssf.bench.app.ModelConfig;
import org.vssf.bench.app.Runs;
import org.vssf.bench.data.DataSetInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vssf train}: train an L-VSSF model on a data set's training split. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = Vssf.Version.class,
    description = {"Train an L-VSSF model on DIR/train (images, plus a linear sensor on the true state"
        + " with --supervision partial|full).",
        "RUN receives model.json, config.json, metrics.csv and checkpoint.safetensors; an interrupted"
            + " run continues bitwise-identically with --resume."},
    footer = {"", "Example:", "  vssf train --data data/pendulum --out runs/partial --supervision partial"})
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--data", paramLabel = "DIR", description = "Data set directory (from 'vssf generate').")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "RUN", description = "Run directory.")
  Path out;

  @Option(names = "--supervision", defaultValue = "partial", paramLabel = "KIND",
      description = "none, partial (θ, or x and y) or full (the whole state) (default: ${DEFAULT-VALUE}).")
  String supervision;

  @Option(names = "--dynamics", defaultValue = "fixed", paramLabel = "KIND",
      description = "fixed (the data's A, B) or learned (A from I) (default: ${DEFAULT-VALUE}).")
  String dynamics;

  @Option(names = "--steps", defaultValue = "4000", paramLabel = "N",
      description = "Optimiser steps, pre-training included (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--pretrain", paramLabel = "N",
      description = "Decoder-only steps first (default: 500, at most half of --steps).")
  Integer pretrain;

  @Option(names = "--batch", defaultValue = "32", paramLabel = "B",
      description = "Sequences per step (default: ${DEFAULT-VALUE}; the paper: 128).")
  int batch;

  @Option(names = "--samples", defaultValue = "64", paramLabel = "S",
      description = "Backward samples for the KL term (default: ${DEFAULT-VALUE}; the paper: 1024).")
  int samples;

  @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "RATE",
      description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
  float lr;

  @Option(names = "--nf", paramLabel = "N", description = "Network width (default: 16 at 32 px, 32 at 64 px).")
  Integer nf;

  @Option(names = "--spectral-bound", defaultValue = "0", paramLabel = "R",
      description = "With --dynamics learned: keep ‖A‖₂ ≤ R (0: off) (default: ${DEFAULT-VALUE}).")
  float spectralBound;

  @Option(names = "--decoder-sigma", defaultValue = "2", paramLabel = "SIGMA",
      description = "Pixel standard deviation of the decoder's Gaussian likelihood, pixels in [-1, 1]"
          + " (default: ${DEFAULT-VALUE}, the paper's).")
  float decoderSigma;

  @Option(names = "--min-cov", paramLabel = "EPS",
      description = "Floor ε of the image factor's covariance L(x)·L(x)ᵀ + ε·I (default: the reference's,"
          + " 0.001 for the pendulum, 0.005 for the camera scenes).")
  Float minCov;

  @Option(names = "--sensor-dropout", defaultValue = "0", paramLabel = "P",
      description = "Hide each sensor from the filter for a whole sequence with probability P"
          + " (default: ${DEFAULT-VALUE}).")
  float sensorDropout;

  @Option(names = "--label-dropout", defaultValue = "0", paramLabel = "P",
      description = "Hide the linear sensor (the labels) from the filter for a whole sequence with probability P,"
          + " so those sequences train the images-only filter; the images are always seen (beyond the paper;"
          + " default: ${DEFAULT-VALUE}).")
  float labelDropout;

  @Option(names = "--frozen-norm", defaultValue = "0", paramLabel = "N",
      description = "Train the last N steps with batch norm on its running statistics, frozen, so the"
          + " ELBO fits the encoder that filters after training (beyond the paper; default: ${DEFAULT-VALUE}).")
  int frozenNorm;

  @Option(names = "--sign-check", defaultValue = "0", paramLabel = "N",
      description = "Every N steps after the pre-training, keep the model or a reflection of its latent (z -> -z;"
          + " per axis, or axes swapped, where the dynamics allow), whichever has the better ELBO on a batch: only"
          + " the controls fix an unsupervised latent's signs and axes, and gradient descent cannot flip them"
          + " (beyond the paper; 0: off; default: ${DEFAULT-VALUE}).")
  int signCheck;

  @Option(names = "--centre", defaultValue = "0", paramLabel = "N",
      description = "Every N steps after the pre-training and before the last step, move the latent by the constant"
          + " that best fits the model's prior on z1 and its dynamics to the posterior over every training sequence,"
          + " exactly, through an offset after the encoder's 10*tanh: where A - I is nearly singular nothing else"
          + " pins the latent's origin (beyond the paper; 0: off; default: ${DEFAULT-VALUE}).")
  int centre;

  @Option(names = "--dynamics-rate", defaultValue = "1", paramLabel = "F",
      description = "With --dynamics learned: train A and B at F times the learning rate, so the encoder and decoder"
          + " settle before the dynamics are fitted to them (beyond the paper; default: ${DEFAULT-VALUE}).")
  float dynamicsRate;

  @Option(names = "--threads", paramLabel = "K", description = "Worker threads (default: the number of processors).")
  Integer threads;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--resume", description = "Continue the run in RUN (its settings; --steps may extend it).")
  boolean resume;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CliChecks.threads(spec, threads);
    PrintWriter log = spec.commandLine().getOut();
    if (resume) {
      Runs.train(out, null, null, true, spec.commandLine().getParseResult().hasMatchedOption("--steps") ? steps : 0,
          log);
      return 0;
    }
    if (data == null) {
      throw new ParameterException(spec.commandLine(), "--data is required (unless --resume)");
    }
    require(steps >= 1, "--steps must be at least 1, got " + steps);
    if (pretrain == null) {
      pretrain = Math.min(500, steps / 2);
    }
    require(pretrain >= 0 && pretrain < steps, "--pretrain must be in 0.." + (steps - 1) + ", got " + pretrain);
    require(batch >= 1, "--batch must be at least 1, got " + batch);
    require(samples >= 1, "--samples must be at least 1, got " + samples);
    require(lr > 0 && Float.isFinite(lr), "--lr must be positive, got " + lr);
    require(decoderSigma > 0 && Float.isFinite(decoderSigma), "--decoder-sigma must be positive, got "
        + decoderSigma);
    require(sensorDropout >= 0 && sensorDropout < 1, "--sensor-dropout must be in [0, 1), got " + sensorDropout);
    require(labelDropout >= 0 && labelDropout < 1, "--label-dropout must be in [0, 1), got " + labelDropout);
    require(labelDropout == 0 || !supervision.equals("none"), "--label-dropout needs labels: --supervision"
        + " partial or full");
    require(frozenNorm >= 0 && frozenNorm < steps - pretrain, "--frozen-norm must be in 0.." + (steps - pretrain - 1)
        + " (after the pre-training), got " + frozenNorm);
    require(signCheck >= 0, "--sign-check must be at least 0, got " + signCheck);
    require(centre >= 0, "--centre must be at least 0, got " + centre);
    require(dynamicsRate > 0 && Float.isFinite(dynamicsRate), "--dynamics-rate must be positive, got "
        + dynamicsRate);
    require(dynamicsRate == 1 || dynamics.equals("learned"), "--dynamics-rate needs --dynamics learned");
    ModelConfig model;
    try {
      model = ModelConfig.forData(DataSetInfo.read(data.resolve("train")), supervision, dynamics);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (nf != null) {
      require(nf >= 1, "--nf must be at least 1, got " + nf);
      model.nf = nf;
    }
    if (minCov != null) {
      require(minCov > 0 && Float.isFinite(minCov), "--min-cov must be positive, got " + minCov);
      model.minCov = minCov;
    }
    model.spectralBound = spectralBound;
    model.latentOffset = centre > 0;
    model.sigma = decoderSigma;
    Runs.Settings settings = new Runs.Settings();
    settings.data = data;
    settings.batch = batch;
    settings.trainer.steps = steps;
    settings.trainer.pretrainSteps = pretrain;
    settings.trainer.samples = samples;
    settings.trainer.learningRate = lr;
    settings.trainer.sensorDropout = sensorDropout;
    settings.trainer.labelDropout = labelDropout;
    settings.trainer.frozenNormSteps = frozenNorm;
    settings.trainer.signCheckEvery = signCheck;
    settings.trainer.centreEvery = centre;
    settings.trainer.dynamicsRateFactor = dynamicsRate;
    settings.trainer.seed = seed;
    settings.trainer.logEvery = Math.max(1, Math.min(50, steps / 20));
    settings.trainer.checkpointEvery = Math.max(1, Math.min(500, steps / 4));
    Runs.train(out, model, settings, false, 0, log);
    return 0;
  }

  private void require(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }
}
