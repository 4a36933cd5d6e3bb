package org.vssf.nn;

import org.junit.jupiter.api.Test;
import org.vssf.testing.ModuleBoundary;

/** The one-way module graph: vssf-nn sees the modules below it and none above. */
class NnModuleBoundaryTest {
  @Test
  void seesOnlyModulesBelow() {
    ModuleBoundary.assertLayer("nn");
  }
}
