/**
 * Weight files: a strict safetensors reader and writer ({@link org.vssf.nn.io.SafeTensors}), the
 * strict JSON parser behind it, and atomic file replacement ({@link org.vssf.nn.io.AtomicFiles}).
 * Plain {@code java.base}, Android-safe.
 */
package org.vssf.nn.io;
