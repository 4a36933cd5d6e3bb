package org.vssf.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arbitrary bytes as a safetensors file: {@link SafeTensors#read} must either return a result
 * consistent with {@link SafeTensors#readHeader} (and, for all-F32 files, one that survives a
 * write/read round trip) or throw {@link SafeTensorsFormatException}. Anything else (another
 * exception, {@code OutOfMemoryError}, {@code StackOverflowError}) fails the test.
 *
 * <p>A normal build replays the inputs stored under {@code
 * src/test/resources/org/vssf/nn/io/SafeTensorsFuzzTestInputs/read/} (plus an empty input);
 * {@link #nearValid} builds headers from fuzzer choices to reach deep into the offset checks
 * with a validity oracle. {@code JAZZER_FUZZ=1 ./mvnw test -pl vssf-nn -am -Dtest=SafeTensorsFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false} fuzzes for {@code maxDuration}.
 */
class SafeTensorsFuzzTest {
  @TempDir static Path dir;

  @FuzzTest(maxDuration = "60s")
  void read(byte[] input) throws IOException {
    Path file = dir.resolve("fuzz.safetensors");
    Files.write(file, input);
    SafeTensorsContents contents;
    try {
      contents = SafeTensors.read(file);
    } catch (SafeTensorsFormatException expected) {
      return;
    }
    SafeTensorsHeader header = SafeTensors.readHeader(file);
    assertEquals(input.length, 8 + header.headerLength() + header.dataLength());
    assertEquals(new ArrayList<>(header.tensors().keySet()),
        new ArrayList<>(contents.tensors().keySet()));
    assertEquals(header.metadata(), contents.metadata());
    boolean allF32 = true;
    for (TensorData t : contents.tensors().values()) {
      TensorInfo info = header.tensors().get(t.name());
      assertArrayEquals(info.shape(), t.shape());
      assertEquals(info.byteLength(), info.elementCount() * t.dtype().byteSize());
      if (t.dtype() == Dtype.F32) {
        assertEquals(info.elementCount(), t.values().length);
      } else {
        allF32 = false;
      }
    }
    if (allF32) {
      Path copy = dir.resolve("copy.safetensors");
      SafeTensors.write(copy, new LinkedHashMap<>(contents.tensors()), contents.metadata());
      SafeTensorsContents again = SafeTensors.read(copy);
      assertEquals(contents.metadata(), again.metadata());
      for (Map.Entry<String, TensorData> e : contents.tensors().entrySet()) {
        TensorData b = again.get(e.getKey());
        assertArrayEquals(e.getValue().shape(), b.shape());
        assertArrayEquals(bits(e.getValue().values()), bits(b.values()));
      }
    }
  }

  /**
   * Near-valid files built from fuzzer choices: random tensors with offsets that are usually but
   * not always contiguous and a data buffer that is usually but not always the right length. The
   * read must succeed exactly when the offsets match the sizes and tile the buffer, and then
   * every F32 value must be the little-endian float at its tensor's offset.
   */
  @FuzzTest(maxDuration = "60s")
  void nearValid(FuzzedDataProvider in) throws IOException {
    int count = in.consumeInt(0, 5);
    StringBuilder json = new StringBuilder("{");
    List<TensorInfo> infos = new ArrayList<>();
    long cursor = 0;
    boolean sizesMatch = true;
    for (int i = 0; i < count; i++) {
      Dtype dtype = in.pickValue(new Dtype[] {Dtype.F32, Dtype.F32, Dtype.U8, Dtype.F16, Dtype.I64});
      int[] shape = new int[in.consumeInt(0, 3)];
      long n = 1;
      for (int d = 0; d < shape.length; d++) {
        shape[d] = in.consumeInt(0, 4);
        n *= shape[d];
      }
      long bytes = n * dtype.byteSize();
      long begin = in.consumeBoolean() ? cursor : in.consumeLong(0, 80);
      long end = in.consumeBoolean() ? begin + bytes : in.consumeLong(0, 80);
      sizesMatch &= end - begin == bytes;
      cursor = Math.max(cursor, end);
      String name = "t" + i;
      infos.add(new TensorInfo(name, dtype, shape, n, begin, end));
      json.append(i == 0 ? "" : ",").append('"').append(name).append("\":{\"dtype\":\"")
          .append(dtype).append("\",\"shape\":").append(Arrays.toString(shape).replace(" ", ""))
          .append(",\"data_offsets\":[").append(begin).append(',').append(end).append("]}");
    }
    json.append('}');
    for (int pad = in.consumeInt(0, 7); pad > 0; pad--) {
      json.append(' ');
    }
    int dataLength = in.consumeBoolean() ? (int) cursor : in.consumeInt(0, 80);
    byte[] data = in.consumeBytes(dataLength);
    data = Arrays.copyOf(data, dataLength); // zero-filled if the fuzzer ran out of bytes

    List<TensorInfo> sorted = new ArrayList<>(infos);
    sorted.sort(Comparator.comparingLong(TensorInfo::dataBegin)
        .thenComparingLong(TensorInfo::dataEnd));
    long covered = 0;
    boolean tiles = true;
    for (TensorInfo t : sorted) {
      tiles &= t.dataBegin() == covered && t.dataEnd() >= t.dataBegin();
      covered = t.dataEnd();
    }
    boolean valid = sizesMatch && tiles && covered == dataLength;

    Path file = dir.resolve("near.safetensors");
    Files.write(file, SafeTensorsHostileTest.file(json.toString(), data));
    SafeTensorsContents contents;
    try {
      contents = SafeTensors.read(file);
    } catch (SafeTensorsFormatException e) {
      assertFalse(valid, "a valid file was rejected: " + json + " + " + dataLength + " bytes: "
          + e.getMessage());
      return;
    }
    assertTrue(valid, "an invalid file was accepted: " + json + " + " + dataLength + " bytes");
    ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (TensorInfo t : infos) {
      TensorData d = contents.get(t.name());
      assertArrayEquals(t.shape(), d.shape());
      if (t.dtype() == Dtype.F32) {
        float[] v = d.values();
        for (int k = 0; k < v.length; k++) {
          assertEquals(buf.getInt((int) t.dataBegin() + 4 * k), Float.floatToRawIntBits(v[k]));
        }
      }
    }
  }

  private static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
