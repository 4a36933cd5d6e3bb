package org.vssf.linalg;

import java.util.Arrays;

/**
 * NCHW 2-D convolution and transposed convolution with zero padding, and their gradients, on dense
 * row-major {@code float[]} with offsets. Shapes come from a {@link ConvGeometry}; with {@code N =
 * batch}, {@code C = inChannels}, {@code K = outChannels}, {@code R × S} the kernel, {@code P × Q}
 * the output and {@code s, p} stride and padding:
 *
 * <ul>
 *   <li>convolution: {@code x[N,C,H,W]}, {@code w[K,C,R,S]}, {@code y[N,K,P,Q]}, bias {@code b[K]};
 *   <li>transposed convolution: {@code x[N,C,H,W]}, {@code w[C,K,R,S]} (PyTorch {@code
 *       ConvTranspose2d} layout), {@code y[N,K,P,Q]} with {@code P = (H − 1)·s − 2p + R}, bias
 *       {@code b[K]}.
 * </ul>
 *
 * <p>Implementation: im2col / col2im into a per-thread column buffer and {@link Kernels#gemm}, in
 * groups of images so that layers with a small spatial output still run wide GEMMs; the batch (or,
 * for weight gradients, the weight columns) is split over {@link Parallel} workers. A group's
 * columns interleave its images (image index fastest), and its input is first packed zero-padded
 * and split by column phase, so that every row of the column matrix is a few contiguous copies
 * (see {@link #packInput}); col2im is the same maps run backwards. The weight gradient is formed
 * as {@code dwᵀ = col·dyᵀ} with the column matrix as the GEMM's untransposed left operand, and can
 * reuse the packed input that the forward pass kept ({@link #packedInputSize}, {@link
 * #backwardWeightFromPacked}). A transposed
 * convolution runs on the same kernels: its forward pass is the input gradient of {@link
 * ConvGeometry#convolution()}, its input gradient that convolution's forward pass, and its weight
 * gradient that convolution's weight gradient with the roles of input and output gradient swapped.
 *
 * <p>Determinism: every method gives bitwise identical results for every {@code parallelism}. The
 * forward pass and input gradients write each output element from one task; weight gradients are
 * split over weight columns, each summing the batch in a fixed order (image groups whose size
 * depends only on the geometry). A layer whose kernel covers the whole unpadded input (1×1 output,
 * e.g. a 4×4 valid convolution of a 4×4 map, or a transposed convolution from 1×1) is a dense
 * product over the whole batch and runs as one GEMM, itself thread-count independent.
 *
 * <p>Outputs must not overlap inputs. Work buffers are per thread, allocated on first use and grown
 * as needed; at {@code parallelism = 1} a warm call allocates nothing.
 */
public final class Conv2d {
  /**
   * GEMM width aimed at when grouping images: images are grouped until {@code group·P·Q} reaches
   * this many columns (system property {@code vssf.conv.columns}).
   */
  static final int GROUP_COLUMNS = Math.max(1, Integer.getInteger("vssf.conv.columns", 256));

  /** Weight-gradient columns are split over threads in blocks of this many (a GEMM panel). */
  private static final int WEIGHT_COLUMN_BLOCK = 32;

  private Conv2d() {}

  /** Per-thread buffers: column matrix, GEMM-shaped gather/scatter matrix and packed input. */
  private static final class Workspace {
    float[] col = new float[0];
    float[] tmp = new float[0];
    float[] xt = new float[0];
    float[] acc = new float[0];

    /** {@code current} if it holds {@code size} floats, else a new array of that size. */
    private static float[] atLeast(float[] current, int size) {
      return current.length >= size ? current : new float[size];
    }

    float[] acc(int size) {
      return acc = atLeast(acc, size);
    }

    float[] xt(int size) {
      return xt = atLeast(xt, size);
    }

    float[] col(int size) {
      return col = atLeast(col, size);
    }

    float[] tmp(int size) {
      return tmp = atLeast(tmp, size);
    }
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  // ---------------------------------------------------------------------------- convolution

  /** {@link #forward(ConvGeometry, float[], int, float[], int, float[], int, float[], int, int)} with {@link Parallel#defaultParallelism()}. */
  public static void forward(ConvGeometry geom, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, float[] y, int yOff) {
    forward(geom, x, xOff, w, wOff, bias, biasOff, y, yOff, Parallel.defaultParallelism());
  }

  /**
   * Convolution forward pass {@code y[n,k,oh,ow] = b[k] + Σ_{c,r,s} w[k,c,r,s]·x[n,c,oh·strideH −
   * padH + r, ow·strideW − padW + s]}, with x = 0 outside the input; {@code y} is overwritten.
   *
   * @param bias {@code b[K]} at {@code biasOff}, or null for no bias
   */
  public static void forward(ConvGeometry geom, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, float[] y, int yOff, int parallelism) {
    final String op = "Conv2d.forward";
    requireKind(op, geom, false);
    Checks.vector(op, "x", x, xOff, geom.inputSize());
    Checks.vector(op, "w", w, wOff, geom.weightSize());
    if (bias != null) {
      Checks.vector(op, "bias", bias, biasOff, geom.outChannels());
    }
    Checks.vector(op, "y", y, yOff, geom.outputSize());
    Checks.positive(op, "parallelism", parallelism);
    convForward(geom, x, xOff, w, wOff, bias, biasOff, y, yOff, null, 0, false, parallelism);
  }

