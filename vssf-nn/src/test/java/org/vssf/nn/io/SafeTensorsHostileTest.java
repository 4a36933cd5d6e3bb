package org.vssf.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-file corpus: each malformed file is rejected with a {@link
 * SafeTensorsFormatException} whose message names the file and the problem, quickly and without
 * allocating more than a small bound (measured per read where the JVM can).
 */
@Timeout(10)
class SafeTensorsHostileTest {
  /** Bytes a hostile read of a tiny file may allocate: far below any declared size. */
  private static final long ALLOCATION_BOUND = 4L << 20;

  @TempDir Path dir;

  /** Length prefix + header text (unpadded) + data. */
  static byte[] file(String header, byte[] data) {
    return file(header.getBytes(StandardCharsets.UTF_8), data);
  }

  static byte[] file(byte[] header, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(le(header.length));
    out.writeBytes(header);
    out.writeBytes(data);
    return out.toByteArray();
  }

  static byte[] le(long n) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = new byte[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static String f32(String name, String shape, long begin, long end) {
    return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":["
        + begin + "," + end + "]}";
  }

  /**
   * Writes {@code content}, reads it with both entry points, and checks the message: {@code
   * expected} with {@code F} (as a word) standing for the file's path.
   */
  private void rejects(byte[] content, String expected) throws IOException {
    Path p = dir.resolve("hostile.safetensors");
    Files.write(p, content);
    String want = expected.replaceAll("\\bF\\b", Matcher.quoteReplacement(p.toString()));
    long before = allocated();
    SafeTensorsFormatException e =
        assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(p));
    long used = allocated() - before;
    assertEquals(want, e.getMessage());
    assertEquals(p.toString(), e.file());
    assertTrue(used < ALLOCATION_BOUND, "allocated " + used + " bytes for a hostile file");
    SafeTensorsFormatException h =
        assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.readHeader(p));
    assertEquals(want, h.getMessage());
  }

  private void rejectsHeader(String header, byte[] data, String expected) throws IOException {
    rejects(file(header, data), expected);
  }

  /** Bytes allocated by this thread so far, or 0 where the JVM does not say. */
  private static long allocated() {
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    if (mx instanceof com.sun.management.ThreadMXBean) {
      return ((com.sun.management.ThreadMXBean) mx).getThreadAllocatedBytes(
          Thread.currentThread().getId());
    }
    return 0;
  }

  // ------------------------------------------------------------------------ length prefix

  @Test
  void emptyFile() throws IOException {
    rejects(new byte[0], "safetensors: F is 0 bytes, too short for the 8-byte header length");
  }

  @Test
  void sevenByteFile() throws IOException {
    rejects(new byte[7], "safetensors: F is 7 bytes, too short for the 8-byte header length");
  }

  @Test
  void headerLengthTwoToThe63MinusOne() throws IOException {
    rejects(concat(le(Long.MAX_VALUE), "{}".getBytes(StandardCharsets.US_ASCII)),
        "safetensors: header of F declares 9223372036854775807 bytes, more than the"
            + " 100000000-byte limit");
  }

  @Test
  void headerLengthTwoToThe64MinusOne() throws IOException {
    rejects(le(-1L), "safetensors: header of F declares 18446744073709551615 bytes, more than"
        + " the 100000000-byte limit");
  }

  @Test
  void headerLengthTwoToThe40() throws IOException {
    rejects(concat(le(1L << 40), new byte[64]),
        "safetensors: header of F declares 1099511627776 bytes, more than the 100000000-byte"
            + " limit");
  }

  @Test
  void headerJustOverTheLimit() throws IOException {
    rejects(le(100_000_001L), "safetensors: header of F declares 100000001 bytes, more than the"
        + " 100000000-byte limit");
  }

  @Test
  void headerAtTheLimitButPastEndOfFile() throws IOException {
    rejects(concat(le(100_000_000L), "{}".getBytes(StandardCharsets.US_ASCII)),
        "safetensors: header of F declares 100000000 bytes, past the end of the file (only 2"
            + " bytes follow the 8-byte length)");
  }

  @Test
  void headerLengthPastEndOfFile() throws IOException {
    rejects(concat(le(100), "{\"a\":1}   ".getBytes(StandardCharsets.US_ASCII)),
        "safetensors: header of F declares 100 bytes, past the end of the file (only 10 bytes"
            + " follow the 8-byte length)");
  }

  @Test
  void zeroLengthHeader() throws IOException {
    rejects(le(0), "safetensors: header of F is empty (0 bytes), expected a JSON object");
  }

  // ------------------------------------------------------------------------ header text

  @Test
  void invalidUtf8() throws IOException {
    byte[] h = "{\"w?\":{}}".getBytes(StandardCharsets.US_ASCII);
    h[3] = (byte) 0xff;
    rejects(file(h, new byte[0]),
        "safetensors: header of F is not valid UTF-8 (malformed sequence at header byte 3)");
  }

  @Test
  void overlongUtf8() throws IOException {
    byte[] h = {'{', '"', (byte) 0xc0, (byte) 0xaf, '"', ':', '1', '}'}; // overlong '/'
    rejects(file(h, new byte[0]),
        "safetensors: header of F is not valid UTF-8 (malformed sequence at header byte 2)");
  }

  @Test
  void utf8EncodedSurrogate() throws IOException {
    byte[] h = {'{', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', ':', '1', '}'};
    rejects(file(h, new byte[0]),
        "safetensors: header of F is not valid UTF-8 (malformed sequence at header byte 2)");
  }

  @Test
  void invalidJson() throws IOException {
    rejectsHeader("{\"w\":}", new byte[0], "safetensors: header of F is not valid JSON:"
        + " unexpected character '}', expected a value at char 5");
  }

  @Test
  void truncatedJson() throws IOException {
    rejectsHeader("{\"w\":{\"dtype\":\"F3", new byte[0], "safetensors: header of F is not"
        + " valid JSON: unterminated string starting at char 14");
  }

  @Test
  void trailingContentAfterTheObject() throws IOException {
    rejectsHeader("{} {}", new byte[0], "safetensors: header of F is not valid JSON: trailing"
        + " content after the JSON value at char 3");
  }

  @Test
  void jsonArrayInsteadOfObject() throws IOException {
    rejectsHeader("[]", new byte[0], "safetensors: header of F is not a JSON object (its first"
        + " byte is '[', expected '{')");
  }

  @Test
  void whitespaceBeforeTheObject() throws IOException {
    rejectsHeader(" {}", new byte[0], "safetensors: header of F is not a JSON object (its first"
        + " byte is ' ', expected '{')");
  }

  @Test
  void tenThousandOpeningBrackets() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 10_000; i++) {
      sb.append('[');
    }
    rejectsHeader(sb.toString(), new byte[0], "safetensors: header of F is not a JSON object"
        + " (its first byte is '[', expected '{')");
    rejectsHeader("{\"w\":" + sb, new byte[0], "safetensors: header of F is not valid JSON:"
        + " nesting deeper than 64 levels at char 68");
  }

  @Test
  void duplicateTensorNames() throws IOException {
    rejectsHeader("{" + f32("w", "[1]", 0, 4) + "," + f32("w", "[1]", 4, 8) + "}",
        new byte[8], "safetensors: header of F is not valid JSON: duplicate key \"w\" at char 54");
  }

  // ------------------------------------------------------------------------ tensor entries

  @Test
  void missingDtype() throws IOException {
    rejectsHeader("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4],
        "safetensors: tensor \"w\" in F has no \"dtype\"");
  }

  @Test
  void missingShape() throws IOException {
    rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4],
        "safetensors: tensor \"w\" in F has no \"shape\"");
  }

  @Test
  void missingOffsets() throws IOException {
    rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4],
        "safetensors: tensor \"w\" in F has no \"data_offsets\"");
  }

  @Test
  void unknownField() throws IOException {
    rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":0}}",
        new byte[4], "safetensors: tensor \"w\" in F has an unknown field \"x\"");
  }

  @Test
  void entryIsNotAnObject() throws IOException {
    rejectsHeader("{\"w\":[0,4]}", new byte[0], "safetensors: tensor \"w\" in F is an array,"
        + " expected an object with dtype, shape and data_offsets");
  }

  @Test
  void emptyTensorName() throws IOException {
    rejectsHeader("{" + f32("", "[1]", 0, 4) + "}", new byte[4],
        "safetensors: F has a tensor with an empty name");
  }

  @Test
  void wrongDtypeString() throws IOException {
    rejectsHeader("{\"w\":{\"dtype\":\"float32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        new byte[4], "safetensors: tensor \"w\" in F has unknown dtype \"float32\"");
  }

  @Test
  void dtypeIsNotAString() throws IOException {
    rejectsHeader("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4],
        "safetensors: tensor \"w\" in F has unknown dtype the number 32");
  }

  @Test
  void negativeShape() throws IOException {
    rejectsHeader("{" + f32("w", "[2,-1]", 0, 4) + "}", new byte[4], "safetensors: tensor"
        + " \"w\" in F: shape[1] is -1, expected an integer in [0, 2^63)");
  }

  @Test
  void fractionalShape() throws IOException {
    rejectsHeader("{" + f32("w", "[1.0]", 0, 4) + "}", new byte[4], "safetensors: tensor"
        + " \"w\" in F: shape[0] is 1.0, expected an integer in [0, 2^63)");
  }

  @Test
  void shapeIsNotAnArray() throws IOException {
    rejectsHeader("{" + f32("w", "1", 0, 4) + "}", new byte[4], "safetensors: tensor"
        + " \"w\" in F: \"shape\" is the number 1, expected an array");
  }

  @Test
  void dimensionOverIntRange() throws IOException {
    rejectsHeader("{" + f32("w", "[2147483648]", 0, 4) + "}", new byte[4], "safetensors:"
        + " tensor \"w\" in F: shape[0] = 2147483648 exceeds 2^31 - 1");
  }

  @Test
  void shapeProductOverflowsLong() throws IOException {
    rejectsHeader("{" + f32("w", "[2147483647,2147483647,2147483647]", 0, 4) + "}",
        new byte[4], "safetensors: tensor \"w\" in F: shape [2147483647, 2147483647,"
            + " 2147483647] of F32 overflows 64 bits");
  }

  @Test
  void byteSizeOverflowsLong() throws IOException {
    // 2^31-1 × 2^31-1 × 2 elements fit in 63 bits; × 4 bytes per F32 do not
    rejectsHeader("{" + f32("w", "[2147483647,2147483647,2]", 0, 4) + "}",
        new byte[4], "safetensors: tensor \"w\" in F: shape [2147483647, 2147483647, 2] of F32"
            + " overflows 64 bits");
  }

  @Test
  void offsetsNotMatchingShape() throws IOException {
    rejectsHeader("{" + f32("w", "[2]", 0, 4) + "}", new byte[4], "safetensors: tensor \"w\""
        + " in F: data_offsets [0, 4] span 4 bytes but shape [2] of F32 needs 8");
  }

  @Test
  void offsetsBackwards() throws IOException {
    rejectsHeader("{" + f32("w", "[1]", 8, 4) + "}", new byte[8], "safetensors: tensor \"w\""
        + " in F: data_offsets [8, 4] end before they begin");
  }

  @Test
  void offsetsWithThreeEntries() throws IOException {
    rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
        new byte[4], "safetensors: tensor \"w\" in F: data_offsets has 3 entries, expected"
            + " [begin, end]");
  }

  @Test
  void offsetsBeyondLong() throws IOException {
    rejectsHeader("{" + f32("w", "[1]", 0, 4).replace("[0,4]", "[18446744073709551612,"
        + "18446744073709551616]") + "}", new byte[4], "safetensors: tensor \"w\" in F:"
        + " data_offsets[0] is 1.8446744073709552E19, expected an integer in [0, 2^63)");
  }

  @Test
  void hugeDeclaredTensorInATinyFile() throws IOException {
    // one billion floats declared, 4 bytes present: must fail before allocating 4 GB
    rejectsHeader("{" + f32("w", "[1000000000]", 0, 4_000_000_000L) + "}", new byte[4],
        "safetensors: F is truncated: its tensors need 4000000000 data bytes but only 4 follow"
            + " the header");
  }

  @Test
  void offsetsOverlapping() throws IOException {
    rejectsHeader("{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 4, 12) + "}",
        new byte[12], "safetensors: tensors \"a\" [0, 8) and \"b\" [4, 12) in F overlap");
  }

  @Test
  void twoTensorsSharingData() throws IOException {
    rejectsHeader("{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 0, 8) + "}",
        new byte[8], "safetensors: tensors \"a\" [0, 8) and \"b\" [0, 8) in F overlap");
  }

  @Test
  void gapBetweenTensors() throws IOException {
    rejectsHeader("{" + f32("a", "[1]", 0, 4) + "," + f32("b", "[1]", 8, 12) + "}",
        new byte[12], "safetensors: gap in the data of F: no tensor covers bytes [4, 8) between"
            + " \"a\" and \"b\"");
  }

  @Test
  void gapBeforeTheFirstTensor() throws IOException {
    rejectsHeader("{" + f32("a", "[1]", 4, 8) + "}", new byte[8], "safetensors: gap in the"
        + " data of F: no tensor covers bytes [0, 4) before \"a\"");
  }

  @Test
  void trailingGarbage() throws IOException {
    rejectsHeader("{" + f32("a", "[1]", 0, 4) + "}", new byte[7], "safetensors: F has 3 bytes"
        + " of trailing data after the last tensor (the tensors cover 4 of 7 data bytes)");
  }

  @Test
  void trailingGarbageWithoutTensors() throws IOException {
    rejectsHeader("{}", new byte[1], "safetensors: F has 1 bytes of trailing data after the last"
        + " tensor (the tensors cover 0 of 1 data bytes)");
  }

  @Test
  void truncatedData() throws IOException {
    rejectsHeader("{" + f32("a", "[3]", 0, 12) + "}", new byte[10], "safetensors: F is"
        + " truncated: its tensors need 12 data bytes but only 10 follow the header");
  }

  // ------------------------------------------------------------------------ metadata

  @Test
  void metadataWithNonStringValue() throws IOException {
    rejectsHeader("{\"__metadata__\":{\"epoch\":3}}", new byte[0], "safetensors: __metadata__"
        + " in F maps \"epoch\" to the number 3, expected a string");
  }

  @Test
  void metadataWithNestedObject() throws IOException {
    rejectsHeader("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", new byte[0], "safetensors:"
        + " __metadata__ in F maps \"a\" to an object, expected a string");
  }

  @Test
  void metadataIsNotAnObject() throws IOException {
    rejectsHeader("{\"__metadata__\":[\"a\"]}", new byte[0], "safetensors: __metadata__ in F"
        + " is an array, expected an object of strings");
  }

  @Test
  void metadataIsNull() throws IOException {
    rejectsHeader("{\"__metadata__\":null}", new byte[0], "safetensors: __metadata__ in F is"
        + " null, expected an object of strings");
  }

  // ------------------------------------------------------------------------ edge cases that pass

  @Test
  void zeroSizedTensorsMayShareAnOffset() throws IOException {
    Path p = dir.resolve("zeros.safetensors");
    Files.write(p, file("{" + f32("a", "[0,3]", 0, 0) + "," + f32("b", "[1]", 0, 4) + ","
        + f32("c", "[2,0]", 4, 4) + ",\"__metadata__\":{}}     ", new byte[4]));
    SafeTensorsContents c = SafeTensors.read(p);
    assertEquals(3, c.tensors().size());
    assertEquals(0, c.get("a").values().length);
    assertEquals(0, c.get("c").values().length);
  }

  @Test
  void fileNotFoundIsAPlainIoException() {
    Path p = dir.resolve("missing.safetensors");
    IOException e = assertThrows(IOException.class, () -> SafeTensors.read(p));
    assertTrue(!(e instanceof SafeTensorsFormatException), e.toString());
  }
}
