package org.vssf.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * {@code JAZZER_FUZZ=1 ./mvnw test -pl vssf-nn -am -Dtest=SafeTensorsFuzzTest
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

  private static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
