package org.vssf.linalg;

import org.junit.jupiter.api.Test;
import org.vssf.testing.ModuleBoundary;

/** The one-way module graph: vssf-linalg sees the modules below it and none above. */
class LinalgModuleBoundaryTest {
  @Test
  void seesOnlyModulesBelow() {
    ModuleBoundary.assertLayer("linalg");
  }
}
