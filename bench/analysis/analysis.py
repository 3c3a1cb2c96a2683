#!/usr/bin/python3
"""Python side of bench/analysis/analysis.bench.ts: the same three workloads with photutils 1.6 /
astropy 5.2 on the same raw float32 image, in rounds that alternate with the TypeScript side.

usage: analysis.py IMAGE.f32 WIDTH HEIGHT POSITIONS.json
After an untimed warm-up it prints one JSON line with numbers to cross-check against the
TypeScript side, then for each line 'round' read on stdin runs each case once and prints one JSON
line of [CPU, wall] seconds per case. It ends at end of input.
"""
import json
import sys
import time
import warnings

import numpy as np
from astropy.convolution import convolve
from astropy.stats import SigmaClip, sigma_clipped_stats
from photutils.aperture import CircularAperture, aperture_photometry
from photutils.background import Background2D
from photutils.segmentation import deblend_sources, detect_sources, make_2dgaussian_kernel

warnings.simplefilter('ignore')


SHORT = set()


def warm(fn):
    # untimed warm-up, as the TypeScript side (eleven runs for a case under 0.2 s)
    w0 = time.perf_counter()
    out = fn()
    if time.perf_counter() - w0 < 0.2:
        SHORT.add(fn)
        for _ in range(10):
            out = fn()
    return out


def cpu(fn):
    if fn in SHORT:
        fn()  # as the TypeScript side: a short case runs once untimed just before
    # [CPU, wall] seconds; CPU of this process (all threads): the machine is shared, wall time is
    # noisy
    w0 = time.perf_counter()
    t0 = time.process_time()
    fn()
    return [time.process_time() - t0, time.perf_counter() - w0]


def main():
    path, w, h, pos_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    data = np.fromfile(path, dtype='<f4').reshape(h, w)
    # astropy's sigma clipping on float32 input accumulates in float32 and lands elsewhere
    # (median 106.159 vs 106.154 here); both sides compute in float64
    data64 = data.astype(np.float64)
    positions = json.load(open(pos_path))
    ap = CircularAperture(positions, r=5.0)
    mask = ~np.isfinite(data)

    def stats():
        return sigma_clipped_stats(data64, sigma=3.0, maxiters=5)

    def bkg_segm():
        bkg = Background2D(data, (64, 64), filter_size=(3, 3), sigma_clip=SigmaClip(sigma=3.0, maxiters=10))
        sub = data - bkg.background
        conv = convolve(sub, make_2dgaussian_kernel(3.0, size=5))
        segm = detect_sources(conv, 3.0 * bkg.background_rms, npixels=10)
        deb = deblend_sources(conv, segm, npixels=10, nlevels=32, contrast=0.001, progress_bar=False)
        return bkg, segm, deb

    def phot():
        return aperture_photometry(data, ap, mask=mask, method='exact')

    tbl = warm(phot)
    _, med, std = warm(stats)
    bkg, segm, deb = warm(bkg_segm)
    print(json.dumps({
        'sigma_clipped_stats': {'median': float(med), 'std': float(std)},
        'background_segmentation': {'background_median': float(bkg.background_median), 'nlabels': int(segm.nlabels), 'deblended_nlabels': int(deb.nlabels)},
        'aperture_photometry': {'sums': [float(v) for v in tbl['aperture_sum'][:20]]},
    }), flush=True)
    for line in sys.stdin:
        if line.strip() != 'round':
            continue
        res = {'aperture_photometry': cpu(phot), 'sigma_clipped_stats': cpu(stats), 'background_segmentation': cpu(bkg_segm)}
        print(json.dumps(res), flush=True)


if __name__ == '__main__':
    main()
