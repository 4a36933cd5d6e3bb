#!/usr/bin/env python3
"""Writes independent.safetensors from the safetensors spec alone (struct + json, no
safetensors or numpy package), so the Java reader is checked against a writer it shares no
code with. Run from this directory: python3 make_independent.py

Layout: 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON padded with
spaces to a multiple of 8, then the data buffer; data_offsets are relative to the buffer.
"""
import json
import struct

tensors = [
    # (name, shape, row-major values); 0.1 is rounded to binary32 by struct, as by Java's (float)
    ("encoder.weight", [2, 3], [1.0, -2.5, 0.1, 3.0e-8, -0.0, 65504.0]),
    ("decoder.bias\u00e9\U0001F600", [3], [0.5, -1.0, 1.0e30]),
]
metadata = {"format": "pt", "note": "made by make_independent.py"}

header = {"__metadata__": metadata}
data = b""
for name, shape, values in tensors:
    count = 1
    for d in shape:
        count *= d
    assert count == len(values)
    chunk = struct.pack("<%df" % len(values), *values)
    header[name] = {"dtype": "F32", "shape": shape,
                    "data_offsets": [len(data), len(data) + len(chunk)]}
    data += chunk

# json.dumps escapes non-ASCII as \uXXXX (the emoji as a surrogate pair): exercises the escapes.
text = json.dumps(header).encode("utf-8")
text += b" " * (-len(text) % 8)
with open("independent.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    f.write(data)
