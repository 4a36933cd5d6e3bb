package org.vssf.bench;

import org.junit.jupiter.api.Test;
import org.vssf.testing.ModuleBoundary;

/** The one-way module graph: vssf-bench sees the modules below it and none above. */
class BenchModuleBoundaryTest {
  @Test
  void seesOnlyModulesBelow() {
    ModuleBoundary.assertLayer("bench");
  }
}
