/**
 * Reverse-mode automatic differentiation over float32 tensors: define-by-run recording on a tape
 * in execution order, {@code backward()} as one reverse loop, a no-grad scope. (The engine is built
 * in the "vssf-autodiff" issue; this package holds the module's place in the build until then.)
 */
package org.vssf.autodiff;
