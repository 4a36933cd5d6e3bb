package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Provider selection: the run with the incubator module must get SIMD, the run without must not. */
class KernelProviderTest {
  @Test
  void activeImplementationIsTheExpectedOne() {
    KernelImplementations.assertExpectedActive();
    assertNotNull(KernelProvider.active());
    if (KernelProvider.active() == KernelProvider.scalar()) {
      assertNotNull(KernelProvider.simdUnavailableReason(), "a scalar fallback must say why");
    } else {
      assertTrue(KernelProvider.active().name().startsWith("panama-"));
    }
  }
}
