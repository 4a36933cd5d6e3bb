/**
 * The application and the JMH benchmark suite ({@code vssf-bench/target/benchmarks.jar}): kernel
 * benchmarks now; environments, data sets and the {@code vssf} command line follow.
 */
package org.vssf.bench;
