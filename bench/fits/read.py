"""astropy side of bench/fits/read.bench.ts: one measurement per process (peak RSS is its own).

Usage: read.py sci|stats FILE REPEAT  -> prints one JSON line.
sci:   fits.getdata(FILE, 'SCI') converted to a native-endian float array.
stats: every image HDU via fits.getdata -> native float, then nanmin/nanmax/nanmean/nanstd and NaN count.
"""
import json
import resource
import sys
import time

import numpy as np
from astropy.io import fits


def native(a):
    return a.astype(a.dtype.newbyteorder('='), copy=False) if a.dtype.byteorder == '>' else a


def sci(path):
    c0 = time.process_time()  # user + system time of the process
    t0 = time.perf_counter()
    data = native(fits.getdata(path, 'SCI'))
    s = time.perf_counter() - t0
    c = time.process_time() - c0
    return {'seconds': s, 'cpu': c, 'bytes': int(data.nbytes), 'check': float(data.ravel()[data.size // 2])}


def stats(path):
    t0 = time.perf_counter()
    n = 0
    nan = 0
    total = 0.0
    sumsq = 0.0
    mx = -np.inf
    nbytes = 0
    with fits.open(path) as hdul:
        count = sum(1 for _ in hdul)
    for ext in range(count):
        try:
            data = fits.getdata(path, ext)
        except IndexError:  # no data in this HDU (empty primary)
            continue
        if data.ndim < 2:
            continue
        data = native(data)
        nbytes += data.nbytes
        finite = ~np.isnan(data)
        k = int(finite.sum())
        nan += data.size - k
        n += k
        total += float(np.nansum(data, dtype=np.float64))
        sumsq += float(np.nansum(np.square(data, dtype=np.float64)))
        mx = max(mx, float(np.nanmax(data)))
        np.nanmin(data)
        del data, finite
    s = time.perf_counter() - t0
    mean = total / n
    return {'seconds': s, 'bytes': nbytes, 'check': mx, 'mean': mean, 'std': float(np.sqrt(sumsq / n - mean * mean)), 'nan': nan}


def main():
    task, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fn = sci if task == 'sci' else stats
    runs = [fn(path) for _ in range(repeat)]
    best = dict(min(runs, key=lambda r: r['seconds']))
    best['cold'] = runs[0]['seconds']
    best['coldCpu'] = runs[0].get('cpu')
    best['warm'] = min(r['seconds'] for r in runs[1:]) if len(runs) > 1 else None
    best['peakRssMB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(best))


if __name__ == '__main__':
    main()
