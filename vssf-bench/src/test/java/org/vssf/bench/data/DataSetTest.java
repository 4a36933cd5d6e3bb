package org.vssf.bench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.bench.env.Dynamics;
import org.vssf.bench.env.Environment;
import org.vssf.bench.env.Renderer;
import org.vssf.testing.SeededTest;

/** Data-set directories: round trip, consistency checks across files, and generation. */
class DataSetTest extends SeededTest {
  @TempDir
  Path tmp;

  private static final int N = 4;
  private static final int T = 3;
  private static final int H = 5;
  private static final int W = 6;

  private DataSetInfo info() {
    return new DataSetInfo("pendulum", "train", N, T, H, W, 2, 1, 9L, null, Dynamics.pendulum(),
        Map.of("note", "made by hand"));
  }

  private Path writeSmall(String name) throws IOException {
    byte[] images = new byte[N * T * H * W * 3];
    for (int i = 0; i < images.length; i++) {
      images[i] = (byte) rng.nextInt();
    }
    Path dir = tmp.resolve(name);
    DataSet.write(dir, info(), images, randomFloats(N * T * 2), randomFloats(N * (T - 1)));
    return dir;
  }

  @Test
  void roundTripAndStreamingReads() throws IOException {
    byte[] images = new byte[N * T * H * W * 3];
    for (int i = 0; i < images.length; i++) {
      images[i] = (byte) rng.nextInt();
    }
    float[] states = randomFloats(N * T * 2);
    float[] controls = randomFloats(N * (T - 1));
    Path dir = tmp.resolve("ds");
    DataSet.write(dir, info(), images, states, controls);
    try (DataSet ds = DataSet.open(dir)) {
      assertEquals(info(), ds.info());
      assertEquals(N, ds.sequences());
      for (int i = 0; i < N; i++) {
        int per = T * H * W * 3;
        assertArrayEquals(Arrays.copyOfRange(images, i * per, (i + 1) * per), ds.readImages(i));
      }
      assertArrayEquals(states, ds.states());
      assertArrayEquals(controls, ds.controls());
      float[] two = new float[2 * T * 2];
      ds.readStates(1, 2, two, 0);
      assertArrayEquals(Arrays.copyOfRange(states, T * 2, 3 * T * 2), two);
    }
    String json = Files.readString(dir.resolve("dataset.json"));
    assertTrue(json.startsWith("{\n  \"format\": \"vssf-dataset\",\n  \"format_version\": 1,\n"),
        json);
  }

  @Test
  void inconsistentSequenceCountsAreNamed() throws IOException {
    Path dir = writeSmall("n");
    Npy.write(dir.resolve("states.npy"), new float[(N - 1) * T * 2], N - 1, T, 2);
    assertRejected(dir, "states.npy", "3 sequences, but images.npy has 4");
    dir = writeSmall("n2");
    Npy.write(dir.resolve("controls.npy"), new float[(N + 1) * (T - 1)], N + 1, T - 1, 1);
    assertRejected(dir, "controls.npy", "5 sequences, but images.npy has 4");
  }

