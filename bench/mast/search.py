#!/usr/bin/python3
"""astroquery 0.4.6 against the fake MAST: the Python side of bench/mast/search.bench.ts.

Usage: search.py BASE_URL N   -> last line: JSON {"target": {...}, "products": {...}}
Each workload is run N times sequentially; latencies in ms.
"""
import json
import sys
import time
import warnings

import astropy.units as u
from astroquery.mast import Observations, conf
import astroquery

base = sys.argv[1].rstrip("/")
n = int(sys.argv[2])
conf.server = base
portal = Observations._portal_api_connection
portal.MAST_REQUEST_URL = base + "/api/v0/invoke"
portal.COLUMNS_CONFIG_URL = base + "/portal/Mashup/Mashup.asmx/columnsconfig"
portal.MAST_DOWNLOAD_URL = base + "/api/v0.1/Download/file"


def run(fn):
    fn()  # warm-up (also fetches columnsconfig once, as astroquery does per process)
    times = []
    t_all = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - t_all
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    return {"n": n, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "per_s": n / total}


def target():
    t = Observations.query_criteria(objectname="NGC 3132", radius=0.2 * u.deg, obs_collection="JWST", calib_level=[2, 3])
    assert len(t) >= 30


def products():
    obs = Observations.query_criteria(obs_collection="JWST", obs_id="jw02733-o001_t001_nircam_clear-f090w")
    p = Observations.get_product_list(obs)
    p = Observations.filter_products(p, productType=["SCIENCE"], extension="fits")
    assert len(p) == 10


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    out = {"astroquery": astroquery.__version__, "target": run(target), "products": run(products)}
print(json.dumps(out))
