"""astropy side of table-read.bench.ts: prints {"stats": s, "column": s, "page": s} (seconds)."""
import json
import sys
import time

import numpy as np
from astropy.io import fits

path = sys.argv[1]

t0 = time.perf_counter()
with fits.open(path, memmap=False) as hdul:
    data = hdul[1].data
    for name in data.names:
        col = np.asarray(data[name], dtype=np.float64)
        np.nanmin(col), np.nanmax(col), np.nanmean(col), int(np.isnan(col).sum())
t_stats = time.perf_counter() - t0

t0 = time.perf_counter()
with fits.open(path, memmap=False) as hdul:
    x = np.asarray(hdul[1].data['X'], dtype=np.float64)
t_col = time.perf_counter() - t0

t0 = time.perf_counter()
with fits.open(path) as hdul:
    rows = hdul[1].data[-100:]
    [tuple(r) for r in rows]
t_page = time.perf_counter() - t0

print(json.dumps({'stats': t_stats, 'column': t_col, 'page': t_page}))
