package org.vssf.filter;

import org.junit.jupiter.api.Test;
import org.vssf.testing.ModuleBoundary;

/** The one-way module graph: vssf-filter sees the modules below it and none above. */
class FilterModuleBoundaryTest {
  @Test
  void seesOnlyModulesBelow() {
    ModuleBoundary.assertLayer("filter");
  }
}
