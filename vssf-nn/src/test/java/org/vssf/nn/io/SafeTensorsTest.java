package org.vssf.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.testing.SeededTest;

/** Writing, reading back, the exact byte layout, and a file from an independent writer. */
class SafeTensorsTest extends SeededTest {
  @TempDir Path dir;

  private static LinkedHashMap<String, TensorData> map(TensorData... ts) {
    LinkedHashMap<String, TensorData> m = new LinkedHashMap<>();
    for (TensorData t : ts) {
      m.put(t.name(), t);
    }
    return m;
  }

  @Test
  void byteExactLayoutOfATinyFile() throws IOException {
    Path p = dir.resolve("tiny.safetensors");
    SafeTensors.write(p, map(new TensorData("w", new int[] {2}, new float[] {1.0f, -2.0f})), null);
    String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    assertEquals(54, json.length());
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(new byte[] {56, 0, 0, 0, 0, 0, 0, 0}); // N = 56, u64 little-endian
    expected.write(json.getBytes(StandardCharsets.US_ASCII));
    expected.write(new byte[] {' ', ' '}); // padded with spaces to a multiple of 8
    expected.write(new byte[] {0, 0, (byte) 0x80, 0x3f}); // 1.0f  = 0x3f800000, '<f4'
    expected.write(new byte[] {0, 0, 0, (byte) 0xc0}); //   -2.0f = 0xc0000000, '<f4'
    assertArrayEquals(expected.toByteArray(), Files.readAllBytes(p));
  }

  @Test
  void metadataIsWrittenFirstWithSortedKeys() throws IOException {
    Path p = dir.resolve("m.safetensors");
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("z", "last");
    meta.put("a", "quote \" and \u00e9");
    SafeTensors.write(p, map(new TensorData("s", new int[0], new float[] {3f})), meta);
    byte[] bytes = Files.readAllBytes(p);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, n % 8);
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertEquals("{\"__metadata__\":{\"a\":\"quote \\\" and \u00e9\",\"z\":\"last\"},"
        + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", header.trim());
    assertEquals(new TreeMap<>(meta), new TreeMap<>(SafeTensors.read(p).metadata()));
  }

