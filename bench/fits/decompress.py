#!/usr/bin/env python3
"""Python side of bench/fits/decompress.bench.ts: writes tile-compressed copies of a synthetic
int16 (and one quantized float32) image with astropy into OUTDIR, then times astropy decoding each
(fits.getdata of the compressed HDU, converted to native float32 like our readPlane).
Prints one JSON object on its last line.

Usage: decompress.py OUTDIR [SIZE] [REPEAT]
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import astropy
from astropy.io import fits

out_dir = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 5

rng = np.random.default_rng(1)
y, x = np.mgrid[0:size, 0:size] / size
sky = 1000 + 400 * np.sin(6 * x) * np.cos(4 * y) + rng.normal(0, 20, (size, size))
stars = rng.integers(0, size, (200, 2))
for sy, sx in stars:
    sky[max(0, sy - 2): sy + 3, max(0, sx - 2): sx + 3] += 5000
i16 = np.clip(sky, -32768, 32767).astype(np.int16)
f32 = sky.astype(np.float32)

cases = [
    ("rice_int16", i16, dict(compression_type="RICE_1")),
    ("gzip1_int16", i16, dict(compression_type="GZIP_1")),
    ("gzip2_int16", i16, dict(compression_type="GZIP_2")),
    ("hcompress_int16", i16, dict(compression_type="HCOMPRESS_1")),
    ("rice_float32_dither", f32, dict(compression_type="RICE_1", quantize_method=1)),
]

results = {}
for name, data, kw in cases:
    path = os.path.join(out_dir, f"{name}.fits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data=data, **kw)]).writeto(path, overwrite=True)
    times = []
    cpu = []
    arr = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        c0 = time.process_time()
        arr = fits.getdata(path, ext=1).astype(np.float32, copy=False)
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    results[name] = {
        "path": path,
        "compressed_bytes": os.path.getsize(path),
        "pixels": int(arr.size),
        "best_s": min(times),
        "median_s": float(np.median(times)),
        "best_cpu_s": min(cpu),
        "sum": float(np.nansum(arr, dtype=np.float64)),
    }

print(json.dumps({"astropy": astropy.__version__, "size": size, "repeat": repeat, "results": results}))
