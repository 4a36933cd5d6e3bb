package org.vssf.bench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.testing.SeededTest;

/**
 * The .npy reader and writer: NumPy's exact bytes, round trips, streaming reads, and hostile
 * files, each rejected with a message naming the file and the problem.
 */
class NpyTest extends SeededTest {
  @TempDir
  Path tmp;

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = NpyTest.class.getResourceAsStream("/npy/" + name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void headerBytesFollowTheSpecAndMatchNumpy() {
    byte[] h = NpyHeader.of(NpyDtype.FLOAT32, 3, 4).encode();
    assertEquals(128, h.length, "magic + version + length + text is a multiple of 64");
    assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0},
        Arrays.copyOf(h, 10), "magic, version 1.0, little-endian uint16 header length 118");
    String text = new String(h, 10, 118, StandardCharsets.US_ASCII);
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    assertEquals(dict + " ".repeat(117 - dict.length()) + "\n", text, "dict, spaces, newline");
    assertTrue(new String(NpyHeader.of(NpyDtype.UINT8, 7).encode(), StandardCharsets.US_ASCII)
        .contains("{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }"));
    assertTrue(new String(NpyHeader.of(NpyDtype.FLOAT32).encode(), StandardCharsets.US_ASCII)
        .contains("'shape': (), }"));
    // a header whose padding would be 0 gets 64 more, as NumPy does
    for (int n = 1; n < 100_000; n = n * 3 + 1) {
      byte[] e = NpyHeader.of(NpyDtype.UINT8, n, 5, 32, 32, 3).encode();
      assertEquals(0, e.length % 64);
      assertEquals('\n', e[e.length - 1]);
      assertEquals(e.length, NpyHeader.of(NpyDtype.UINT8, n, 5, 32, 32, 3).dataOffset());
    }
  }

  @Test
  void writesNumpysBytesExactly() throws IOException {
    Path f = tmp.resolve("a.npy");
    Npy.write(f, new float[] {-0.0f, -1.25f, -1f, -0.75f, -0.5f, Float.MIN_VALUE, 0f, 0.25f,
        0.5f, 0.75f, 1f, Float.MAX_VALUE}, 3, 4);
    assertArrayEquals(resource("float32_3x4.npy"), Files.readAllBytes(f));
    byte[] u = new byte[72];
    for (int i = 0; i < u.length; i++) {
      u[i] = (byte) (i * 7 % 256);
    }
    Npy.write(f, u, 2, 3, 2, 2, 3);
    assertArrayEquals(resource("uint8_2x3x2x2x3.npy"), Files.readAllBytes(f));
    Npy.write(f, new float[] {2.5f});
    assertArrayEquals(resource("float32_scalar.npy"), Files.readAllBytes(f));
    Npy.write(f, new float[0], 0, 5, 2);
    assertArrayEquals(resource("float32_0x5x2.npy"), Files.readAllBytes(f));
  }

  @Test
  void readsNumpyFiles() throws IOException {
    try (NpyFile f = open(resource("float32_7.npy"))) {
      assertEquals("float32 (7,)", f.header().toString());
      float[] x = f.readAllFloats();
      assertEquals(-1f, x[0]);
      assertEquals(-0.6666666865348816, x[1], 0);
      assertEquals(1f, x[6]);
    }
    try (NpyFile f = open(resource("uint8_2x3x2x2x3.npy"))) {
      assertArrayEquals(new long[] {2, 3, 2, 2, 3}, f.header().shape());
      byte[] b = new byte[3];
      f.readBytes(36, b, 0, 3); // streaming: the second half only
      assertArrayEquals(new byte[] {(byte) (36 * 7 % 256), (byte) (37 * 7 % 256),
          (byte) (38 * 7 % 256)}, b);
    }
    try (NpyFile f = open(resource("float32_0x5x2.npy"))) {
      assertEquals(0, f.header().count());
      assertEquals(0, f.readAllFloats().length);
    }
  }

  @Test
  void acceptsAnyValidDictLayout() throws IOException {
    // other writers order keys differently and pad differently
    try (NpyFile f = open(npy("{\"shape\":(2,) , 'fortran_order':False,'descr':'<f4'}  \n",
        new byte[8]))) {
      assertEquals("float32 (2,)", f.header().toString());
    }
  }

  @Test
  void randomArraysRoundTripBitwise() throws IOException {
    for (int trial = 0; trial < 30; trial++) {
      int ndim = rng.nextInt(6);
      long[] shape = new long[ndim];
      int n = 1;
      for (int i = 0; i < ndim; i++) {
        shape[i] = rng.nextInt(trial % 7 == 6 ? 1 : 6);
        n *= (int) shape[i];
      }
      float[] x = new float[n];
      byte[] b = new byte[n];
      for (int i = 0; i < n; i++) {
        x[i] = Float.intBitsToFloat(rng.nextInt());
        if (Float.isNaN(x[i])) {
          x[i] = 0.5f;
        }
        b[i] = (byte) rng.nextInt();
      }
      Path f = tmp.resolve("r" + trial + ".npy");
      Npy.write(f, x, shape);
      try (NpyFile r = NpyFile.open(f)) {
        assertArrayEquals(shape, r.header().shape(), seedInfo());
        assertArrayEquals(x, r.readAllFloats(), seedInfo());
        if (n > 2) {
          float[] part = new float[n - 2];
          r.readFloats(1, part, 0, n - 2);
          assertArrayEquals(Arrays.copyOfRange(x, 1, n - 1), part, seedInfo());
        }
      }
      Npy.write(f, b, shape);
      try (NpyFile r = NpyFile.open(f)) {
        assertArrayEquals(b, r.readAllBytes(), seedInfo());
      }
    }
  }

  @Test
  void writerChecksItsArguments() {
    assertThrows(IllegalArgumentException.class, () -> Npy.write(tmp.resolve("x.npy"),
        new float[5], 2, 3));
    assertThrows(IllegalArgumentException.class, () -> NpyHeader.of(NpyDtype.FLOAT32, -1));
    assertThrows(IllegalArgumentException.class,
        () -> NpyHeader.of(NpyDtype.FLOAT32, 1L << 40, 1L << 40));
  }

  @Test
  void readsOnlyWhatWasAsked() throws IOException {
    try (NpyFile f = open(resource("float32_3x4.npy"))) {
      assertThrows(IllegalArgumentException.class, () -> f.readBytes(0, new byte[1], 0, 1),
          "dtype");
      assertThrows(IllegalArgumentException.class, () -> f.readFloats(10, new float[3], 0, 3),
          "past the end");
      assertThrows(IllegalArgumentException.class, () -> f.readFloats(0, new float[3], 1, 3),
          "past the destination");
    }
  }

  // ----------------------------------------------------------------------------- hostile files

  private static final String GOOD = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

  @Test
  void badMagic() throws IOException {
    byte[] f = resource("float32_3x4.npy");
    f[1] = 'n';
    assertRejected(f, "not a NumPy .npy file (bad magic bytes)");
    assertRejected(new byte[] {1, 2, 3}, "not a NumPy .npy file (3 bytes");
    assertRejected(new byte[0], "not a NumPy .npy file (0 bytes");
  }

  @Test
  void truncatedHeader() throws IOException {
    byte[] f = resource("float32_3x4.npy");
    assertRejected(Arrays.copyOf(f, 8), "truncated .npy header (8 bytes)");
    assertRejected(Arrays.copyOf(f, 60), "header length 118 runs past the end of the file (60");
  }

  @Test
  void hugeHeaderLength() throws IOException {
    byte[] f = resource("float32_3x4.npy");
    f[8] = (byte) 0xFF;
    f[9] = (byte) 0xFF;
    assertRejected(f, "header length 65535 runs past the end of the file (176 bytes)");
  }

  @Test
  void otherVersions() throws IOException {
    byte[] f = resource("float32_3x4.npy");
    f[6] = 2;
    assertRejected(f, "unsupported .npy format version 2.0");
    f[6] = 1;
    f[7] = 1;
    assertRejected(f, "unsupported .npy format version 1.1");
  }

  @Test
  void shapeOverflow() throws IOException {
    assertRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,"
        + " 4), }\n", new byte[0]), "is too large (its size overflows)");
    assertRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693952,"
        + "), }\n", new byte[0]), "is too large (its size overflows)");
    assertRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,"
        + "), }\n", new byte[0]), "in 'shape' is too large");
    assertRejected(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (" + "1, ".repeat(33)
        + "), }\n", new byte[1]), "more than 32 dimensions");
  }

  @Test
  void wrongDtype() throws IOException {
    for (String d : new String[] {"<f8", ">f4", "<i4", "<u1", "f4", "O"}) {
      assertRejected(npy("{'descr': '" + d + "', 'fortran_order': False, 'shape': (2, 3), }\n",
          new byte[24]), "dtype '" + d + "' is not supported");
    }
    assertRejected(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n",
        new byte[8]), "'descr' must be a dtype string");
  }

  @Test
  void fortranOrder() throws IOException {
    assertRejected(npy(GOOD.replace("False", "True") + "\n", new byte[24]),
        "Fortran-order arrays are not supported");
    assertRejected(npy(GOOD.replace("False", "0") + "\n", new byte[24]),
        "'fortran_order' must be True or False");
  }

  @Test
  void fileTooShortOrTooLong() throws IOException {
    assertRejected(npy(GOOD + "\n", new byte[23]), "but header (");
    assertRejected(npy(GOOD + "\n", new byte[23]), "(truncated)");
    assertRejected(npy(GOOD + "\n", new byte[25]), "(1 extra bytes)");
    byte[] f = resource("float32_3x4.npy");
    assertRejected(Arrays.copyOf(f, f.length - 1), "file is 175 bytes, but header (128 bytes) +"
        + " float32 data of shape (3, 4) make 176 bytes (truncated)");
  }

  @Test
  void malformedDicts() throws IOException {
    assertRejected(npy(GOOD, new byte[24]), "header does not end with a newline");
    assertRejected(npy(GOOD.replace("'shape': (2, 3), ", "") + "\n", new byte[24]),
        "header lacks 'shape'");
    assertRejected(npy(GOOD.replace("'descr': '<f4', ", "") + "\n", new byte[24]),
        "header lacks 'descr'");
    assertRejected(npy(GOOD.replace("}", "'shape': (6,), }") + "\n", new byte[24]),
        "duplicate key 'shape'");
    assertRejected(npy(GOOD.replace("}", "'extra': 1, }") + "\n", new byte[24]),
        "unexpected key 'extra'");
    assertRejected(npy(GOOD.replace("(2, 3)", "(6)") + "\n", new byte[24]),
        "'shape' (6) is not a tuple");
    assertRejected(npy(GOOD.replace("(2, 3)", "(2, -3)") + "\n", new byte[24]),
        "negative dimension");
    assertRejected(npy(GOOD.replace("(2, 3)", "(2, 03)") + "\n", new byte[24]), "leading zero");
    assertRejected(npy(GOOD.replace("(2, 3)", "[2, 3]") + "\n", new byte[24]),
        "'shape' must be a tuple");
    assertRejected(npy(GOOD + " x\n", new byte[24]), "unexpected content after the dict");
    assertRejected(npy(GOOD.replace("{", "") + "\n", new byte[24]), "expected '{'");
    assertRejected(npy(GOOD.replace("'<f4'", "'<f4") + "\n", new byte[24]),
        "expected ',' or '}' but found 'f'");
    assertRejected(npy(GOOD.replace("'descr':", "'descr'") + "\n", new byte[24]),
        "expected ':' but found");
    assertRejected(npy(GOOD.replace("'descr'", "'d\u00e9scr'") + "\n", new byte[24]),
        "non-ASCII byte");
    assertRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)\n",
        new byte[24]), "expected ',' or '}' but found newline");
  }

  /** An .npy file with header text {@code text} (as given, no padding) and raw data. */
  private static byte[] npy(String text, byte[] data) {
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(10 + t.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) t.length)
        .put(t).put(data);
    return b.array();
  }

  private int files;

  private NpyFile open(byte[] content) throws IOException {
    Path f = tmp.resolve("f" + files++ + ".npy");
    Files.write(f, content);
    return NpyFile.open(f);
  }

  private void assertRejected(byte[] content, String expected) throws IOException {
    Path f = tmp.resolve("bad" + files++ + ".npy");
    Files.write(f, content);
    DataFileException e = assertThrows(DataFileException.class, () -> NpyFile.open(f).close(),
        expected);
    assertEquals(f, e.file());
    assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should contain '"
        + expected + "'");
  }
}
