#!/usr/bin/python3
"""The original engine's preview and thumbnail chain (contract §4.2, main.py at 9dd303bd), rebuilt
for the benchmark: astropy + numpy + matplotlib, exactly the steps the upstream handlers run
(without the 413 guards: the upstream MAX_FITS_ARRAY_ELEMENTS default would refuse the 2048x2048x50
cube outright, since it counts the whole cube).

Usage: preview.py CASE PATH REPEAT     CASE = preview | thumbnail | histogram (GET /histogram's chain, 256 bins, zscale)
Prints one JSON line: wall and CPU times (s), peak RSS (bytes) after imports and at the end, output size.
"""
import io, json, resource, struct, sys, time

import numpy as np
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from astropy.io import fits
from astropy.visualization import ZScaleInterval


def normalize_to_range(data, vmin=None, vmax=None):
    if vmin is None:
        vmin = np.nanmin(data)
    if vmax is None:
        vmax = np.nanmax(data)
    if vmax == vmin:
        return np.zeros_like(data)
    return np.clip((data - vmin) / (vmax - vmin), 0, 1)


def zscale_stretch(data, contrast=0.25, n_samples=1000):
    vmin, vmax = ZScaleInterval(contrast=contrast, n_samples=n_samples).get_limits(data)
    return normalize_to_range(data, vmin, vmax), float(vmin), float(vmax)


def preview(path, width=1000, height=1000, slice_index=-1):
    with fits.open(path) as hdul:
        data = None
        for hdu in hdul:
            if hdu.data is not None and len(hdu.data.shape) >= 2:
                data = hdu.data.astype(np.float64)
                break
        if len(data.shape) > 2:
            if slice_index < 0:
                slice_index = data.shape[0] // 2
            slice_index = max(0, min(slice_index, data.shape[0] - 1))
            data = data[slice_index]
        while len(data.shape) > 2:
            data = data[data.shape[0] // 2]
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
        stretched, _, _ = zscale_stretch(data)
        stretched = np.clip(stretched, 0, 1)
        fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
        plt.imshow(stretched, origin='lower', cmap='gray', vmin=0, vmax=1)
        plt.axis('off')
        buf = io.BytesIO()
        plt.savefig(buf, format='png', bbox_inches='tight', pad_inches=0)
        plt.close(fig)
        return buf.getvalue()


def thumbnail(path):
    with fits.open(path, memmap=True) as hdul:
        data = None
        for hdu in hdul:
            if hdu.data is not None and len(hdu.data.shape) >= 2:
                slice_data = hdu.data
                while len(slice_data.shape) > 2:
                    slice_data = slice_data[slice_data.shape[0] // 2]
                h, w = slice_data.shape
                if h > 1024 or w > 1024:
                    slice_data = slice_data[::max(1, h // 1024), ::max(1, w // 1024)]
                data = slice_data.astype(np.float64)
                break
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
        try:
            stretched, _, _ = zscale_stretch(data)
        except Exception:
            stretched = normalize_to_range(data)
        stretched = np.clip(stretched, 0, 1)
        fig = plt.figure(figsize=(2.56, 2.56), dpi=100)
        plt.imshow(stretched, origin='lower', cmap='gray', vmin=0, vmax=1)
        plt.axis('off')
        buf = io.BytesIO()
        plt.savefig(buf, format='png', bbox_inches='tight', pad_inches=0)
        plt.close(fig)
        return buf.getvalue()


def compute_histogram(data, bins=256):
    valid = data[~np.isnan(data)]
    counts, edges = np.histogram(valid, bins=bins, range=(float(np.min(valid)), float(np.max(valid))))
    return {'counts': counts.tolist(), 'bin_edges': edges.tolist(), 'bin_centers': ((edges[:-1] + edges[1:]) / 2).tolist()}


def histogram(path, bins=256, slice_index=-1):
    with fits.open(path) as hdul:
        data = None
        for hdu in hdul:
            if hdu.data is not None and len(hdu.data.shape) >= 2:
                data = hdu.data.astype(np.float64)
                break
        if len(data.shape) > 2:
            if slice_index < 0:
                slice_index = data.shape[0] // 2
            data = data[max(0, min(slice_index, data.shape[0] - 1))]
        while len(data.shape) > 2:
            data = data[data.shape[0] // 2]
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
        raw = compute_histogram(normalize_to_range(data), bins)
        stretched, _, _ = zscale_stretch(data)
        stretched = np.clip(stretched, 0, 1)
        hist = compute_histogram(stretched, bins)
        values = np.percentile(stretched[~np.isnan(stretched)], [0.5, 1, 5, 25, 50, 75, 95, 99, 99.5])
        valid = stretched[~np.isnan(stretched)]
        stats = [float(np.min(valid)), float(np.max(valid)), float(np.mean(valid)), float(np.std(valid))]
        return json.dumps({'h': hist, 'r': raw, 'p': values.tolist(), 's': stats}).encode()


def main():
    case, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    fn = {'preview': preview, 'thumbnail': thumbnail, 'histogram': histogram}[case]
    times = []
    cpu = []
    png = b''
    for _ in range(repeat):
        t0 = time.perf_counter()
        c0 = time.process_time()
        png = fn(path)
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    w, h = struct.unpack('>II', png[16:24]) if png[:4] == b'\x89PNG' else (0, 0)
    print(json.dumps({
        'times': times,
        'cpu': cpu,
        'base_rss': base_rss,
        'peak_rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        'width': w, 'height': h, 'color_type': png[25], 'bytes': len(png),
    }))


main()
