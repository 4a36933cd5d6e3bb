package org.vssf.autodiff;

import org.junit.jupiter.api.Test;
import org.vssf.testing.ModuleBoundary;

/** The one-way module graph: vssf-autodiff sees the modules below it and none above. */
class AutodiffModuleBoundaryTest {
  @Test
  void seesOnlyModulesBelow() {
    ModuleBoundary.assertLayer("autodiff");
  }
}
