#!/usr/bin/python3
"""Reference side of bench/composite/nchannel.bench.ts: the upstream engine's N-channel pipeline
(upstream-latest §1.3) rebuilt with numpy/astropy/reproject: find_optimal_celestial_wcs at native
scale, reproject_interp per channel, neutralisation (sigma-clipped median, clip at 0), asinh
(a=0.05) normalised by the 0.1/99.9 percentiles, hue tint, sum / global max, sRGB transfer, flip,
crop to content, LANCZOS fit into the canvas, PNG. Prints one JSON line."""
import colorsys
import io
import json
import os
import resource
import sys
import time
import warnings

t0 = time.perf_counter()
import numpy as np
from astropy.io import fits
from astropy.stats import sigma_clipped_stats
from astropy.wcs import WCS
from PIL import Image
from reproject import reproject_interp
from reproject.mosaicking import find_optimal_celestial_wcs

warnings.simplefilter('ignore')
size = int(os.environ.get('BENCH_CANVAS', '2000'))
paths = sys.argv[1:]
hues = {1: [0], 2: [210, 30], 3: [240, 120, 0], 4: [240, 120, 30, 0], 5: [240, 180, 120, 30, 0], 6: [240, 180, 120, 60, 30, 0]}[len(paths)]
inputs = []
for path in paths:
    with fits.open(path) as hdul:
        hdu = hdul['SCI']
        inputs.append((hdu.data.astype(float), WCS(hdu.header)))
wcs_out, shape = find_optimal_celestial_wcs(inputs)
rgb = np.zeros(shape + (3,))
for (data, wcs), hue in zip(inputs, hues):
    arr, fp = reproject_interp((data, wcs), wcs_out, shape_out=shape)
    arr = np.nan_to_num(arr)
    arr[fp == 0] = 0
    _, med, _ = sigma_clipped_stats(arr[arr > 0], sigma=3, maxiters=5)
    arr = np.clip(arr - med, 0, None)
    lo, hi = np.percentile(arr, [0.1, 99.9])
    x = np.clip((arr - lo) / (hi - lo), 0, 1)
    v = np.arcsinh(x / 0.05) / np.arcsinh(1 / 0.05)
    r, g, b = colorsys.hsv_to_rgb(hue / 360, 1, 1)
    rgb += v[..., None] * np.array([r, g, b])
    del arr, fp, x, v
rgb /= rgb.max()
rgb = np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * np.power(rgb, 1 / 2.4) - 0.055)
rgb = np.flipud(rgb)
lit = np.any(rgb > 0.005, axis=2)
ys, xs = np.nonzero(lit)
rgb = rgb[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
img = Image.fromarray((rgb * 255).astype(np.uint8))
f = min(size / img.width, size / img.height)
img = img.resize((round(img.width * f), round(img.height * f)), Image.LANCZOS)
canvas = Image.new('RGB', (size, size))
canvas.paste(img, ((size - img.width) // 2, (size - img.height) // 2))
buf = io.BytesIO()
canvas.save(buf, format='PNG')
seconds = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'seconds': seconds, 'cpuSeconds': ru.ru_utime + ru.ru_stime, 'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'width': size, 'height': size}))
