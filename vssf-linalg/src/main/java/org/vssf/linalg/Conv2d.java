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
 * for weight gradients, the weight columns) is split over {@link Parallel} workers. A transposed
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

  /** Per-thread buffers: im2col matrix and a GEMM-shaped gather/scatter matrix. */
  private static final class Workspace {
    float[] col = new float[0];
    float[] tmp = new float[0];

    float[] col(int size) {
      if (col.length < size) {
        col = new float[size];
      }
      return col;
    }

    float[] tmp(int size) {
      if (tmp.length < size) {
        tmp = new float[size];
      }
      return tmp;
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
    convForward(geom, x, xOff, w, wOff, bias, biasOff, y, yOff, false, parallelism);
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
    convBackwardWeight(geom, x, xOff, dy, dyOff, dw, dwOff, accumulate, parallelism);
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
    convForward(geom.convolution(), dy, dyOff, w, wOff, null, 0, dx, dxOff, accumulate,
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
    convBackwardWeight(geom.convolution(), dy, dyOff, x, xOff, dw, dwOff, accumulate, parallelism);
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
   * is written by one task.
   */
  private static void convForward(ConvGeometry g, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, float[] y, int yOff, boolean accumulate, int parallelism) {
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
      forwardGroups(g, group, 0, groups, x, xOff, w, wOff, bias, biasOff, y, yOff, accumulate,
          parallelism);
    } else {
      Parallel.forEachChunk(groups, parallelism, (chunk, from, to) ->
          forwardGroups(g, group, from, to, x, xOff, w, wOff, bias, biasOff, y, yOff, accumulate, 1));
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
      boolean accumulate, int gemmThreads) {
    final int kOut = g.outChannels();
    final int pq = g.outH() * g.outW();
    final int crs = g.inChannels() * g.kernelH() * g.kernelW();
    final int imageIn = g.inChannels() * g.inH() * g.inW();
    final int imageOut = kOut * pq;
    Workspace ws = WORKSPACE.get();
    for (int gi = groupFrom; gi < groupTo; gi++) {
      int n0 = gi * group;
      int count = Math.min(group, g.batch() - n0);
      int cols = count * pq;
      float[] col = ws.col(crs * cols);
      for (int i = 0; i < count; i++) {
        im2col(g, x, xOff + (n0 + i) * imageIn, 0, crs, col, i * pq, cols);
      }
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
        // Several images side by side: [K × count·PQ], then scattered to NCHW.
        float[] tmp = ws.tmp(kOut * cols);
        float beta = 0f;
        if (bias != null) {
          for (int k = 0; k < kOut; k++) {
            Arrays.fill(tmp, k * cols, (k + 1) * cols, bias[biasOff + k]);
          }
          beta = 1f;
        }
        Kernels.gemm(false, false, kOut, cols, crs, 1f, w, wOff, crs, col, 0, cols, beta, tmp, 0,
            cols, gemmThreads);
        for (int i = 0; i < count; i++) {
          int base = yOff + (n0 + i) * imageOut;
          for (int k = 0; k < kOut; k++) {
            int src = k * cols + i * pq;
            int dst = base + k * pq;
            if (accumulate) {
              for (int j = 0; j < pq; j++) {
                y[dst + j] += tmp[src + j];
              }
            } else {
              System.arraycopy(tmp, src, y, dst, pq);
            }
          }
        }
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
        for (int i = 0; i < count; i++) {
          int src = dyOff + (n0 + i) * imageOut;
          for (int k = 0; k < kOut; k++) {
            System.arraycopy(dy, src + k * pq, b, k * cols + i * pq, pq);
          }
        }
      }
      float[] col = ws.col(crs * cols);
      Kernels.gemm(true, false, crs, cols, kOut, 1f, w, wOff, crs, b, bOff, cols, 0f, col, 0, cols,
          gemmThreads);
      for (int i = 0; i < count; i++) {
        int base = dxOff + (n0 + i) * imageIn;
        if (!accumulate) {
          if (init == null) {
            Arrays.fill(dx, base, base + imageIn, 0f);
          } else {
            for (int c = 0; c < g.inChannels(); c++) {
              Arrays.fill(dx, base + c * hw, base + (c + 1) * hw, init[initOff + c]);
            }
          }
        }
        col2im(g, col, i * pq, cols, dx, base);
      }
    }
  }

  /**
   * {@code dw (+)= Σ_n dy_n·im2col(x_n)ᵀ} on convolution geometry {@code g}. The weight columns
   * ({@code c,r,s}) are split over threads; each column block sums the image groups in order with
   * one GEMM per group, so no result depends on the thread count.
   */
  private static void convBackwardWeight(ConvGeometry g, float[] x, int xOff, float[] dy,
      int dyOff, float[] dw, int dwOff, boolean accumulate, int parallelism) {
    int crs = g.inChannels() * g.kernelH() * g.kernelW();
    if (isDense(g)) {
      // dw[K × CRS] (+)= dyᵀ·x[N × CRS]; the GEMM sums over n in a fixed order.
      Kernels.gemm(true, false, g.outChannels(), crs, g.batch(), 1f, dy, dyOff, g.outChannels(),
          x, xOff, crs, accumulate ? 1f : 0f, dw, dwOff, crs, parallelism);
      return;
    }
    int blocks = (crs + WEIGHT_COLUMN_BLOCK - 1) / WEIGHT_COLUMN_BLOCK;
    if (blocks == 1 || parallelism == 1) {
      backwardWeightColumns(g, 0, crs, x, xOff, dy, dyOff, dw, dwOff, accumulate, parallelism);
    } else {
      Parallel.forEachChunk(blocks, parallelism, (chunk, from, to) ->
          backwardWeightColumns(g, from * WEIGHT_COLUMN_BLOCK,
              Math.min(crs, to * WEIGHT_COLUMN_BLOCK), x, xOff, dy, dyOff, dw, dwOff, accumulate, 1));
    }
  }

  private static void backwardWeightColumns(ConvGeometry g, int colFrom, int colTo, float[] x,
      int xOff, float[] dy, int dyOff, float[] dw, int dwOff, boolean accumulate,
      int gemmThreads) {
    final int kOut = g.outChannels();
    final int pq = g.outH() * g.outW();
    final int crs = g.inChannels() * g.kernelH() * g.kernelW();
    final int imageIn = g.inChannels() * g.inH() * g.inW();
    final int imageOut = kOut * pq;
    final int width = colTo - colFrom;
    final int group = groupSize(g.batch(), pq);
    Workspace ws = WORKSPACE.get();
    for (int n0 = 0; n0 < g.batch(); n0 += group) {
      int count = Math.min(group, g.batch() - n0);
      int cols = count * pq;
      float[] a;
      int aOff;
      if (count == 1) {
        a = dy;
        aOff = dyOff + n0 * imageOut;
      } else {
        a = ws.tmp(kOut * cols);
        aOff = 0;
        for (int i = 0; i < count; i++) {
          int src = dyOff + (n0 + i) * imageOut;
          for (int k = 0; k < kOut; k++) {
            System.arraycopy(dy, src + k * pq, a, k * cols + i * pq, pq);
          }
        }
      }
      float[] col = ws.col(width * cols);
      for (int i = 0; i < count; i++) {
        im2col(g, x, xOff + (n0 + i) * imageIn, colFrom, colTo, col, i * pq, cols);
      }
      float beta = n0 == 0 && !accumulate ? 0f : 1f;
      Kernels.gemm(false, true, kOut, width, cols, 1f, a, aOff, cols, col, 0, cols, beta, dw,
          dwOff + colFrom, crs, gemmThreads);
    }
  }

  // ------------------------------------------------------------------------- im2col / col2im

  /**
   * Rows {@code [rowFrom, rowTo)} of one image's column matrix: {@code col[row − rowFrom][oh·Q +
   * ow] = x[c, oh·strideH − padH + r, ow·strideW − padW + s]} (0 outside) with {@code row = (c·R +
   * r)·S + s}, stored at {@code colOff + (row − rowFrom)·ld}.
   */
  static void im2col(ConvGeometry g, float[] x, int xBase, int rowFrom, int rowTo, float[] col,
      int colOff, int ld) {
    final int h = g.inH();
    final int wIn = g.inW();
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int ph = g.padH();
    final int pw = g.padW();
    final int outH = g.outH();
    final int outW = g.outW();
    for (int row = rowFrom; row < rowTo; row++) {
      int s = row % kw;
      int r = (row / kw) % kh;
      int c = row / (kw * kh);
      int dst = colOff + (row - rowFrom) * ld;
      int iw0 = s - pw;
      int owLo = validFrom(iw0, sw, outW);
      int owHi = Math.max(owLo, validTo(iw0, sw, wIn, outW));
      int plane = xBase + c * h * wIn;
      for (int oh = 0; oh < outH; oh++, dst += outW) {
        int ih = oh * sh - ph + r;
        if (ih < 0 || ih >= h) {
          Arrays.fill(col, dst, dst + outW, 0f);
          continue;
        }
        if (owLo > 0) {
          Arrays.fill(col, dst, dst + owLo, 0f);
        }
        int src = plane + ih * wIn + iw0;
        if (sw == 1) {
          if (owHi > owLo) { // arraycopy rejects a negative index even for length 0
            System.arraycopy(x, src + owLo, col, dst + owLo, owHi - owLo);
          }
        } else if (sw == 2) {
          for (int ow = owLo; ow < owHi; ow++) {
            col[dst + ow] = x[src + 2 * ow];
          }
        } else {
          for (int ow = owLo; ow < owHi; ow++) {
            col[dst + ow] = x[src + ow * sw];
          }
        }
        if (owHi < outW) {
          Arrays.fill(col, dst + owHi, dst + outW, 0f);
        }
      }
    }
  }

  /**
   * Adjoint of {@link #im2col} over all rows: {@code dx[c, oh·strideH − padH + r, ow·strideW − padW
   * + s] += col[(c·R + r)·S + s][oh·Q + ow]} for the positions inside the image.
   */
  static void col2im(ConvGeometry g, float[] col, int colOff, int ld, float[] dx, int dxBase) {
    final int h = g.inH();
    final int wIn = g.inW();
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int ph = g.padH();
    final int pw = g.padW();
    final int outH = g.outH();
    final int outW = g.outW();
    final int rows = g.inChannels() * kh * kw;
    for (int row = 0; row < rows; row++) {
      int s = row % kw;
      int r = (row / kw) % kh;
      int c = row / (kw * kh);
      int src = colOff + row * ld;
      int iw0 = s - pw;
      int owLo = validFrom(iw0, sw, outW);
      int owHi = Math.max(owLo, validTo(iw0, sw, wIn, outW));
      int ohLo = validFrom(r - ph, sh, outH);
      int ohHi = Math.max(ohLo, validTo(r - ph, sh, h, outH));
      int plane = dxBase + c * h * wIn;
      for (int oh = ohLo; oh < ohHi; oh++) {
        int dst = plane + (oh * sh - ph + r) * wIn + iw0;
        int at = src + oh * outW;
        if (sw == 1) {
          for (int ow = owLo; ow < owHi; ow++) {
            dx[dst + ow] += col[at + ow];
          }
        } else {
          for (int ow = owLo; ow < owHi; ow++) {
            dx[dst + ow * sw] += col[at + ow];
          }
        }
      }
    }
  }

  /** First output index {@code o ≥ 0} with {@code o·stride + offset ≥ 0} (capped at {@code out}). */
  private static int validFrom(int offset, int stride, int out) {
    return offset >= 0 ? 0 : Math.min(out, (-offset + stride - 1) / stride);
  }

  /** One past the last output index with {@code o·stride + offset < size} (capped at {@code out}). */
  private static int validTo(int offset, int stride, int size, int out) {
    int last = size - 1 - offset;
    return last < 0 ? 0 : Math.min(out, last / stride + 1);
  }
}
