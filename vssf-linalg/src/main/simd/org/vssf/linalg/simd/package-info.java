/**
 * The {@code jdk.incubator.vector} kernels, compiled in their own source root with the incubator
 * module and loaded only by name after a runtime probe, so the core jar runs without the module.
 */
package org.vssf.linalg.simd;
