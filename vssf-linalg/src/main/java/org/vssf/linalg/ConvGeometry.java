package org.vssf.linalg;

/**
 * Immutable shape of a 2-D NCHW convolution layer or transposed-convolution layer with zero
 * padding, as used by {@link Conv2d}.
 *
 * <p>Both kinds describe the layer in its own terms: the input is {@code x[N, inChannels, inH,
 * inW]}, the output {@code y[N, outChannels, outH, outW]}, all arrays dense and row-major.
 *
 * <ul>
 *   <li>{@link #conv convolution} (PyTorch {@code Conv2d}): weight {@code [outChannels,
 *       inChannels, kernelH, kernelW]}, {@code outH = ⌊(inH + 2·padH − kernelH) / strideH⌋ + 1}
 *       (likewise {@code outW}); the kernel must fit into the padded input, {@code kernelH ≤ inH +
 *       2·padH}.
 *   <li>{@link #transposed transposed convolution} (PyTorch {@code ConvTranspose2d} with {@code
 *       output_padding = 0}): weight {@code [inChannels, outChannels, kernelH, kernelW]}, {@code
 *       outH = (inH − 1)·strideH − 2·padH + kernelH} (likewise {@code outW}), which must be ≥ 1.
 * </ul>
 *
 * <p>A transposed convolution is the input gradient of the convolution that maps its output back to
 * its input with the same kernel, stride and padding; {@link #convolution()} returns that
 * convolution (for which {@code inChannels}, {@code inH}, {@code inW} and {@code outChannels},
 * {@code outH}, {@code outW} are swapped, and the weight array is the same).
 */
public final class ConvGeometry {
  private final boolean transposed;
  private final int batch;
  private final int inChannels;
  private final int inH;
  private final int inW;
  private final int outChannels;
  private final int kernelH;
  private final int kernelW;
  private final int strideH;
  private final int strideW;
  private final int padH;
  private final int padW;
  private final int outH;
  private final int outW;
  /** For a transposed geometry the equivalent convolution; for a convolution {@code this}. */
  private final ConvGeometry convolution;

  private ConvGeometry(boolean transposed, int batch, int inChannels, int inH, int inW,
      int outChannels, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
      int outH, int outW, ConvGeometry convolution) {
    this.transposed = transposed;
    this.batch = batch;
    this.inChannels = inChannels;
    this.inH = inH;
    this.inW = inW;
    this.outChannels = outChannels;
    this.kernelH = kernelH;
    this.kernelW = kernelW;
    this.strideH = strideH;
    this.strideW = strideW;
    this.padH = padH;
    this.padW = padW;
    this.outH = outH;
    this.outW = outW;
    this.convolution = convolution == null ? this : convolution;
  }

  /**
   * A convolution {@code y[n,co,oh,ow] = b[co] + Σ_{ci,kh,kw} w[co,ci,kh,kw]·x[n,ci,oh·strideH −
   * padH + kh, ow·strideW − padW + kw]} (x outside the input is 0).
   *
   * @throws IllegalArgumentException if a size or stride is &lt; 1, a padding is &lt; 0, the kernel
   *     is larger than the padded input, or an array size overflows an int; the message names the
   *     argument
   */
  public static ConvGeometry conv(int batch, int inChannels, int inH, int inW, int outChannels,
      int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    final String op = "ConvGeometry.conv";
    checkCommon(op, batch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW,
        padH, padW);
    checkFits(op, "H", inH, kernelH, padH);
    checkFits(op, "W", inW, kernelW, padW);
    int outH = (int) (((long) inH + 2L * padH - kernelH) / strideH + 1);
    int outW = (int) (((long) inW + 2L * padW - kernelW) / strideW + 1);
    checkSizes(op, batch, inChannels, inH, inW, outChannels, outH, outW, kernelH, kernelW);
    return new ConvGeometry(false, batch, inChannels, inH, inW, outChannels, kernelH, kernelW,
        strideH, strideW, padH, padW, outH, outW, null);
  }

