package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The implementations a test run must exercise: scalar always, SIMD whenever it loaded. The Surefire
 * run with the incubator module sets {@code vssf.test.expectSimd=true}, which turns "SIMD did not
 * load" into a failure instead of a silent scalar-only run.
 */
final class KernelImplementations {
  private KernelImplementations() {}

  static List<KernelSupport> all() {
    List<KernelSupport> list = new ArrayList<>();
    list.add(KernelProvider.scalar());
    KernelSupport simd = KernelProvider.simdOrNull();
    if (Boolean.getBoolean("vssf.test.expectSimd")) {
      assertNotNull(simd, "SIMD kernels were expected but did not load: "
          + KernelProvider.simdUnavailableReason());
    }
    if (simd != null) {
      list.add(simd);
    }
    return list;
  }

  /** Asserts the active implementation is the one this test run expects. */
  static void assertExpectedActive() {
    String expect = System.getProperty("vssf.test.expectSimd");
    if (expect != null) {
      assertEquals(Boolean.parseBoolean(expect), KernelProvider.active() != KernelProvider.scalar(),
          "active kernels: " + KernelProvider.active().name() + ", reason: "
              + KernelProvider.simdUnavailableReason());
    }
  }
}
