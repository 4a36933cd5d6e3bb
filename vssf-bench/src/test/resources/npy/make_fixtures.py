"""Writes the NumPy-made .npy fixtures of NpyTest (run here with NumPy >= 1.24: np.save pads
the header for growth since then). Our writer must reproduce these files byte for byte."""
import numpy as np

a = (np.arange(12, dtype=np.float32) * np.float32(0.25) - np.float32(1.5)).reshape(3, 4)
a[0, 0] = np.float32(-0.0)
a[1, 1] = np.float32(1e-45)  # smallest subnormal
a[2, 3] = np.float32(3.4028235e38)  # largest finite
np.save('float32_3x4.npy', a)
np.save('uint8_2x3x2x2x3.npy', (np.arange(72) * 7 % 256).astype(np.uint8).reshape(2, 3, 2, 2, 3))
np.save('float32_7.npy', np.linspace(-1, 1, 7, dtype=np.float32))
np.save('float32_scalar.npy', np.float32(2.5))
np.save('float32_0x5x2.npy', np.zeros((0, 5, 2), np.float32))