  /** Square kernel, stride and padding: {@code conv(batch, in, h, w, out, k, k, s, s, p, p)}. */
  public static ConvGeometry conv(int batch, int inChannels, int inH, int inW, int outChannels,
      int kernel, int stride, int pad) {
    return conv(batch, inChannels, inH, inW, outChannels, kernel, kernel, stride, stride, pad, pad);
  }

  /**
   * A transposed convolution {@code y[n,co,i,j] = b[co] + Σ_{ci,kh,kw} w[ci,co,kh,kw]·x[n,ci,ih,iw]}
   * over all {@code ih, iw, kh, kw} with {@code ih·strideH − padH + kh = i} and {@code iw·strideW −
   * padW + kw = j}; output size {@code (inH − 1)·strideH − 2·padH + kernelH}.
   *
   * @throws IllegalArgumentException if a size or stride is &lt; 1, a padding is &lt; 0, the output
   *     would be empty, or an array size overflows an int; the message names the argument
   */
  public static ConvGeometry transposed(int batch, int inChannels, int inH, int inW,
      int outChannels, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    final String op = "ConvGeometry.transposed";
    checkCommon(op, batch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW,
        padH, padW);
    long outH = ((long) inH - 1) * strideH - 2L * padH + kernelH;
    long outW = ((long) inW - 1) * strideW - 2L * padW + kernelW;
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException(op + ": output would be " + outH + "x" + outW
          + " = ((inH-1)*strideH - 2*padH + kernelH) x ((inW-1)*strideW - 2*padW + kernelW);"
          + " 'padH'/'padW' too large for inH=" + inH + ", inW=" + inW + ", kernel " + kernelH
          + "x" + kernelW);
    }
    if (outH > Integer.MAX_VALUE || outW > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": output size " + outH + "x" + outW
          + " overflows an int");
    }
    checkSizes(op, batch, inChannels, inH, inW, outChannels, (int) outH, (int) outW, kernelH,
        kernelW);
    // The convolution from the transposed layer's output back to its input: same weight array
    // ([inChannels, outChannels, kh, kw] is [conv out, conv in, kh, kw]), output size exactly inH.
    ConvGeometry conv = conv(batch, outChannels, (int) outH, (int) outW, inChannels, kernelH,
        kernelW, strideH, strideW, padH, padW);
    return new ConvGeometry(true, batch, inChannels, inH, inW, outChannels, kernelH, kernelW,
        strideH, strideW, padH, padW, (int) outH, (int) outW, conv);
  }

  /** Square kernel, stride and padding: {@code transposed(batch, in, h, w, out, k, k, s, s, p, p)}. */
  public static ConvGeometry transposed(int batch, int inChannels, int inH, int inW,
      int outChannels, int kernel, int stride, int pad) {
    return transposed(batch, inChannels, inH, inW, outChannels, kernel, kernel, stride, stride, pad,
        pad);
  }

  private static void checkCommon(String op, int batch, int inChannels, int inH, int inW,
      int outChannels, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    Checks.positive(op, "batch", batch);
    Checks.positive(op, "inChannels", inChannels);
    Checks.positive(op, "inH", inH);
    Checks.positive(op, "inW", inW);
    Checks.positive(op, "outChannels", outChannels);
    Checks.positive(op, "kernelH", kernelH);
    Checks.positive(op, "kernelW", kernelW);
    Checks.positive(op, "strideH", strideH);
    Checks.positive(op, "strideW", strideW);
    Checks.nonNegative(op, "padH", padH);
    Checks.nonNegative(op, "padW", padW);
  }

  private static void checkFits(String op, String axis, int in, int kernel, int pad) {
    if (kernel > (long) in + 2L * pad) {
      throw new IllegalArgumentException(op + ": 'kernel" + axis + "' (" + kernel
          + ") is larger than the padded input in" + axis + " + 2*pad" + axis + " = " + in
          + " + 2*" + pad + " = " + ((long) in + 2L * pad));
    }
  }

  private static void checkSizes(String op, int batch, int inChannels, int inH, int inW,
      int outChannels, int outH, int outW, int kernelH, int kernelW) {
    fitsInt(op, "input", (long) batch * inChannels * inH * inW);
    fitsInt(op, "output", (long) batch * outChannels * outH * outW);
    fitsInt(op, "weight", (long) inChannels * outChannels * kernelH * kernelW);
    // im2col column matrix of one image: (channels·kh·kw) × (spatial output) for either direction.
    fitsInt(op, "column matrix", (long) Math.max(inChannels, outChannels) * kernelH * kernelW
        * Math.max((long) inH * inW, (long) outH * outW));
  }

  private static void fitsInt(String op, String what, long size) {
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": " + what + " size " + size
          + " overflows an int array");
    }
  }

  /** True for a transposed convolution, false for a convolution. */
  public boolean isTransposed() {
    return transposed;
  }

  /**
   * For a transposed geometry, the convolution whose input gradient it is: {@code conv(batch,
   * outChannels, outH, outW, inChannels, kernel, stride, pad)} (its input is this layer's output
   * and vice versa; same weight array). For a convolution, {@code this}.
   */
  public ConvGeometry convolution() {
    return convolution;
  }

  /** The same layer with another batch size. */
  public ConvGeometry withBatch(int newBatch) {
    return transposed
        ? transposed(newBatch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW,
            padH, padW)
        : conv(newBatch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW, padH,
            padW);
  }

  /** N. */
  public int batch() {
    return batch;
  }

  /** Channels of the input {@code x}. */
  public int inChannels() {
    return inChannels;
  }

  /** Height of the input. */
  public int inH() {
    return inH;
  }

  /** Width of the input. */
  public int inW() {
    return inW;
  }

  /** Channels of the output {@code y}. */
  public int outChannels() {
    return outChannels;
  }

  /** Kernel height. */
  public int kernelH() {
    return kernelH;
  }

  /** Kernel width. */
  public int kernelW() {
    return kernelW;
  }

  /** Vertical stride. */
  public int strideH() {
    return strideH;
  }

  /** Horizontal stride. */
  public int strideW() {
    return strideW;
  }

  /** Zero padding at the top and at the bottom. */
  public int padH() {
    return padH;
  }

  /** Zero padding at the left and at the right. */
  public int padW() {
    return padW;
  }

  /** Height of the output. */
  public int outH() {
    return outH;
  }

  /** Width of the output. */
  public int outW() {
    return outW;
  }

  /** Elements of {@code x}: {@code batch·inChannels·inH·inW}. */
  public int inputSize() {
    return batch * inChannels * inH * inW;
  }

  /** Elements of {@code y}: {@code batch·outChannels·outH·outW}. */
  public int outputSize() {
    return batch * outChannels * outH * outW;
  }

  /** Elements of the weight: {@code inChannels·outChannels·kernelH·kernelW}. */
  public int weightSize() {
    return inChannels * outChannels * kernelH * kernelW;
  }

  /**
   * Multiply-adds of the forward pass: {@code batch·outChannels·outH·outW·inChannels·kernelH·
   * kernelW} for a convolution, {@code batch·inChannels·inH·inW·outChannels·kernelH·kernelW} for a
   * transposed one (each backward pass does the same number).
   */
  public long multiplyAdds() {
    ConvGeometry c = convolution;
    return (long) c.batch * c.outChannels * c.outH * c.outW * c.inChannels * c.kernelH * c.kernelW;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ConvGeometry)) {
      return false;
    }
    ConvGeometry g = (ConvGeometry) o;
    return transposed == g.transposed && batch == g.batch && inChannels == g.inChannels
        && inH == g.inH && inW == g.inW && outChannels == g.outChannels && kernelH == g.kernelH
        && kernelW == g.kernelW && strideH == g.strideH && strideW == g.strideW && padH == g.padH
        && padW == g.padW;
  }

  @Override
  public int hashCode() {
    int h = transposed ? 1 : 0;
    int[] fields = {batch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW,
        padH, padW};
    for (int f : fields) {
      h = 31 * h + f;
    }
    return h;
  }

  @Override
  public String toString() {
    return (transposed ? "ConvTranspose2d" : "Conv2d") + "[N=" + batch + ", " + inChannels + "x"
        + inH + "x" + inW + " -> " + outChannels + "x" + outH + "x" + outW + ", kernel " + kernelH
        + "x" + kernelW + ", stride " + strideH + "x" + strideW + ", pad " + padH + "x" + padW + "]";
  }
}