  @Test
  void randomTensorsRoundTripBitwise() throws IOException {
    for (int trial = 0; trial < 20; trial++) {
      LinkedHashMap<String, TensorData> in = new LinkedHashMap<>();
      int count = rng.nextInt(6);
      for (int k = 0; k < count; k++) {
        int rank = rng.nextInt(5); // 0 = scalar ... 4-D
        int[] shape = new int[rank];
        int size = 1;
        for (int d = 0; d < rank; d++) {
          shape[d] = rng.nextInt(5) == 0 ? 0 : 1 + rng.nextInt(6);
          size *= shape[d];
        }
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
          // arbitrary bit patterns, NaN payloads, infinities and subnormals included
          v[i] = rng.nextBoolean() ? Float.intBitsToFloat(rng.nextInt())
              : (float) (2 * rng.nextDouble() - 1);
        }
        String name = "layer" + k + (rng.nextBoolean() ? ".weight" : ".bias \u00e9\"\\");
        in.put(name, new TensorData(name, shape, v));
      }
      Map<String, String> meta = new LinkedHashMap<>();
      if (rng.nextBoolean()) {
        meta.put("trial", Integer.toString(trial));
        meta.put("seed", Long.toString(seed));
      }
      Path p = dir.resolve("rt" + trial + ".safetensors");
      SafeTensors.write(p, in, meta);
      SafeTensorsContents out = SafeTensors.read(p);
      assertEquals(new ArrayList<>(in.keySet()), new ArrayList<>(out.tensors().keySet()),
          "tensor order" + seedInfo());
      for (TensorData t : in.values()) {
        TensorData r = out.get(t.name());
        assertEquals(Dtype.F32, r.dtype());
        assertArrayEquals(t.shape(), r.shape(), t.name() + seedInfo());
        assertArrayEquals(bits(t.values()), bits(r.values()), t.name() + seedInfo());
      }
      assertEquals(meta, out.metadata(), seedInfo());
      SafeTensorsHeader h = SafeTensors.readHeader(p);
      assertEquals(Files.size(p), 8 + h.headerLength() + h.dataLength());
      assertEquals(new ArrayList<>(in.keySet()), new ArrayList<>(h.tensors().keySet()));
    }
  }

  private static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }

  @Test
  void writingIsDeterministic() throws IOException {
    float[] v = randomFloats(12);
    Path a = dir.resolve("a.safetensors");
    Path b = dir.resolve("b.safetensors");
    Map<String, String> m1 = new LinkedHashMap<>();
    m1.put("x", "1");
    m1.put("y", "2");
    Map<String, String> m2 = new LinkedHashMap<>();
    m2.put("y", "2");
    m2.put("x", "1");
    SafeTensors.write(a, map(new TensorData("t", new int[] {3, 4}, v)), m1);
    SafeTensors.write(b, map(new TensorData("t", new int[] {3, 4}, v)), m2);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
  }

  @Test
  void readsAFileFromAnIndependentWriter() throws Exception {
    Path p = resource("safetensors/independent.safetensors");
    SafeTensorsContents c = SafeTensors.read(p);
    String bias = "decoder.bias\u00e9\uD83D\uDE00";
    assertEquals(Arrays.asList("encoder.weight", bias), new ArrayList<>(c.tensors().keySet()));
    TensorData w = c.get("encoder.weight");
    assertArrayEquals(new int[] {2, 3}, w.shape());
    assertArrayEquals(bits(new float[] {1.0f, -2.5f, 0.1f, 3.0e-8f, -0.0f, 65504.0f}),
        bits(w.values()));
    TensorData b = c.get(bias);
    assertArrayEquals(new int[] {3}, b.shape());
    assertArrayEquals(bits(new float[] {0.5f, -1.0f, 1.0e30f}), bits(b.values()));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("note", "made by make_independent.py");
    assertEquals(meta, c.metadata());
    SafeTensorsHeader h = SafeTensors.readHeader(p);
    assertEquals(248, h.headerLength());
    assertEquals(36, h.dataLength());
    assertEquals(24, h.tensors().get(bias).dataBegin());
  }

  static Path resource(String name) throws URISyntaxException {
    return Paths.get(SafeTensorsTest.class.getClassLoader().getResource(name).toURI());
  }

  @Test
  void foreignDtypesAreValidatedButTheirValuesAreRefused() throws IOException {
    String json = "{\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    Path p = dir.resolve("foreign.safetensors");
    Files.write(p, SafeTensorsHostileTest.file(json, new byte[12]));
    SafeTensorsContents c = SafeTensors.read(p);
    assertEquals(Dtype.I64, c.get("step").dtype());
    assertEquals(1, c.get("step").elementCount());
    assertArrayEquals(new float[] {0f}, c.get("w").values());
    UnsupportedOperationException e =
        assertThrows(UnsupportedOperationException.class, () -> c.get("step").values());
    assertEquals("safetensors: unsupported dtype I64 for tensor \"step\" in " + p
        + " (VSSF-J stores F32)", e.getMessage());
    LinkedHashMap<String, TensorData> back = new LinkedHashMap<>(c.tensors());
    IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
        () -> SafeTensors.write(dir.resolve("x.safetensors"), back, null));
    assertTrue(w.getMessage().contains("VSSF-J writes F32 only"), w.getMessage());
  }

  @Test
  void writerRejectsBadArguments() {
    Path p = dir.resolve("bad.safetensors");
    assertThrows(IllegalArgumentException.class, () -> new TensorData("", new int[0], new float[1]));
    assertThrows(IllegalArgumentException.class,
        () -> new TensorData("__metadata__", new int[0], new float[1]));
    assertThrows(IllegalArgumentException.class, () -> new TensorData("a", new int[] {2}, new float[3]));
    assertThrows(IllegalArgumentException.class, () -> new TensorData("a", new int[] {-1}, new float[0]));
    assertThrows(IllegalArgumentException.class, () -> new TensorData("a",
        new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 0}, new float[0]));
    LinkedHashMap<String, TensorData> wrongKey = new LinkedHashMap<>();
    wrongKey.put("b", new TensorData("a", new int[0], new float[1]));
    assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, wrongKey, null));
    LinkedHashMap<String, TensorData> surrogate = map(new TensorData("a\uD800", new int[0], new float[1]));
    assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, surrogate, null));
    Map<String, String> nullValue = new LinkedHashMap<>();
    nullValue.put("k", null);
    assertThrows(IllegalArgumentException.class,
        () -> SafeTensors.write(p, map(new TensorData("a", new int[0], new float[1])), nullValue));
    assertTrue(!Files.exists(p));
  }

  @Test
  void tensorDataIsImmutable() {
    int[] shape = {2};
    float[] v = {1f, 2f};
    TensorData t = new TensorData("t", shape, v);
    shape[0] = 5;
    v[0] = 9f;
    t.values()[1] = 7f;
    t.shape()[0] = 3;
    assertArrayEquals(new int[] {2}, t.shape());
    assertArrayEquals(new float[] {1f, 2f}, t.values());
  }

  @Test
  void emptyFileOfNoTensorsRoundTrips() throws IOException {
    Path p = dir.resolve("empty.safetensors");
    SafeTensors.write(p, new LinkedHashMap<>(), null);
    byte[] bytes = Files.readAllBytes(p);
    assertEquals(16, bytes.length); // "{}" padded to 8
    assertEquals(0, SafeTensors.read(p).tensors().size());
  }
}
