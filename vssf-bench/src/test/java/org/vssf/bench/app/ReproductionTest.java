package org.vssf.bench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.nn.io.Json;

/** The presets' per-cell settings. */
class ReproductionTest {
  @Test
  void labelDropoutHidesThePillarsLabelsOnly() {
    Reproduction.Preset p = Reproduction.preset("paper");
    assertEquals(18, p.cells.size());
    for (Reproduction.Cell c : p.cells) {
      float want = c.env.equals("pillars") && !c.supervision.equals("none") ? 0.5f : 0f;
      assertEquals(want, p.labelDropout(c), 0f, c.id());
    }
    p.labelDropoutOverride = 0.25f;
    for (Reproduction.Cell c : p.cells) {
      assertEquals(c.supervision.equals("none") ? 0f : 0.25f, p.labelDropout(c), 0f, "override, " + c.id());
    }
    p.labelDropoutOverride = 0f;
    assertEquals(0f, p.labelDropout(new Reproduction.Cell("pillars", "full", "fixed")), 0f, "override off");
  }

  @Test
  void unsupervisedCellsTrainOnLongerSequencesWithAsManyFrames() {
    Reproduction.Preset p = Reproduction.preset("paper");
    for (Reproduction.Cell c : p.cells) {
      boolean longer = c.supervision.equals("none");
      assertEquals(longer ? 20 : 5, p.trainLength(c), c.id());
      assertEquals(longer ? 2500 : 10000, p.trainSequences(c), c.id());
      assertEquals(longer ? 8 : 32, p.batch(c), c.id());
      assertEquals(longer ? c.env + "-t20" : c.env, p.dataName(c), c.id());
    }
    Reproduction.Cell none = new Reproduction.Cell("pendulum", "none", "fixed");
    p.unsupervisedLengthOverride = 5;
    assertEquals(5, p.trainLength(none), "override to the paper's T");
    assertEquals("pendulum", p.dataName(none), "T = 5 shares the supervised cells' data");
    p.unsupervisedLengthOverride = 40;
    p.train = 6;
    p.batch = 2;
    assertEquals(1, p.trainSequences(none), "never fewer than one sequence");
    assertEquals(1, p.batch(none), "never fewer than one sequence per step");
  }

  /**
   * A learned-dynamics rule: {@code unsupervised} on the unsupervised ψ-learned cells and {@code off}
   * elsewhere; once overridden, the override on every ψ-learned cell.
   */
  private static void assertLearnedRule(java.util.function.BiFunction<Reproduction.Preset, Reproduction.Cell, Float> rule,
      java.util.function.BiConsumer<Reproduction.Preset, Float> override, float unsupervised, float off) {
    Reproduction.Preset p = Reproduction.preset("paper");
    for (Reproduction.Cell c : p.cells) {
      boolean applies = c.supervision.equals("none") && c.dynamics.equals("learned");
      assertEquals(applies ? unsupervised : off, rule.apply(p, c), 0f, c.id());
    }
    override.accept(p, 0.5f);
    for (Reproduction.Cell c : p.cells) {
      assertEquals(c.dynamics.equals("learned") ? 0.5f : off, rule.apply(p, c), 0f, "override, " + c.id());
    }
  }

  @Test
  void onlyUnsupervisedLearnedCellsBoundA() {
    assertLearnedRule(Reproduction.Preset::spectralBound, (p, v) -> p.spectralBoundOverride = v, 1f, 0f);
    Reproduction.Preset p = Reproduction.preset("paper");
    p.spectralBoundOverride = 0f;
    assertEquals(0f, p.spectralBound(new Reproduction.Cell("blocks", "none", "learned")), 0f, "override off");
  }

  @Test
  void onlyUnsupervisedLearnedCellsLearnTheirDynamicsSlowly() {
    assertLearnedRule(Reproduction.Preset::dynamicsRate, (p, v) -> p.dynamicsRateOverride = v, 0.1f, 1f);
    Reproduction.Preset p = Reproduction.preset("paper");
    for (Reproduction.Cell c : p.cells) {
      assertEquals(p.dynamicsRate(c), Reproduction.cellSettings(p, c, Path.of("d")).trainer.dynamicsRateFactor, 0f,
          "settings, " + c.id());
    }
  }