  @Test
  void inconsistentLengthsShapesAndTypesAreNamed() throws IOException {
    Path dir = writeSmall("t");
    Npy.write(dir.resolve("controls.npy"), new float[N * T], N, T, 1);
    assertRejected(dir, "controls.npy", "3 controls per sequence, but sequences of length 3 need 2");
    dir = writeSmall("t2");
    Npy.write(dir.resolve("states.npy"), new float[N * (T + 1) * 2], N, T + 1, 2);
    assertRejected(dir, "states.npy", "4 steps per sequence, but images.npy has 3");
    dir = writeSmall("d");
    Npy.write(dir.resolve("states.npy"), new byte[N * T * 2], N, T, 2);
    assertRejected(dir, "states.npy", "dtype uint8, expected float32 [N, T, m]");
    dir = writeSmall("s");
    Npy.write(dir.resolve("images.npy"), new byte[N * T * H * W], N, T, H, W);
    assertRejected(dir, "images.npy", "has 4 dimensions, expected 5: [N, T, H, W, 3]");
    dir = writeSmall("c");
    Npy.write(dir.resolve("images.npy"), new byte[N * T * H * W * 4], N, T, H, W, 4);
    assertRejected(dir, "images.npy", "3 channels");
    dir = writeSmall("m");
    Npy.write(dir.resolve("states.npy"), new float[N * T * 3], N, T, 3);
    assertRejected(dir, "dataset.json", "\"state_dim\" is 2 but states.npy has 3");
    dir = writeSmall("nan");
    float[] bad = new float[N * T * 2];
    bad[T * 2 + 1] = Float.NaN;
    Npy.write(dir.resolve("states.npy"), bad, N, T, 2);
    try (DataSet ds = DataSet.open(dir)) {
      DataFileException e = assertThrows(DataFileException.class, ds::states);
      assertTrue(e.getMessage().contains("non-finite value NaN in sequence 1"), e.getMessage());
    }
  }

  @Test
  void missingFilesAndBadDescriptions() throws IOException {
    Path dir = writeSmall("f");
    Files.delete(dir.resolve("controls.npy"));
    assertRejected(dir, "f", "data set lacks controls.npy");
    assertRejected(tmp.resolve("nowhere"), "nowhere", "no such data set directory");
    dir = writeSmall("j");
    Files.delete(dir.resolve("dataset.json"));
    assertRejected(dir, "j", "not a data set directory (no dataset.json)");
    assertBadJson("{\"format\": \"vssf-dataset\"", "invalid JSON");
    assertBadJson("[]", "expected a JSON object");
    String ok = info().toJsonText();
    assertBadJson(ok.replace("\"format_version\": 1", "\"format_version\": 2"),
        "format_version 2 is not supported");
    assertBadJson(ok.replace("\"seed\"", "\"sead\""), "unknown field \"sead\"");
    assertBadJson(ok.replace("\"sequences\": 4", "\"sequences\": 4.5"),
        "field \"sequences\" must be an integer, got the number 4.5");
    assertBadJson(ok.replace("\"length\": 3,", ""), "missing field \"length\"");
    assertBadJson(ok.replace("\"state_dim\": 2", "\"state_dim\": 3"),
        "\"dynamics\" has m = 2, p = 1 but state_dim = 3");
    assertBadJson(ok.replace("\"K\": [[-0.5,-0.05]]", "\"K\": [[-0.5]]"),
        "\"dynamics\": field \"K\" must be a 1x2 matrix");
    assertBadJson(ok.replace("\"sequences\": 4", "\"sequences\": 5"),
        "\"sequences\" is 5 but images.npy has 4");
  }

  private void assertBadJson(String json, String expected) throws IOException {
    Path dir = writeSmall("bad" + files++);
    Files.writeString(dir.resolve("dataset.json"), json, StandardCharsets.UTF_8);
    assertRejected(dir, "dataset.json", expected);
  }

  private int files;

