package org.vssf.linalg;

import java.util.logging.Logger;

/**
 * Chooses the {@link KernelSupport} implementation once per JVM (DESIGN §3). Detection order, each
 * fallback logged once: kill switch {@code -Dvssf.simd=false} → Android/ART VM → {@code
 * jdk.incubator.vector} not resolvable (the JVM was started without {@code --add-modules
 * jdk.incubator.vector}) → the SIMD implementation's constructor throws. The SIMD class is loaded
 * only by name, so this jar runs on JVMs that lack the incubator module.
 */
public final class KernelProvider {
  /** Class name of the Vector API implementation (separate source root, loaded reflectively). */
  static final String SIMD_CLASS = "org.vssf.linalg.simd.PanamaKernels";

  private static final Logger LOG = Logger.getLogger("org.vssf.linalg");

  private KernelProvider() {}

  private static final class Holder {
    static final ScalarKernels SCALAR = new ScalarKernels();
    static final String[] SIMD_FAILURE = new String[1];
    static final KernelSupport SIMD = loadSimd(SIMD_FAILURE);
    static final KernelSupport ACTIVE = choose();

    private static KernelSupport choose() {
      if (SIMD != null) {
        LOG.info("VSSF-J kernels: " + SIMD.name() + " (jdk.incubator.vector)");
        return SIMD;
      }
      LOG.info("VSSF-J kernels: scalar (" + SIMD_FAILURE[0] + ")");
      return SCALAR;
    }
  }

  /** The implementation {@link Kernels} uses: SIMD when it loaded, scalar otherwise. */
  public static KernelSupport active() {
    return Holder.ACTIVE;
  }

  /** The portable scalar implementation (always available). */
  public static KernelSupport scalar() {
    return Holder.SCALAR;
  }

  /** The Vector API implementation, or {@code null} when it is disabled or failed to load. */
  public static KernelSupport simdOrNull() {
    return Holder.SIMD;
  }

  /** Why SIMD is not active ({@code null} when it is). */
  public static String simdUnavailableReason() {
    return Holder.SIMD == null ? Holder.SIMD_FAILURE[0] : null;
  }

  private static KernelSupport loadSimd(String[] failure) {
    if ("false".equalsIgnoreCase(System.getProperty("vssf.simd", "true").trim())) {
      failure[0] = "disabled by -Dvssf.simd=false";
      return null;
    }
    // Android reports java.vm.name "Dalvik" (also on ART) and java.vendor "The Android Project".
    if (System.getProperty("java.vm.name", "").contains("Dalvik")
        || System.getProperty("java.vendor", "").contains("Android")) {
      failure[0] = "Android/ART VM has no Vector API";
      return null;
    }
    try {
      Class.forName("jdk.incubator.vector.FloatVector", false, KernelProvider.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      failure[0] = "jdk.incubator.vector not present; start the JVM with --add-modules jdk.incubator.vector";
      return null;
    }
    try {
      Class<?> cls = Class.forName(SIMD_CLASS, true, KernelProvider.class.getClassLoader());
      return (KernelSupport) cls.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      failure[0] = "SIMD kernels failed to load: " + cause;
      return null;
    }
  }
}
