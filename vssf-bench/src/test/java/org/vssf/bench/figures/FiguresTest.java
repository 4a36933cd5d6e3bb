package org.vssf.bench.figures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.bench.cli.Vssf;

/**
 * Every figure of a tiny trained run (16×16 pendulum, 3 steps): written where documented, a PNG
 * that reads back at the layout's size, not blank, and no temporary file left behind.
 */
class FiguresTest {
  @TempDir
  static Path tmp;

  static Path data;
  static Path run;

  @BeforeAll
  static void tinyRun() {
    data = tmp.resolve("data");
    run = tmp.resolve("run");
    cli("generate", "--env", "pendulum", "--out", data.toString(), "--size", "16", "--train", "6", "--test", "0",
        "--length", "3", "--eval", "3", "--eval-length", "6", "--threads", "1");
    cli("train", "--data", data.toString(), "--out", run.toString(), "--steps", "3", "--pretrain", "1", "--batch",
        "2", "--samples", "3", "--threads", "1");
  }

  private static void cli(String... args) {
    StringWriter err = new StringWriter();
    int code = Vssf.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)).execute(args);
    assertEquals(0, code, String.join(" ", args) + ": " + err);
  }

  /**
   * Reads a PNG back and checks its size (a negative width: at least that wide) and that it is not
   * blank (several distinct colours).
   */
  static BufferedImage assertPng(Path file, int width, int height) throws Exception {
    assertTrue(Files.isRegularFile(file), file + " exists");
    byte[] head = new byte[8];
    try (var in = Files.newInputStream(file)) {
      assertEquals(8, in.read(head));
    }
    assertEquals((byte) 0x89, head[0], "PNG signature");
    assertEquals('P', head[1]);
    BufferedImage img = ImageIO.read(file.toFile());
    assertNotNull(img, file + " reads as an image");
    if (width > 0) {
      assertEquals(width, img.getWidth(), file + " width");
    } else {
      assertTrue(img.getWidth() >= -width, file + " width " + img.getWidth() + " < " + -width);
    }
    assertEquals(height, img.getHeight(), file + " height");
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        colours.add(img.getRGB(x, y) & 0xFFFFFF);
      }
    }
    assertTrue(colours.size() >= 8, file + " has only " + colours.size() + " colours");
    return img;
  }

  private static void assertNoTemporaryFiles(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> assertFalse(p.getFileName().toString().endsWith(".tmp"), "left behind: " + p));
    }
  }

  @Test
  void writeAllWritesEveryFigure() throws Exception {
    List<Path> files = Figures.writeAll(run, data);
    assertEquals(Figures.NAMES.size(), files.size(), files.toString());
    for (int i = 0; i < files.size(); i++) {
      assertEquals(run.resolve("figures").resolve(Figures.NAMES.get(i)), files.get(i));
    }
    assertEquals("true", System.getProperty("java.awt.headless"));
    BufferedImage training = assertPng(files.get(0), 1120, 36 + 2 * 360);
    int[] strip = Figures.stripSize(16, 3, 6); // 3 trajectories, 6 frames (the whole trajectory)
    assertPng(files.get(1), -strip[0], strip[1]);
    assertPng(files.get(2), -720, 36 + 560);
    assertPng(files.get(3), 1000, 36 + 360 + 270);
    assertTrue(training.getWidth() > 0);
    assertNoTemporaryFiles(run.resolve("figures"));
    // Again: the files are replaced in place.
    assertEquals(files, Figures.writeAll(run, data, 4));
    assertNoTemporaryFiles(run.resolve("figures"));
  }

  @Test
  void singleFiguresTakeTheirOptions() throws Exception {
    Path strip = Figures.reconstructions(run, data, new int[] {2, 0}, 3, 5);
    int[] size = Figures.stripSize(16, 2, 3);
    assertPng(strip, -size[0], size[1]);
    assertPng(Figures.trajectories(run, data, 2, 4), 1000, 36 + 360 + 270);
    assertPng(Figures.latentScatter(run, data, 3), -720, 36 + 560);
    assertPng(Figures.trainingCurves(run), 1120, 36 + 2 * 360);
  }

  @Test
  void layoutHelpers() {
    assertEquals(6, Figures.scale(16));
    assertEquals(3, Figures.scale(32));
    assertEquals(2, Figures.scale(64));
    assertEquals(1, Figures.scale(128));
    assertEquals(List.of(0, 28, 57, 85, 114, 142, 171, 199), toList(Figures.frameSteps(200, 8)));
    assertEquals(List.of(0, 1, 2), toList(Figures.frameSteps(3, 8)));
    assertEquals(List.of(0), toList(Figures.frameSteps(5, 1)));
  }

  @Test
  void badInputsAreClearErrors() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Figures.trajectories(run, data, 3, 6));
    assertTrue(e.getMessage().contains("trajectory 3 is not in 0..2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Figures.latentScatter(run, data, 1));
    Path empty = tmp.resolve("empty-run");
    Files.createDirectories(empty);
    e = assertThrows(IllegalArgumentException.class, () -> Figures.trainingCurves(empty));
    assertTrue(e.getMessage().contains("has no rows yet"), e.getMessage());
    Files.writeString(empty.resolve("metrics.csv"), "step,loss\n1,2\n");
    java.io.IOException io = assertThrows(java.io.IOException.class, () -> Figures.trainingCurves(empty));
    assertTrue(io.getMessage().contains("no column 'kl'"), io.getMessage());
  }

  private static List<Integer> toList(int[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }
}