  @Test
  void reportHeaderNamesTheUnsupervisedRulesOfTheCellsItHolds(@TempDir Path dir)
      throws Exception {
    Reproduction.Preset p = Reproduction.preset("paper");
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String[] c : new String[][] {{"none", "learned"}, {"full", "learned"}}) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("env", "pendulum");
      r.put("supervision", c[0]);
      r.put("dynamics", c[1]);
      rows.add(r);
    }
    Path file = dir.resolve("report.md");
    Reproduction.writeReport(p, rows, file);
    String header = Files.readString(file);
    assertTrue(header.contains("2500 sequences of length 20, batch 8, with ψ learned"
        + " ‖A‖₂ ≤ 1.00 and A, B learned at 0.100× the rate;"), header);
    assertFalse(header.contains("with ψ fixed"), "no ψ-fixed cell: " + header);
    p.dynamicsRateOverride = 0.5f;
    Reproduction.writeReport(p, rows, file);
    header = Files.readString(file);
    assertTrue(header.contains("A, B learned at 0.500× the rate;")
        && header.contains("of the sequences; with ψ learned A, B at 0.500× the rate)"), header);
  }

  @Test
  void anInterruptedCellKeepsTheTimeItTrainedUpToItsCheckpoint(@TempDir Path dir) throws Exception {
    Reproduction.Preset p = Reproduction.preset("quick");
    p.cells = List.of(new Reproduction.Cell("pendulum", "full", "fixed"));
    p.train = 6;
    p.eval = 2;
    p.evalLength = 5;
    p.steps = 8;
    p.pretrain = 1;
    p.batch = 2;
    p.samples = 2;
    Path run = dir.resolve("runs/pendulum-full-fixed");
    // The log fails on step 7's progress line: steps 2, 4 and 6 were checkpointed (every 8/4 steps).
    Writer failing = new StringWriter() {
      @Override
      public void write(String str, int off, int len) {
        if (str.contains("step 7/8")) {
          throw new IllegalStateException("interrupted");
        }
        super.write(str, off, len);
      }
    };
    assertThrows(IllegalStateException.class, () -> Reproduction.run(p, dir, 1, new PrintWriter(failing)));
    assertFalse(Files.exists(run.resolve("metrics.json")), "not evaluated");
    double partial = ((Number) ((Map<?, ?>) Json.parse(Files.readString(run.resolve("time.json"))))
        .get("train_seconds")).doubleValue();
    assertTrue(partial > 0, "the time up to the checkpoint at step 6 is recorded: " + partial);
    Reproduction.run(p, dir, 1, new PrintWriter(new StringWriter()));
    double total = ((Number) ((Map<?, ?>) Json.parse(Files.readString(run.resolve("time.json"))))
        .get("train_seconds")).doubleValue();
    assertTrue(total > partial, "the resumed run adds to it: " + partial + " then " + total);
    assertTrue(Files.exists(run.resolve("metrics.json")));
  }

  @Test
  void onlyUnsupervisedFixedCellsAreCentred() {
    for (String name : new String[] {"quick", "paper"}) {
      Reproduction.Preset p = Reproduction.preset(name);
      for (Reproduction.Cell c : p.cells) {
        boolean centred = c.supervision.equals("none") && c.dynamics.equals("fixed");
        assertEquals(centred ? 1000 : 0, p.centreEvery(c), name + " " + c.id());
      }
      p.centreEvery = 0;
      assertEquals(0, p.centreEvery(new Reproduction.Cell("pendulum", "none", "fixed")), "off");
    }
  }

  @Test
  void modelJsonWithoutLatentOffsetReadsAsNone() throws Exception {
    ModelConfig c = new ModelConfig();
    c.environment = "pendulum";
    c.size = 16;
    c.nf = 2;
    c.m = 1;
    c.p = 0;
    c.initL = 0.1f;
    c.minCov = 0.01f;
    c.a = new double[] {1};
    c.b = new double[0];
    c.initialCov = new double[] {1};
    c.latentOffset = true;
    java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(c.toJson());
    assertEquals(true, ModelConfig.fromJson(json).latentOffset);
    json.remove("latent_offset");
    assertEquals(false, ModelConfig.fromJson(json).latentOffset, "written before the option existed");
    json.put("latent_offset", "yes");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ModelConfig.fromJson(json));
    assertEquals("model.json: field 'latent_offset' must be true or false", e.getMessage());
  }

  @Test
  void quickPresetIsThePendulumWithoutLabelDropout() {
    Reproduction.Preset p = Reproduction.preset("quick");
    assertEquals(3, p.cells.size());
    for (Reproduction.Cell c : p.cells) {
      assertEquals("pendulum", c.env);
      assertEquals(0f, p.labelDropout(c), 0f, c.id());
    }
    assertEquals(1f, p.unsupervisedSigma(), 0f, "σ = 2·32/64");
    assertEquals(1000, p.frozenNorm(), "a quarter of 4 000 steps");
    assertThrows(IllegalArgumentException.class, () -> Reproduction.preset("huge"));
  }
}
