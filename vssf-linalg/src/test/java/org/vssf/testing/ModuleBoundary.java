package org.vssf.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Checks the one-way module graph (linalg ← autodiff ← nn ← filter ← bench) from a module's own
 * test classpath: the modules below must be visible, the modules above must not be.
 */
public final class ModuleBoundary {
  private static final String[] ORDER = {"linalg", "autodiff", "nn", "filter", "bench"};

  private ModuleBoundary() {}

  /** Asserts the classpath of module {@code self} sees exactly the modules below it. */
  public static void assertLayer(String self) {
    ClassLoader cl = ModuleBoundary.class.getClassLoader();
    boolean above = false;
    for (String m : ORDER) {
      String marker = "org/vssf/" + m + "/package-info.class";
      if (above) {
        assertNull(cl.getResource(marker),
            "vssf-" + self + " must not depend on vssf-" + m + " (one-way module graph)");
      } else {
        assertNotNull(cl.getResource(marker),
            "vssf-" + self + " should see vssf-" + m + " on its classpath");
      }
      if (m.equals(self)) {
        above = true;
      }
    }
  }
}
