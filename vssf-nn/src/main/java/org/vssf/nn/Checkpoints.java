package org.vssf.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vssf.autodiff.Tensor;
import org.vssf.nn.io.Dtype;
import org.vssf.nn.io.SafeTensors;
import org.vssf.nn.io.SafeTensorsContents;
import org.vssf.nn.io.TensorData;

/**
 * Model weights (and optionally the optimiser state) in one safetensors file: parameters and
 * buffers under their dotted module paths, Adam moments as {@code optimizer.m.<path>} and {@code
 * optimizer.v.<path>} with the step count in the metadata ({@code optimizer.step}). Written
 * atomically; loading checks every name, dtype and shape against the model
 * and reports all mismatches in one {@link ModelMismatchException} before touching the model.
 */
public final class Checkpoints {
  /** Metadata key holding the format tag. */
  public static final String FORMAT_KEY = "vssf.format";
  /** Format tag of this layout. */
  public static final String FORMAT = "vssf-j-weights-1";
  /** Metadata key holding the optimiser's step count. */
  public static final String STEP_KEY = "optimizer.step";
  private static final String OPT = "optimizer.";

  private Checkpoints() {}

  /**
   * Writes the model's parameters and buffers, the optimiser state when {@code optimizer} is not
   * null, and {@code metadata} (string pairs; the keys above are reserved) to {@code file}.
   */
  public static void save(Path file, Module model, Adam optimizer, Map<String, String> metadata)
      throws IOException {
    LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
      put(tensors, e.getKey(), e.getValue().shape(), e.getValue().data());
    }
    for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) {
      put(tensors, e.getKey(), e.getValue().shape(), e.getValue().data());
    }
    TreeMap<String, String> meta = new TreeMap<>();
    if (metadata != null) {
      for (String k : metadata.keySet()) {
        if (k.equals(FORMAT_KEY) || k.equals(STEP_KEY)) {
          throw new IllegalArgumentException("Checkpoints.save: metadata key '" + k + "' is reserved");
        }
      }
      meta.putAll(metadata);
    }
    meta.put(FORMAT_KEY, FORMAT);
    if (optimizer != null) {
      Map<String, Tensor> params = model.namedParameters();
      for (Map.Entry<String, float[]> e : optimizer.exportState().entrySet()) {
        String param = e.getKey().substring(2);
        Tensor p = params.get(param);
        int[] shape = p != null ? p.shape() : new int[] {e.getValue().length};
        put(tensors, OPT + e.getKey(), shape, e.getValue());
      }
      meta.put(STEP_KEY, Long.toString(optimizer.step()));
    }
    SafeTensors.write(file, tensors, meta);
  }

  private static void put(Map<String, TensorData> tensors, String name, int[] shape, float[] values) {
    tensors.put(name, new TensorData(name, shape, values));
  }

  /**
   * Loads {@code file} into {@code model} (parameters in place, buffers replaced) and, when {@code
   * optimizer} is not null, its state; returns the file's metadata. Optimiser tensors in the file
   * are ignored when {@code optimizer} is null. Nothing is changed unless everything fits.
   *
   * @throws ModelMismatchException listing every missing, unexpected, non-F32 or misshapen tensor
   * @throws org.vssf.nn.io.SafeTensorsFormatException if the file is not valid safetensors
   */
  public static Map<String, String> load(Path file, Module model, Adam optimizer) throws IOException {
    // One read: names, dtypes and shapes are checked against the same contents that are copied,
    // so a file replaced in between (e.g. by a concurrent atomic save) cannot slip through.
    SafeTensorsContents contents = SafeTensors.read(file);
    Map<String, TensorData> infos = contents.tensors();
    List<String> problems = new ArrayList<>();
    Map<String, Tensor> params = model.namedParameters();
    Map<String, Tensor> buffers = model.namedBuffers();
    LinkedHashMap<String, int[]> expected = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      expected.put(e.getKey(), e.getValue().shape());
    }
    for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
      expected.put(e.getKey(), e.getValue().shape());
    }
    long step = 0;
    if (optimizer != null) {
      for (Map.Entry<String, float[]> e : optimizer.exportState().entrySet()) {
        Tensor p = params.get(e.getKey().substring(2));
        expected.put(OPT + e.getKey(), p != null ? p.shape() : new int[] {e.getValue().length});
      }
      String s = contents.metadata().get(STEP_KEY);
      try {
        step = Long.parseLong(s);
        if (step < 0) {
          problems.add("metadata " + STEP_KEY + " is negative: " + s);
        }
      } catch (NumberFormatException ex) {
        problems.add(s == null ? "no optimizer state (metadata " + STEP_KEY + " missing)"
            : "metadata " + STEP_KEY + " is not a number: '" + s + "'");
      }
    }
    for (Map.Entry<String, int[]> e : expected.entrySet()) {
      TensorData info = infos.get(e.getKey());
      if (info == null) {
        problems.add("missing " + e.getKey());
      } else if (info.dtype() != Dtype.F32) {
        problems.add(e.getKey() + " is " + info.dtype() + ", expected F32");
      } else if (!Arrays.equals(info.shape(), e.getValue())) {
        problems.add(e.getKey() + " has shape " + Arrays.toString(info.shape()) + ", the model expects "
            + Arrays.toString(e.getValue()));
      }
    }
    for (String name : infos.keySet()) {
      if (!expected.containsKey(name) && !(optimizer == null && name.startsWith(OPT))) {
        problems.add("unexpected " + name);
      }
    }
    if (!problems.isEmpty()) {
      throw new ModelMismatchException(file, problems);
    }
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      float[] v = contents.get(e.getKey()).values();
      System.arraycopy(v, 0, e.getValue().data(), 0, v.length);
    }
    for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
      model.replaceBuffer(e.getKey(), Tensor.wrap(contents.get(e.getKey()).values(), e.getValue().shape()));
    }
    if (optimizer != null) {
      LinkedHashMap<String, float[]> state = new LinkedHashMap<>();
      for (String k : optimizer.exportState().keySet()) {
        state.put(k, contents.get(OPT + k).values());
      }
      optimizer.importState(state, step);
    }
    return contents.metadata();
  }
}
