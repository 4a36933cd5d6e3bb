package org.vssf.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic replacement: all or nothing, no temporary files left behind. */
class AtomicFilesTest {
  @TempDir Path dir;

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void createsAFileThatDidNotExist() throws IOException {
    Path target = dir.resolve("new.bin");
    AtomicFiles.write(target, out -> out.write(new byte[] {1, 2, 3}));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
    assertEquals(List.of("new.bin"), listing());
  }

  @Test
  void replacesAnExistingFile() throws IOException {
    Path target = dir.resolve("w.bin");
    Files.write(target, "old content, longer than the new".getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(target, out -> {
      out.write("new".getBytes(StandardCharsets.UTF_8));
      out.close(); // allowed, and harmless
    });
    assertEquals("new", new String(Files.readAllBytes(target), StandardCharsets.UTF_8));
    assertEquals(List.of("w.bin"), listing());
  }

  @Test
  void failureMidwayLeavesTheOldFileAndNoTemporary() throws IOException {
    Path target = dir.resolve("model.safetensors");
    AtomicFiles.write(target, out -> out.write("first version".getBytes(StandardCharsets.UTF_8)));
    IOException boom = new IOException("disk full (simulated)");
    IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
      out.write(new byte[100_000]); // more than the buffer: some bytes reach the temp file
      throw boom;
    }));
    assertSame(boom, thrown);
    assertEquals("first version", new String(Files.readAllBytes(target), StandardCharsets.UTF_8));
    assertEquals(List.of("model.safetensors"), listing());
  }

  @Test
  void uncheckedFailureAlsoCleansUp() throws IOException {
    Path target = dir.resolve("x.bin");
    assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
      out.write(1);
      throw new IllegalStateException("bug in the body");
    }));
    assertFalse(Files.exists(target));
    assertEquals(List.of(), listing());
  }

  @Test
  void missingDirectoryFailsWithoutCreatingAnything() {
    Path target = dir.resolve("no/such/dir/x.bin");
    assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> out.write(1)));
    assertFalse(Files.exists(dir.resolve("no")));
  }
}
