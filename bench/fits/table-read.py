"""astropy side of table-read.bench.ts: prints {"stats", "column", "column_d", "page"}: [wall, CPU] seconds.

Each operation runs twice in this process and the faster run is reported (the bench calls this
script once per round, alternating with our side)."""
import json
import sys
import time

import numpy as np
from astropy.io import fits

path = sys.argv[1]


def stats():
    with fits.open(path, memmap=False) as hdul:
        data = hdul[1].data
        for name in data.names:
            col = np.asarray(data[name], dtype=np.float64)
            np.nanmin(col), np.nanmax(col), np.nanmean(col), int(np.isnan(col).sum())


def column(name):
    with fits.open(path, memmap=False) as hdul:
        np.asarray(hdul[1].data[name], dtype=np.float64)


def page():
    with fits.open(path) as hdul:
        rows = hdul[1].data[-100:]
        [tuple(r) for r in rows]


def best(fn):
    times, cpu = [], []
    for _ in range(2):
        t0 = time.perf_counter()
        c0 = time.process_time()
        fn()
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    return [min(times), min(cpu)]


print(json.dumps({'stats': best(stats), 'column': best(lambda: column('X')), 'column_d': best(lambda: column('TIME')), 'page': best(page)}))
