#!/usr/bin/env python3
"""Python side of bench/fits/decompress.bench.ts.

  decompress.py write OUTDIR [SIZE]   writes tile-compressed copies of a synthetic int16 (and one
                                      quantized float32) image with astropy into OUTDIR
  decompress.py time REPEAT PATH...   times astropy decoding each file REPEAT times in this process
                                      (fits.getdata of the compressed HDU, converted to native
                                      float32 like our readPlane): best wall and CPU seconds

The bench calls `time` once per round, alternating with our side, so both see the same load.
Prints one JSON object on its last line.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import astropy
from astropy.io import fits


def write(out_dir, size):
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
        ("hcompress_float32_dither", f32, dict(compression_type="HCOMPRESS_1", quantize_method=1)),
        ("plio_int16", i16, dict(compression_type="PLIO_1")),
    ]
    results = {}
    for name, data, kw in cases:
        path = os.path.join(out_dir, f"{name}.fits")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data=data, **kw)]).writeto(path, overwrite=True)
        arr = fits.getdata(path, ext=1).astype(np.float32, copy=False)
        results[name] = {
            "path": path,
            "compressed_bytes": os.path.getsize(path),
            "pixels": int(arr.size),
            "sum": float(np.nansum(arr, dtype=np.float64)),
        }
    print(json.dumps({"astropy": astropy.__version__, "size": size, "results": results}))


def time_paths(repeat, paths):
    out = {}
    for path in paths:
        times, cpu = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            c0 = time.process_time()
            fits.getdata(path, ext=1).astype(np.float32, copy=False)
            cpu.append(time.process_time() - c0)
            times.append(time.perf_counter() - t0)
        out[path] = {"best_s": min(times), "best_cpu_s": min(cpu)}
    print(json.dumps(out))


if sys.argv[1] == "write":
    write(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2048)
else:
    time_paths(int(sys.argv[2]), sys.argv[3:])