  private static void assertRejected(Path dir, String file, String expected) {
    DataFileException e = assertThrows(DataFileException.class, () -> DataSet.open(dir).close());
    assertTrue(e.file().endsWith(file), e.file() + " should be " + file);
    assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should contain '"
        + expected + "'");
  }

  // -------------------------------------------------------------------------------- generation

  private static DataSetGenerator.Config config(Environment env, int size, int threads) {
    return new DataSetGenerator.Config(env, env.defaultDynamics(), size, 11, 7, 7, 3, 3, 2, 6,
        threads);
  }

  @Test
  void generatedDataDoesNotDependOnTheThreadCount() throws IOException {
    for (Environment env : new Environment[] {Environment.PENDULUM, Environment.BLOCKS}) {
      Path one = tmp.resolve(env.id() + "-1");
      Path three = tmp.resolve(env.id() + "-3");
      DataSetGenerator.generate(config(env, 16, 1), one, null);
      DataSetGenerator.generate(config(env, 16, 3), three, null);
      List<Path> files = listFiles(one);
      assertEquals(12, files.size(), files.toString());
      assertEquals(files.stream().map(one::relativize).collect(Collectors.toList()),
          listFiles(three).stream().map(three::relativize).collect(Collectors.toList()));
      for (Path f : files) {
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(three.resolve(one.relativize(f))),
            f.toString());
      }
    }
  }

  @Test
  void generatedSplitsAreConsistentDataSets() throws IOException {
    Path out = tmp.resolve("gen");
    DataSetGenerator.generate(config(Environment.PENDULUM, 16, 2), out, null);
    Renderer r = Environment.PENDULUM.renderer(16, 0);
    int[][] expect = {{7, 3}, {3, 3}, {2, 6}};
    for (DataSetGenerator.Split s : DataSetGenerator.Split.values()) {
      try (DataSet ds = DataSet.open(out.resolve(s.id()))) {
        DataSetInfo info = ds.info();
        assertEquals(s.id(), info.split());
        assertEquals("pendulum", info.environment());
        assertEquals(expect[s.ordinal()][0], info.sequences());
        assertEquals(expect[s.ordinal()][1], info.length());
        assertEquals(Dynamics.pendulum(), info.dynamics());
        assertEquals(11L, info.seed());
        assertNull(info.sceneSeed(), "the pendulum has no scene");
        // images are the renders of the stored float32 states
        float[] states = ds.states();
        byte[] frame = new byte[r.frameBytes()];
        for (int i = 0; i < ds.sequences(); i++) {
          byte[] images = ds.readImages(i);
          for (int t = 0; t < ds.length(); t++) {
            r.render(states, (i * ds.length() + t) * 2, frame, 0);
            assertArrayEquals(frame, Arrays.copyOfRange(images, t * frame.length,
                (t + 1) * frame.length), s.id() + " sequence " + i + " step " + t);
          }
        }
      }
    }
    // splits draw from different streams
    try (DataSet a = DataSet.open(out.resolve("train")); DataSet b = DataSet.open(out.resolve("test"))) {
      assertFalse(Arrays.equals(Arrays.copyOf(a.states(), 6), Arrays.copyOf(b.states(), 6)));
    }
    assertEquals(List.of("gen"), Files.list(tmp).map(p -> p.getFileName().toString())
        .collect(Collectors.toList()), "no temporary directory left behind");
  }

  @Test
  void outputMustBeNewOrEmpty() throws IOException {
    Path out = tmp.resolve("used");
    Files.createDirectories(out.resolve("something"));
    IOException e = assertThrows(IOException.class,
        () -> DataSetGenerator.generate(config(Environment.PENDULUM, 8, 1), out, null));
    assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
    Path file = tmp.resolve("file");
    Files.writeString(file, "x");
    e = assertThrows(IOException.class,
        () -> DataSetGenerator.generate(config(Environment.PENDULUM, 8, 1), file, null));
    assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    Path empty = tmp.resolve("empty");
    Files.createDirectory(empty);
    DataSetGenerator.generate(config(Environment.PENDULUM, 8, 1), empty, null);
    assertTrue(Files.exists(empty.resolve("eval").resolve("dataset.json")));
  }

  @Test
  void streamSeedsDifferAcrossSplitsAndIndices() {
    long a = DataSetGenerator.streamSeed(1, 0, 0);
    assertFalse(a == DataSetGenerator.streamSeed(1, 1, 0));
    assertFalse(a == DataSetGenerator.streamSeed(1, 0, 1));
    assertFalse(a == DataSetGenerator.streamSeed(2, 0, 0));
    assertEquals(a, DataSetGenerator.streamSeed(1, 0, 0));
  }

  private static List<Path> listFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
  }
}