  /**
   * Floats that {@link #forward(ConvGeometry, float[], int, float[], int, float[], int, float[],
   * int, float[], int, int) forward} with a {@code packed} array keeps for {@link
   * #backwardWeightFromPacked}: the batch's input as the column matrices are built from it
   * (zero-padded and rearranged, about the size of the padded input).
   */
  public static int packedInputSize(ConvGeometry geom) {
    requireKind("Conv2d.packedInputSize", geom, false);
    if (isDense(geom)) {
      return geom.inputSize();
    }
    int group = groupSize(geom.batch(), geom.outH() * geom.outW());
    int full = geom.batch() / group;
    int last = geom.batch() - full * group;
    long size = (long) full * packedSize(geom, group) + (last == 0 ? 0 : packedSize(geom, last));
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Conv2d.packedInputSize: the packed input of " + geom
          + " has " + size + " elements, more than an int array holds");
    }
    return (int) size;
  }

  /**
   * The forward pass of {@link #forward(ConvGeometry, float[], int, float[], int, float[], int,
   * float[], int, int)} (same result bits), which also stores the packed input in {@code
   * packed[packedOff, packedOff + packedInputSize(geom))} for {@link #backwardWeightFromPacked},
   * so that the weight gradient need not rebuild it from x. Any previous content of that range is
   * overwritten.
   */
  public static void forward(ConvGeometry geom, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, float[] y, int yOff, float[] packed, int packedOff,
      int parallelism) {
    final String op = "Conv2d.forward";
    requireKind(op, geom, false);
    Checks.vector(op, "x", x, xOff, geom.inputSize());
    Checks.vector(op, "w", w, wOff, geom.weightSize());
    if (bias != null) {
      Checks.vector(op, "bias", bias, biasOff, geom.outChannels());
    }
    Checks.vector(op, "y", y, yOff, geom.outputSize());
    Checks.vector(op, "packed", packed, packedOff, packedInputSize(geom));
    Checks.positive(op, "parallelism", parallelism);
    if (isDense(geom)) {
      System.arraycopy(x, xOff, packed, packedOff, geom.inputSize());
    }
    convForward(geom, x, xOff, w, wOff, bias, biasOff, y, yOff, packed, packedOff, false,
        parallelism);
  }

  /** {@link #backwardInput(ConvGeometry, float[], int, float[], int, float[], int, boolean, int)} with {@link Parallel#defaultParallelism()}. */
  public static void backwardInput(ConvGeometry geom, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate) {
    backwardInput(geom, dy, dyOff, w, wOff, dx, dxOff, accumulate, Parallel.defaultParallelism());
  }

  /**
   * Convolution input gradient {@code dx[n,c,i,j] (+)= Σ dy[n,k,oh,ow]·w[k,c,r,s]} over all {@code
   * k, oh, ow, r, s} with {@code oh·strideH − padH + r = i} and {@code ow·strideW − padW + s = j}
   * ({@code dy[N,K,P,Q]}, {@code dx[N,C,H,W]}). With {@code accumulate} the gradient is added to
   * {@code dx}, otherwise {@code dx} is overwritten.
   */
  public static void backwardInput(ConvGeometry geom, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate, int parallelism) {
    final String op = "Conv2d.backwardInput";
    requireKind(op, geom, false);
    Checks.vector(op, "dy", dy, dyOff, geom.outputSize());
    Checks.vector(op, "w", w, wOff, geom.weightSize());
    Checks.vector(op, "dx", dx, dxOff, geom.inputSize());
    Checks.positive(op, "parallelism", parallelism);
    convBackwardInput(geom, dy, dyOff, w, wOff, null, 0, dx, dxOff, accumulate, parallelism);
  }

  /** {@link #backwardWeight(ConvGeometry, float[], int, float[], int, float[], int, boolean, int)} with {@link Parallel#defaultParallelism()}. */
  public static void backwardWeight(ConvGeometry geom, float[] x, int xOff, float[] dy, int dyOff,
      float[] dw, int dwOff, boolean accumulate) {
    backwardWeight(geom, x, xOff, dy, dyOff, dw, dwOff, accumulate, Parallel.defaultParallelism());
  }

  /**
   * Convolution weight gradient {@code dw[k,c,r,s] (+)= Σ_{n,oh,ow} dy[n,k,oh,ow]·x[n,c,oh·strideH
   * − padH + r, ow·strideW − padW + s]} (x = 0 outside the input). With {@code accumulate} the
   * gradient is added to {@code dw}, otherwise {@code dw} is overwritten.
   */
  public static void backwardWeight(ConvGeometry geom, float[] x, int xOff, float[] dy, int dyOff,
      float[] dw, int dwOff, boolean accumulate, int parallelism) {
    final String op = "Conv2d.backwardWeight";
    requireKind(op, geom, false);
    Checks.vector(op, "x", x, xOff, geom.inputSize());
    Checks.vector(op, "dy", dy, dyOff, geom.outputSize());
    Checks.vector(op, "dw", dw, dwOff, geom.weightSize());
    Checks.positive(op, "parallelism", parallelism);
    convBackwardWeight(geom, x, xOff, null, 0, dy, dyOff, dw, dwOff, accumulate, parallelism);
  }

  /**
   * {@link #backwardWeight(ConvGeometry, float[], int, float[], int, float[], int, boolean, int)}
   * from the packed input that {@link #forward(ConvGeometry, float[], int, float[], int, float[],
   * int, float[], int, float[], int, int) forward} stored for the same geometry, instead of x: the
   * same result, bit for bit, for every {@code parallelism}.
   */
  public static void backwardWeightFromPacked(ConvGeometry geom, float[] packed, int packedOff,
      float[] dy, int dyOff, float[] dw, int dwOff, boolean accumulate, int parallelism) {
    final String op = "Conv2d.backwardWeightFromPacked";
    requireKind(op, geom, false);
    Checks.vector(op, "packed", packed, packedOff, packedInputSize(geom));
    Checks.vector(op, "dy", dy, dyOff, geom.outputSize());
    Checks.vector(op, "dw", dw, dwOff, geom.weightSize());
    Checks.positive(op, "parallelism", parallelism);
    convBackwardWeight(geom, null, 0, packed, packedOff, dy, dyOff, dw, dwOff, accumulate,
        parallelism);
  }

  /**
   * Bias gradient {@code db[k] (+)= Σ_{n,i,j} dy[n,k,i,j]} over the output {@code dy[N,K,P,Q]} of
   * either a convolution or a transposed convolution (the sum runs over n in order, so the result
   * is deterministic). With {@code accumulate} the gradient is added to {@code db}.
   */
  public static void backwardBias(ConvGeometry geom, float[] dy, int dyOff, float[] db, int dbOff,
      boolean accumulate) {
    final String op = "Conv2d.backwardBias";
    if (geom == null) {
      throw new NullPointerException(op + ": 'geom' is null");
    }
    Checks.vector(op, "dy", dy, dyOff, geom.outputSize());
    Checks.vector(op, "db", db, dbOff, geom.outChannels());
    int channels = geom.outChannels();
    int spatial = geom.outH() * geom.outW();
    KernelSupport impl = Kernels.support();
    for (int k = 0; k < channels; k++) {
      float s = 0f;
      for (int n = 0; n < geom.batch(); n++) {
        s += impl.sum(spatial, dy, dyOff + (n * channels + k) * spatial);
      }
      db[dbOff + k] = accumulate ? db[dbOff + k] + s : s;
    }
  }

  // ------------------------------------------------------------------ transposed convolution

  /** {@link #transposedForward(ConvGeometry, float[], int, float[], int, float[], int, float[], int, int)} with {@link Parallel#defaultParallelism()}. */
  public static void transposedForward(ConvGeometry geom, float[] x, int xOff, float[] w,
      int wOff, float[] bias, int biasOff, float[] y, int yOff) {
    transposedForward(geom, x, xOff, w, wOff, bias, biasOff, y, yOff, Parallel.defaultParallelism());
  }

  /**
   * Transposed-convolution forward pass ({@code geom} {@linkplain ConvGeometry#transposed
   * transposed}, {@code w[C,K,R,S]}): {@code y[n,k,i,j] = b[k] + Σ x[n,c,ih,iw]·w[c,k,r,s]} over all
   * {@code c, ih, iw, r, s} with {@code ih·strideH − padH + r = i} and {@code iw·strideW − padW + s
   * = j}; {@code y} is overwritten. This is {@link #backwardInput} of {@code geom.convolution()}
   * with {@code dy = x}, plus the bias.
   *
   * @param bias {@code b[K]} (one per output channel) at {@code biasOff}, or null for no bias
   */
  public static void transposedForward(ConvGeometry geom, float[] x, int xOff, float[] w,
      int wOff, float[] bias, int biasOff, float[] y, int yOff, int parallelism) {
    final String op = "Conv2d.transposedForward";
    requireKind(op, geom, true);
    Checks.vector(op, "x", x, xOff, geom.inputSize());
    Checks.vector(op, "w", w, wOff, geom.weightSize());
    if (bias != null) {
      Checks.vector(op, "bias", bias, biasOff, geom.outChannels());
    }
    Checks.vector(op, "y", y, yOff, geom.outputSize());
    Checks.positive(op, "parallelism", parallelism);
    convBackwardInput(geom.convolution(), x, xOff, w, wOff, bias, biasOff, y, yOff, false,
        parallelism);
  }

  /** {@link #transposedBackwardInput(ConvGeometry, float[], int, float[], int, float[], int, boolean, int)} with {@link Parallel#defaultParallelism()}. */
  public static void transposedBackwardInput(ConvGeometry geom, float[] dy, int dyOff, float[] w,
      int wOff, float[] dx, int dxOff, boolean accumulate) {
    transposedBackwardInput(geom, dy, dyOff, w, wOff, dx, dxOff, accumulate,
        Parallel.defaultParallelism());
  }

  /**
   * Transposed-convolution input gradient {@code dx[n,c,ih,iw] (+)= Σ_{k,r,s} w[c,k,r,s]·dy[n,k,
   * ih·strideH − padH + r, iw·strideW − padW + s]} (dy = 0 outside the output): the forward pass of
   * {@code geom.convolution()} applied to {@code dy}, without bias.
   */
  public static void transposedBackwardInput(ConvGeometry geom, float[] dy, int dyOff, float[] w,
      int wOff, float[] dx, int dxOff, boolean accumulate, int parallelism) {
    final String op = "Conv2d.transposedBackwardInput";
    requireKind(op, geom, true);
    Checks.vector(op, "dy", dy, dyOff, geom.outputSize());
    Checks.vector(op, "w", w, wOff, geom.weightSize());
    Checks.vector(op, "dx", dx, dxOff, geom.inputSize());
    Checks.positive(op, "parallelism", parallelism);
    convForward(geom.convolution(), dy, dyOff, w, wOff, null, 0, dx, dxOff, null, 0, accumulate,
        parallelism);
  }

  /** {@link #transposedBackwardWeight(ConvGeometry, float[], int, float[], int, float[], int, boolean, int)} with {@link Parallel#defaultParallelism()}. */
  public static void transposedBackwardWeight(ConvGeometry geom, float[] x, int xOff, float[] dy,
      int dyOff, float[] dw, int dwOff, boolean accumulate) {
    transposedBackwardWeight(geom, x, xOff, dy, dyOff, dw, dwOff, accumulate,
        Parallel.defaultParallelism());
  }

  /**
   * Transposed-convolution weight gradient {@code dw[c,k,r,s] (+)= Σ_{n,ih,iw} x[n,c,ih,iw]·dy[n,k,
   * ih·strideH − padH + r, iw·strideW − padW + s]} (dy = 0 outside the output): the weight gradient
   * of {@code geom.convolution()} with its input {@code dy} and its output gradient {@code x}.
   */
  public static void transposedBackwardWeight(ConvGeometry geom, float[] x, int xOff, float[] dy,
      int dyOff, float[] dw, int dwOff, boolean accumulate, int parallelism) {
    final String op = "Conv2d.transposedBackwardWeight";
    requireKind(op, geom, true);
    Checks.vector(op, "x", x, xOff, geom.inputSize());
    Checks.vector(op, "dy", dy, dyOff, geom.outputSize());
    Checks.vector(op, "dw", dw, dwOff, geom.weightSize());
    Checks.positive(op, "parallelism", parallelism);
    convBackwardWeight(geom.convolution(), dy, dyOff, null, 0, x, xOff, dw, dwOff, accumulate,
        parallelism);
  }

  /** Same as {@link #backwardBias}: the bias gradient of a transposed convolution. */
  public static void transposedBackwardBias(ConvGeometry geom, float[] dy, int dyOff, float[] db,
      int dbOff, boolean accumulate) {
    backwardBias(geom, dy, dyOff, db, dbOff, accumulate);
  }

  private static void requireKind(String op, ConvGeometry geom, boolean transposed) {
    if (geom == null) {
      throw new NullPointerException(op + ": 'geom' is null");
    }
    if (geom.isTransposed() != transposed) {
      throw new IllegalArgumentException(op + ": 'geom' describes a "
          + (geom.isTransposed() ? "transposed convolution" : "convolution") + " (" + geom
          + "); this method needs a " + (transposed ? "transposed convolution" : "convolution"));
    }
  }

  // ------------------------------------------------------------------------ the three kernels

  /**
   * True when the kernel covers the unpadded input exactly (1×1 output): then the column matrix of
   * image n is the image itself, {@code col[(c·R + r)·S + s] = x[n,c,r,s]}, and the layer is a
   * dense product over the whole batch.
   */
  static boolean isDense(ConvGeometry g) {
    return g.padH() == 0 && g.padW() == 0 && g.kernelH() == g.inH() && g.kernelW() == g.inW();
  }

  /** Images per GEMM: enough for {@code GROUP_COLUMNS} output pixels, depending only on shape. */
  static int groupSize(int batch, int spatial) {
    return Math.max(1, Math.min(batch, (GROUP_COLUMNS + spatial - 1) / spatial));
  }

  /**
   * {@code y (+)= bias + W·im2col(x)} per image group on convolution geometry {@code g}. Each image
   * is written by one task. With {@code packed}, each group's packed input is built there (at its
   * fixed place) instead of in the workspace, and kept.
   */
  private static void convForward(ConvGeometry g, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, float[] y, int yOff, float[] packed, int packedOff,
      boolean accumulate, int parallelism) {
    if (isDense(g)) {
      // y[n,k] = b[k] + x[n,:]·w[k,:]: both operands run along CRS, so dot products beat a GEMM
      // that would have to transpose one of them.
      if (parallelism == 1 || g.batch() == 1) {
        denseForward(g, 0, g.batch(), x, xOff, w, wOff, bias, biasOff, y, yOff, accumulate);
      } else {
        Parallel.forEachChunk(g.batch(), parallelism, (chunk, from, to) ->
            denseForward(g, from, to, x, xOff, w, wOff, bias, biasOff, y, yOff, accumulate));
      }
      return;
    }
    int group = groupSize(g.batch(), g.outH() * g.outW());
    int groups = (g.batch() + group - 1) / group;
    if (groups == 1 || parallelism == 1) {
      forwardGroups(g, group, 0, groups, x, xOff, w, wOff, bias, biasOff, y, yOff, packed,
          packedOff, accumulate, parallelism);
    } else {
      Parallel.forEachChunk(groups, parallelism, (chunk, from, to) ->
          forwardGroups(g, group, from, to, x, xOff, w, wOff, bias, biasOff, y, yOff, packed,
              packedOff, accumulate, 1));
    }
  }

  private static void denseForward(ConvGeometry g, int nFrom, int nTo, float[] x, int xOff,
      float[] w, int wOff, float[] bias, int biasOff, float[] y, int yOff, boolean accumulate) {
    final int crs = g.inChannels() * g.kernelH() * g.kernelW();
    final int kOut = g.outChannels();
    KernelSupport impl = Kernels.support();
    for (int n = nFrom; n < nTo; n++) {
      int xAt = xOff + n * crs;
      int yAt = yOff + n * kOut;
      for (int k = 0; k < kOut; k++) {
        float v = impl.dot(crs, w, wOff + k * crs, x, xAt);
        if (bias != null) {
          v += bias[biasOff + k];
        }
        y[yAt + k] = accumulate ? y[yAt + k] + v : v;
      }
    }
  }

  private static void forwardGroups(ConvGeometry g, int group, int groupFrom, int groupTo,
      float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, float[] y, int yOff,
      float[] packed, int packedOff, boolean accumulate, int gemmThreads) {
    final int kOut = g.outChannels();
    final int pq = g.outH() * g.outW();
    final int crs = g.inChannels() * g.kernelH() * g.kernelW();
    final int imageOut = kOut * pq;
    Workspace ws = WORKSPACE.get();
    for (int gi = groupFrom; gi < groupTo; gi++) {
      int n0 = gi * group;
      int count = Math.min(group, g.batch() - n0);
      int cols = count * pq;
      float[] xt = packed != null ? packed : ws.xt(packedSize(g, count));
      int xtOff = packed != null ? packedOff + gi * packedSize(g, group) : 0;
      packInput(g, x, xOff, n0, count, xt, xtOff);
      float[] col = ws.col(crs * cols);
      columns(g, xt, xtOff, count, 0, crs, col);
      if (count == 1) {
        // One image: the GEMM writes y directly.
        int at = yOff + n0 * imageOut;
        float beta = accumulate ? 1f : 0f;
        if (bias != null) {
          for (int k = 0; k < kOut; k++) {
            int row = at + k * pq;
            if (accumulate) {
              float b = bias[biasOff + k];
              for (int j = 0; j < pq; j++) {
                y[row + j] += b;
              }
            } else {
              Arrays.fill(y, row, row + pq, bias[biasOff + k]);
            }
          }
          beta = 1f;
        }
        Kernels.gemm(false, false, kOut, pq, crs, 1f, w, wOff, crs, col, 0, cols, beta, y, at, pq,
            gemmThreads);
      } else {
        // Several images interleaved ([K × P·Q·count], image fastest), then written out as NCHW
        // with the bias added on the way.
        float[] tmp = ws.tmp(kOut * cols);
        Kernels.gemm(false, false, kOut, cols, crs, 1f, w, wOff, crs, col, 0, cols, 0f, tmp, 0,
            cols, gemmThreads);
        deinterleave(tmp, kOut, pq, count, y, yOff + n0 * imageOut, accumulate, bias, biasOff);
      }
    }
  }

  /**
   * {@code dx (+)= col2im(Wᵀ·dy)} per image group on convolution geometry {@code g}; without
   * {@code accumulate} each image of dx starts from 0, or from {@code init[c]} per channel when
   * {@code init} is given (the bias of a transposed convolution). Each image is written by one task.
   */
  private static void convBackwardInput(ConvGeometry g, float[] dy, int dyOff, float[] w, int wOff,
      float[] init, int initOff, float[] dx, int dxOff, boolean accumulate, int parallelism) {
    if (isDense(g)) {
      // dx[N × CRS] = dy[N × K]·w, written in place (col2im is the identity here).
      int crs = g.inChannels() * g.kernelH() * g.kernelW();
      int hw = g.inH() * g.inW();
      float beta = accumulate ? 1f : 0f;
      if (!accumulate && init != null) {
        for (int n = 0; n < g.batch(); n++) {
          for (int c = 0; c < g.inChannels(); c++) {
            int at = dxOff + n * crs + c * hw;
            Arrays.fill(dx, at, at + hw, init[initOff + c]);
          }
        }
        beta = 1f;
      }
      Kernels.gemm(false, false, g.batch(), crs, g.outChannels(), 1f, dy, dyOff, g.outChannels(),
          w, wOff, crs, beta, dx, dxOff, crs, parallelism);
      return;
    }
    int group = groupSize(g.batch(), g.outH() * g.outW());
    int groups = (g.batch() + group - 1) / group;
    if (groups == 1 || parallelism == 1) {
      backwardInputGroups(g, group, 0, groups, dy, dyOff, w, wOff, init, initOff, dx, dxOff,
          accumulate, parallelism);
    } else {
      Parallel.forEachChunk(groups, parallelism, (chunk, from, to) ->
          backwardInputGroups(g, group, from, to, dy, dyOff, w, wOff, init, initOff, dx, dxOff,
              accumulate, 1));
    }
  }

  private static void backwardInputGroups(ConvGeometry g, int group, int groupFrom, int groupTo,
      float[] dy, int dyOff, float[] w, int wOff, float[] init, int initOff, float[] dx, int dxOff,
      boolean accumulate, int gemmThreads) {
    final int kOut = g.outChannels();
    final int pq = g.outH() * g.outW();
    final int crs = g.inChannels() * g.kernelH() * g.kernelW();
    final int hw = g.inH() * g.inW();
    final int imageIn = g.inChannels() * hw;
    final int imageOut = kOut * pq;
    Workspace ws = WORKSPACE.get();
    for (int gi = groupFrom; gi < groupTo; gi++) {
      int n0 = gi * group;
      int count = Math.min(group, g.batch() - n0);
      int cols = count * pq;
      float[] b;
      int bOff;
      if (count == 1) {
        b = dy;
        bOff = dyOff + n0 * imageOut;
      } else {
        b = ws.tmp(kOut * cols);
        bOff = 0;
        interleave(dy, dyOff + n0 * imageOut, kOut, pq, count, b);
      }
      float[] col = ws.col(crs * cols);
      Kernels.gemm(true, false, crs, cols, kOut, 1f, w, wOff, crs, b, bOff, cols, 0f, col, 0, cols,
          gemmThreads);
      float[] xt = ws.xt(packedSize(g, count));
      Arrays.fill(xt, 0, packedSize(g, count), 0f);
      addColumns(g, col, count, xt);
      // Without accumulate, dx starts from 0 or init: assigned in the unpacking when the packed
      // input covers every input position, else cleared first.
      boolean assign = !accumulate && packedCoversInput(g);
      for (int i = 0; i < count && !accumulate && !assign; i++) {
        int base = dxOff + (n0 + i) * imageIn;
        if (init == null) {
          Arrays.fill(dx, base, base + imageIn, 0f);
        } else {
          for (int c = 0; c < g.inChannels(); c++) {
            Arrays.fill(dx, base + c * hw, base + (c + 1) * hw, init[initOff + c]);
          }
        }
      }
      unpackInput(g, xt, count, dx, dxOff + n0 * imageIn, !assign, init, initOff);
    }
  }

  /**
   * {@code dw (+)= Σ_n dy_n·im2col(x_n)ᵀ} on convolution geometry {@code g}. The weight columns
   * ({@code c,r,s}) are split over threads; each column block sums the image groups in order with
   * one GEMM per group, so no result depends on the thread count.
   */
  private static void convBackwardWeight(ConvGeometry g, float[] x, int xOff, float[] packed,
      int packedOff, float[] dy, int dyOff, float[] dw, int dwOff, boolean accumulate,
      int parallelism) {
    int crs = g.inChannels() * g.kernelH() * g.kernelW();
    if (isDense(g)) {
      // dw[K × CRS] (+)= dyᵀ·x[N × CRS]; the GEMM sums over n in a fixed order. (A dense layer's
      // packed input is x itself.)
      float[] in = packed != null ? packed : x;
      int inOff = packed != null ? packedOff : xOff;
      Kernels.gemm(true, false, g.outChannels(), crs, g.batch(), 1f, dy, dyOff, g.outChannels(),
          in, inOff, crs, accumulate ? 1f : 0f, dw, dwOff, crs, parallelism);
      return;
    }
    int blocks = (crs + WEIGHT_COLUMN_BLOCK - 1) / WEIGHT_COLUMN_BLOCK;
    if (blocks == 1 || parallelism == 1) {
      backwardWeightColumns(g, 0, crs, x, xOff, packed, packedOff, dy, dyOff, dw, dwOff,
          accumulate, parallelism);
    } else {
      Parallel.forEachChunk(blocks, parallelism, (chunk, from, to) ->
          backwardWeightColumns(g, from * WEIGHT_COLUMN_BLOCK,
              Math.min(crs, to * WEIGHT_COLUMN_BLOCK), x, xOff, packed, packedOff, dy, dyOff, dw,
              dwOff, accumulate, 1));
    }
  }

  /**
   * Weight-gradient rows {@code [rowFrom, rowTo)} of {@code (c, r, s)}: per image group, {@code
   * dwᵀ[rows × K] (+)= col[rows × cols]·dyᵀ} with the group's column matrix as the GEMM's
   * untransposed A (read in place) and its output gradient, interleaved like the columns, as Bᵀ.
   * The groups are summed in order in a per-thread buffer, then added to dw. The packed input comes
   * from {@code packed} when given (as the forward pass stored it), else is built from x.
   */
  private static void backwardWeightColumns(ConvGeometry g, int rowFrom, int rowTo, float[] x,
      int xOff, float[] packed, int packedOff, float[] dy, int dyOff, float[] dw, int dwOff,
      boolean accumulate, int gemmThreads) {
    final int kOut = g.outChannels();
    final int pq = g.outH() * g.outW();
    final int crs = g.inChannels() * g.kernelH() * g.kernelW();
    final int imageOut = kOut * pq;
    final int width = rowTo - rowFrom;
    final int group = groupSize(g.batch(), pq);
    Workspace ws = WORKSPACE.get();
    float[] acc = ws.acc(width * kOut);
    for (int n0 = 0; n0 < g.batch(); n0 += group) {
      int count = Math.min(group, g.batch() - n0);
      int cols = count * pq;
      float[] b;
      int bOff;
      if (count == 1) {
        b = dy;
        bOff = dyOff + n0 * imageOut;
      } else {
        b = ws.tmp(kOut * cols);
        bOff = 0;
        interleave(dy, dyOff + n0 * imageOut, kOut, pq, count, b);
      }
      float[] xt;
      int xtOff;
      if (packed != null) {
        xt = packed;
        xtOff = packedOff + n0 / group * packedSize(g, group);
      } else {
        xt = ws.xt(packedSize(g, count));
        xtOff = 0;
        packInput(g, x, xOff, n0, count, xt, 0);
      }
      float[] col = ws.col(width * cols);
      columns(g, xt, xtOff, count, rowFrom, rowTo, col);
      Kernels.gemm(false, true, width, kOut, cols, 1f, col, 0, cols, b, bOff, cols,
          n0 == 0 ? 0f : 1f, acc, 0, kOut, gemmThreads);
    }
    for (int k = 0; k < kOut; k++) {
      int dst = dwOff + k * crs;
      for (int row = rowFrom; row < rowTo; row++) {
        float v = acc[(row - rowFrom) * kOut + k];
        dw[dst + row] = accumulate ? dw[dst + row] + v : v;
      }
    }
  }

  // ------------------------------------------------------------ packed input and column matrix
  //
  // A group of `count` images is handled as one GEMM whose columns are the output pixels with the
  // image index fastest: column (oh·Q + ow)·count + i. Its input is first packed, zero-padded,
  // into `xt[c][hp][b][j][i]` (the "packed input"): padded row hp (input row hp − padH), column
  // phase b < min(strideW, kernelW) and phase column j (input column j·strideW + b − padW), image
  // i. Row (c, r, s) of the column matrix at output row oh is then the contiguous run
  //   xt[c][oh·strideH + r][s mod strideW][s div strideW .. + Q][0 .. count)
  // of Q·count floats: one copy per output row instead of a strided, bounds-checked gather per
  // element, and each input element is read once per (row phase, column offset) rather than once
  // per kernel tap. The input gradient runs the same maps backwards (runs added into a packed
  // gradient, then unpacked), the adjoint of exactly this gather.

  /** Column phases kept per padded row: {@code min(strideW, kernelW)} (the others are never read). */
  private static int phases(ConvGeometry g) {
    return Math.min(g.strideW(), g.kernelW());
  }

  /** Padded rows that some output reads: {@code strideH·(P − 1) + kernelH}. */
  private static int packedRows(ConvGeometry g) {
    return g.strideH() * (g.outH() - 1) + g.kernelH();
  }

  /** Phase columns that some output reads: {@code Q + (kernelW − 1) div strideW}. */
  private static int phaseColumns(ConvGeometry g) {
    return g.outW() + (g.kernelW() - 1) / g.strideW();
  }

  /** Floats of one packed padded row: {@code phases · phaseColumns · count}. */
  private static int packedRowLength(ConvGeometry g, int count) {
    return phases(g) * phaseColumns(g) * count;
  }

  /** Size of the packed input of a {@code count}-image group. */
  static int packedSize(ConvGeometry g, int count) {
    long size = (long) g.inChannels() * packedRows(g) * packedRowLength(g, count);
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Conv2d: the padded input of " + count + " image(s) of "
          + g + " has " + size + " elements, more than an int array holds");
    }
    return (int) size;
  }

  /**
   * Packs images {@code n0 .. n0 + count − 1} of {@code x} into {@code xt} from {@code xtOff},
   * zero where the padded input is padding (every element of the range is written).
   */
  static void packInput(ConvGeometry g, float[] x, int xOff, int n0, int count, float[] xt,
      int xtOff) {
    final int h = g.inH();
    final int wIn = g.inW();
    final int sw = g.strideW();
    final int ph = g.padH();
    final int pw = g.padW();
    final int phases = phases(g);
    final int hn = packedRows(g);
    final int wq = phaseColumns(g);
    final int rowLen = packedRowLength(g, count);
    final int phaseLen = wq * count;
    final int imageIn = g.inChannels() * h * wIn;
    // Phase column j of phase b holds input column iw = j·sw + b − pw; [jFrom_b, jTo_b) are those
    // inside [0, wIn). With stride 2 and one image per group, the two phases are filled together
    // over the j they share, reading each pair of neighbouring input columns once (measured 15–25 %
    // faster; with interleaved images the per-phase loops over four images were as fast or faster).
    final boolean paired = sw == 2 && phases == 2 && count == 1;
    final int f0 = phaseFrom(0, pw, sw, wq);
    final int t0 = phaseTo(0, pw, sw, wq, wIn, f0);
    final int f1 = paired ? phaseFrom(1, pw, sw, wq) : 0;
    final int t1 = paired ? phaseTo(1, pw, sw, wq, wIn, f1) : 0;
    final int lo = Math.max(f0, f1);
    final int hi = Math.max(lo, Math.min(t0, t1));
    for (int c = 0; c < g.inChannels(); c++) {
      for (int hp = 0; hp < hn; hp++) {
        int dstRow = xtOff + (c * hn + hp) * rowLen;
        int ih = hp - ph;
        if (ih < 0 || ih >= h) {
          Arrays.fill(xt, dstRow, dstRow + rowLen, 0f);
          continue;
        }
        int srcRow = xOff + n0 * imageIn + (c * h + ih) * wIn;
        for (int b = 0; b < phases; b++) {
          int jFrom = b == 0 ? f0 : phaseFrom(b, pw, sw, wq);
          int jTo = b == 0 ? t0 : phaseTo(b, pw, sw, wq, wIn, jFrom);
          int src = srcRow + b - pw;
          int dst = dstRow + b * phaseLen;
          for (int z = dst; z < dst + jFrom * count; z++) { // a few padding zeros per row:
            xt[z] = 0f;                                     // cheaper inline than Arrays.fill
          }
          for (int z = dst + jTo * count; z < dst + phaseLen; z++) {
            xt[z] = 0f;
          }
          if (paired) { // this phase's columns outside the shared range
            packRun(x, src, xt, dst, count, imageIn, sw, jFrom, Math.min(lo, jTo));
            packRun(x, src, xt, dst, count, imageIn, sw, Math.max(hi, jFrom), jTo);
          } else {
            packRun(x, src, xt, dst, count, imageIn, sw, jFrom, jTo);
          }
        }
        if (paired) {
          packPairs(x, srcRow - pw, xt, dstRow, dstRow + phaseLen, lo, hi);
        }
      }
    }
  }

  /** First phase column of phase b that holds an input column (capped at {@code wq}). */
  private static int phaseFrom(int b, int pw, int sw, int wq) {
    return Math.min(wq, firstPhaseColumn(b - pw, sw));
  }

  /** One past the last phase column of phase b that holds an input column (≥ {@code from}). */
  private static int phaseTo(int b, int pw, int sw, int wq, int wIn, int from) {
    return Math.max(from, Math.min(wq, firstPhaseColumn(b - pw - wIn, sw)));
  }

  /** {@code xt[dst + j·count + i] = x[src + i·imageIn + j·sw]} for j in [jFrom, jTo), i < count. */
  private static void packRun(float[] x, int src, float[] xt, int dst, int count, int imageIn,
      int sw, int jFrom, int jTo) {
    if (count == 1) {
      if (sw == 1) {
        if (jTo > jFrom) {
          System.arraycopy(x, src + jFrom, xt, dst + jFrom, jTo - jFrom);
        }
      } else {
        for (int j = jFrom; j < jTo; j++) {
          xt[dst + j] = x[src + j * sw];
        }
      }
      return;
    }
    int i = 0;
    for (; i + 3 < count; i += 4) { // four images per pass: four loads per store run
      int s0 = src + i * imageIn;
      int s1 = s0 + imageIn;
      int s2 = s1 + imageIn;
      int s3 = s2 + imageIn;
      for (int j = jFrom, d = dst + jFrom * count + i; j < jTo; j++, d += count) {
        int o = j * sw;
        xt[d] = x[s0 + o];
        xt[d + 1] = x[s1 + o];
        xt[d + 2] = x[s2 + o];
        xt[d + 3] = x[s3 + o];
      }
    }
    for (; i < count; i++) {
      int s0 = src + i * imageIn;
      for (int j = jFrom, d = dst + jFrom * count + i; j < jTo; j++, d += count) {
        xt[d] = x[s0 + j * sw];
      }
    }
  }

  /**
   * Stride 2, one image, both phases at once: {@code xt[dst0 + j] = x[src + 2j]} and {@code
   * xt[dst1 + j] = x[src + 2j + 1]} for j in [lo, hi).
   */
  private static void packPairs(float[] x, int src, float[] xt, int dst0, int dst1, int lo,
      int hi) {
    for (int j = lo; j < hi; j++) {
      xt[dst0 + j] = x[src + 2 * j];
      xt[dst1 + j] = x[src + 2 * j + 1];
    }
  }

  /**
   * True when every input position is read by some output, i.e. has a place in the packed input:
   * then {@link #unpackInput} can assign each element of dx instead of adding to a cleared one.
   */
  private static boolean packedCoversInput(ConvGeometry g) {
    return g.inH() + g.padH() <= packedRows(g) && phases(g) == g.strideW()
        && (g.inW() - 1 + g.padW()) / g.strideW() < phaseColumns(g);
  }

  /**
   * Adjoint of {@link #packInput} over all channels into images {@code n0 ..} of dx at {@code
   * dxBase}: {@code dx[i, c, ih, iw] = base + xt[c][ih + padH][b][j][i]} for every input position
   * with a place in the packed input, where {@code base} is dx's own value when {@code add}, else
   * {@code init[c]} (or 0 without init). Positions without a place are left unchanged.
   */
  static void unpackInput(ConvGeometry g, float[] xt, int count, float[] dx, int dxBase,
      boolean add, float[] init, int initOff) {
    final int h = g.inH();
    final int wIn = g.inW();
    final int sw = g.strideW();
    final int ph = g.padH();
    final int pw = g.padW();
    final int phases = phases(g);
    final int hn = packedRows(g);
    final int wq = phaseColumns(g);
    final int rowLen = packedRowLength(g, count);
    final int phaseLen = wq * count;
    final int imageIn = g.inChannels() * h * wIn;
    final int ihTo = Math.min(h, hn - ph);
    final boolean paired = sw == 2 && phases == 2 && count == 1;
    final int f0 = phaseFrom(0, pw, sw, wq);
    final int t0 = phaseTo(0, pw, sw, wq, wIn, f0);
    final int f1 = paired ? phaseFrom(1, pw, sw, wq) : 0;
    final int t1 = paired ? phaseTo(1, pw, sw, wq, wIn, f1) : 0;
    final int lo = Math.max(f0, f1);
    final int hi = Math.max(lo, Math.min(t0, t1));
    for (int c = 0; c < g.inChannels(); c++) {
      final float base = init == null ? 0f : init[initOff + c];
      for (int ih = 0; ih < ihTo; ih++) {
        int srcRow = (c * hn + ih + ph) * rowLen;
        int dstRow = dxBase + (c * h + ih) * wIn;
        for (int b = 0; b < phases; b++) {
          int jFrom = b == 0 ? f0 : phaseFrom(b, pw, sw, wq);
          int jTo = b == 0 ? t0 : phaseTo(b, pw, sw, wq, wIn, jFrom);
          int dst = dstRow + b - pw;
          int src = srcRow + b * phaseLen;
          if (paired) {
            unpackRun(xt, src, dx, dst, count, imageIn, sw, jFrom, Math.min(lo, jTo), add, base);
            unpackRun(xt, src, dx, dst, count, imageIn, sw, Math.max(hi, jFrom), jTo, add, base);
          } else {
            unpackRun(xt, src, dx, dst, count, imageIn, sw, jFrom, jTo, add, base);
          }
        }
        if (paired) {
          unpackPairs(xt, srcRow, srcRow + phaseLen, dx, dstRow - pw, lo, hi, add, base);
        }
      }
    }
  }

  /**
   * Adjoint of {@link #packRun}: {@code dx[dst + i·imageIn + j·sw] = base + xt[src + j·count +
   * i]} (base: dx's own value when {@code add}).
   */
  private static void unpackRun(float[] xt, int src, float[] dx, int dst, int count, int imageIn,
      int sw, int jFrom, int jTo, boolean add, float base) {
    int i = 0;
    for (; i + 3 < count; i += 4) { // four images per pass: contiguous reads of xt
      int d0 = dst + i * imageIn;
      int d1 = d0 + imageIn;
      int d2 = d1 + imageIn;
      int d3 = d2 + imageIn;
      for (int j = jFrom, t = src + jFrom * count + i; j < jTo; j++, t += count) {
        int o = j * sw;
        if (add) {
          dx[d0 + o] += xt[t];
          dx[d1 + o] += xt[t + 1];
          dx[d2 + o] += xt[t + 2];
          dx[d3 + o] += xt[t + 3];
        } else {
          dx[d0 + o] = base + xt[t];
          dx[d1 + o] = base + xt[t + 1];
          dx[d2 + o] = base + xt[t + 2];
          dx[d3 + o] = base + xt[t + 3];
        }
      }
    }
    for (; i < count; i++) {
      int d = dst + i * imageIn;
      if (add) {
        for (int j = jFrom, t = src + jFrom * count + i; j < jTo; j++, t += count) {
          dx[d + j * sw] += xt[t];
        }
      } else {
        for (int j = jFrom, t = src + jFrom * count + i; j < jTo; j++, t += count) {
          dx[d + j * sw] = base + xt[t];
        }
      }
    }
  }

  /** Adjoint of {@link #packPairs}: both stride-2 phases of one image into neighbouring columns. */
  private static void unpackPairs(float[] xt, int src0, int src1, float[] dx, int dst, int lo,
      int hi, boolean add, float base) {
    if (add) {
      for (int j = lo; j < hi; j++) {
        dx[dst + 2 * j] += xt[src0 + j];
        dx[dst + 2 * j + 1] += xt[src1 + j];
      }
    } else {
      for (int j = lo; j < hi; j++) {
        dx[dst + 2 * j] = base + xt[src0 + j];
        dx[dst + 2 * j + 1] = base + xt[src1 + j];
      }
    }
  }

  /** Smallest {@code j ≥ 0} with {@code j·stride + offset ≥ 0}. */
  private static int firstPhaseColumn(int offset, int stride) {
    return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  }

  /**
   * Rows {@code [rowFrom, rowTo)} of the group's column matrix into {@code col} (leading dimension
   * {@code P·Q·count}): {@code col[row − rowFrom][(oh·Q + ow)·count + i] = x[n0 + i, c, oh·strideH
   * − padH + r, ow·strideW − padW + s]} (0 outside) with {@code row = (c·R + r)·S + s}, read from
   * the group's packed input at {@code xt[xtOff ..]}.
   */
  static void columns(ConvGeometry g, float[] xt, int xtOff, int count, int rowFrom, int rowTo,
      float[] col) {
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sw = g.strideW();
    final int outH = g.outH();
    final int hn = packedRows(g);
    final int wq = phaseColumns(g);
    final int rowLen = packedRowLength(g, count);
    final int run = g.outW() * count;
    final int ld = outH * run;
    final int step = g.strideH() * rowLen;
    for (int row = rowFrom; row < rowTo; row++) {
      int s = row % kw;
      int r = (row / kw) % kh;
      int c = row / (kw * kh);
      int src = xtOff + (c * hn + r) * rowLen + ((s % sw) * wq + s / sw) * count;
      int dst = (row - rowFrom) * ld;
      for (int oh = 0; oh < outH; oh++, src += step, dst += run) {
        System.arraycopy(xt, src, col, dst, run);
      }
    }
  }

  /**
   * Adjoint of {@link #columns} over all rows: adds every run of the column matrix {@code col}
   * ({@code crs × P·Q·count}) into the packed gradient {@code xt} (which the caller zeroes).
   */
  static void addColumns(ConvGeometry g, float[] col, int count, float[] xt) {
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sw = g.strideW();
    final int outH = g.outH();
    final int hn = packedRows(g);
    final int wq = phaseColumns(g);
    final int rowLen = packedRowLength(g, count);
    final int run = g.outW() * count;
    final int step = g.strideH() * rowLen;
    final int rows = g.inChannels() * kh * kw;
    KernelSupport impl = Kernels.support();
    for (int row = 0; row < rows; row++) {
      int s = row % kw;
      int r = (row / kw) % kh;
      int c = row / (kw * kh);
      int dst = (c * hn + r) * rowLen + ((s % sw) * wq + s / sw) * count;
      int src = row * outH * run;
      for (int oh = 0; oh < outH; oh++, dst += step, src += run) {
        impl.axpy(run, 1f, col, src, xt, dst);
      }
    }
  }

  /**
   * {@code dst[k][pix·count + i] = src[srcBase + (i·K + k)·PQ + pix]}: {@code count} images of
   * NCHW data ({@code K} channels of {@code PQ} pixels) interleaved image-fastest.
   */
  private static void interleave(float[] src, int srcBase, int channels, int pq, int count,
      float[] dst) {
    final int cols = pq * count;
    final int image = channels * pq;
    for (int k = 0; k < channels; k++) {
      int i = 0;
      for (; i + 3 < count; i += 4) { // four images per pass: contiguous writes
        int s0 = srcBase + i * image + k * pq;
        int s1 = s0 + image;
        int s2 = s1 + image;
        int s3 = s2 + image;
        for (int pix = 0, d = k * cols + i; pix < pq; pix++, d += count) {
          dst[d] = src[s0 + pix];
          dst[d + 1] = src[s1 + pix];
          dst[d + 2] = src[s2 + pix];
          dst[d + 3] = src[s3 + pix];
        }
      }
      for (; i < count; i++) {
        int s0 = srcBase + i * image + k * pq;
        for (int pix = 0, d = k * cols + i; pix < pq; pix++, d += count) {
          dst[d] = src[s0 + pix];
        }
      }
    }
  }

  /**
   * Inverse of {@link #interleave} plus a per-channel bias: {@code dst[i][k][pix] (+)= src[k][pix·
   * count + i] + bias[k]} (no bias when {@code bias} is null), adding with {@code accumulate}.
   */
  private static void deinterleave(float[] src, int channels, int pq, int count, float[] dst,
      int dstBase, boolean accumulate, float[] bias, int biasOff) {
    final int cols = pq * count;
    final int image = channels * pq;
    for (int k = 0; k < channels; k++) {
      final float b = bias == null ? 0f : bias[biasOff + k];
      int i = 0;
      for (; i + 3 < count; i += 4) { // four images per pass: contiguous reads
        int d0 = dstBase + i * image + k * pq;
        int d1 = d0 + image;
        int d2 = d1 + image;
        int d3 = d2 + image;
        if (accumulate) {
          for (int pix = 0, s = k * cols + i; pix < pq; pix++, s += count) {
            dst[d0 + pix] += src[s] + b;
            dst[d1 + pix] += src[s + 1] + b;
            dst[d2 + pix] += src[s + 2] + b;
            dst[d3 + pix] += src[s + 3] + b;
          }
        } else {
          for (int pix = 0, s = k * cols + i; pix < pq; pix++, s += count) {
            dst[d0 + pix] = src[s] + b;
            dst[d1 + pix] = src[s + 1] + b;
            dst[d2 + pix] = src[s + 2] + b;
            dst[d3 + pix] = src[s + 3] + b;
          }
        }
      }
      for (; i < count; i++) {
        int d0 = dstBase + i * image + k * pq;
        for (int pix = 0, s = k * cols + i; pix < pq; pix++, s += count) {
          dst[d0 + pix] = accumulate ? dst[d0 + pix] + (src[s] + b) : src[s] + b;
        }
      }
    }
  }
}
