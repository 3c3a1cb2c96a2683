#!/usr/bin/python3
"""Reference side of the observation-mosaic benchmark: the upstream's generate-observation path
(upstream-latest §6) rebuilt: each file shrunk to max(64 M / n, 100 000) px (PIL LANCZOS, float32),
background matched (sigma-clipped median, p90 gains), reproject_and_coadd (bilinear, mean) in
batches of 10 and the batch results mosaicked again, float32 FITS. Prints one JSON line."""
import json
import os
import resource
import sys
import tempfile
import time
import warnings

t0 = time.perf_counter()
import numpy as np
from astropy.io import fits
from astropy.stats import sigma_clipped_stats
from astropy.wcs import WCS
from PIL import Image
from reproject import reproject_interp
from reproject.mosaicking import find_optimal_celestial_wcs, reproject_and_coadd

warnings.simplefilter('ignore')
paths = sys.argv[1:]
budget = max(64_000_000 // len(paths), 100_000)
tiles = []
for path in paths:
    with fits.open(path) as hdul:
        hdu = hdul['SCI']
        data = np.nan_to_num(hdu.data.astype(np.float32))
        header = hdu.header.copy()
    h, w = data.shape
    s = min(1.0, (budget / (h * w)) ** 0.5)
    if s < 1:
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        data = np.asarray(Image.fromarray(data, mode='F').resize((nw, nh), Image.LANCZOS))
        wcs = WCS(header)
        wcs.wcs.crpix = (wcs.wcs.crpix - 1) * s + 1
        wcs.wcs.cdelt = wcs.wcs.cdelt / s
    else:
        wcs = WCS(header)
    tiles.append([data.astype(float), wcs])
bgs, signals = [], []
for t in tiles:
    _, med, _ = sigma_clipped_stats(t[0][t[0] > 0], sigma=3, maxiters=5)
    t[0] = np.clip(t[0] - med, 0, None)
    pos = t[0][t[0] > 0]
    signals.append(np.percentile(pos, 90) if pos.size >= 100 else 0)
nz = [s for s in signals if s > 0]
for t, s in zip(tiles, signals):
    if len(nz) >= 2 and s > 0:
        t[0] *= np.median(nz) / s
    t[0][t[0] == 0] = np.nan
batches = [tiles[i:i + 10] for i in range(0, len(tiles), 10)]
results = []
for b in batches:
    w_out, shape = find_optimal_celestial_wcs([(d, w) for d, w in b])
    arr, fp = reproject_and_coadd([(d, w) for d, w in b], w_out, shape_out=shape, reproject_function=reproject_interp, combine_function='mean')
    results.append((arr, w_out))
if len(results) > 1:
    w_out, shape = find_optimal_celestial_wcs(results)
    arr, fp = reproject_and_coadd(results, w_out, shape_out=shape, reproject_function=reproject_interp, combine_function='mean')
else:
    arr, w_out = results[0]
hdr = w_out.to_header()
hdr['CREATOR'] = 'observation-mosaic-generator'
hdr['NCOMBINE'] = len(paths)
with tempfile.TemporaryDirectory() as d:
    fits.PrimaryHDU(np.nan_to_num(arr).astype(np.float32), header=hdr).writeto(os.path.join(d, 'm.fits'))
seconds = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'seconds': seconds, 'cpuSeconds': ru.ru_utime + ru.ru_stime, 'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'width': arr.shape[1], 'height': arr.shape[0]}))
