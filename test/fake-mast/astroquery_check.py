#!/usr/bin/python3
"""Fidelity check of the fake MAST: Debian's astroquery 0.4.6 pointed at it must work unchanged.

Usage:  npm run fake-mast &            # or FAKE_MAST_PORT=... npm run fake-mast
        /usr/bin/python3 test/fake-mast/astroquery_check.py [http://127.0.0.1:8765]

Not part of the Node suite (the suite never runs Python). Prints one line per check and, last,
a JSON summary. Exit status 0 when every check passes.
"""
import json
import os
import sys
import tempfile
import time
import urllib.request
import warnings

import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from astroquery.mast import Observations, conf
import astroquery

BASE = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FAKE_MAST_URL", "http://127.0.0.1:8765")).rstrip("/")

# astroquery 0.4.6 computes its URLs from conf.server at import time (class attributes of
# PortalAPI); resolve_object reads conf.server at call time. Point both at the fake.
conf.server = BASE
portal = Observations._portal_api_connection
portal.MAST_REQUEST_URL = BASE + "/api/v0/invoke"
portal.COLUMNS_CONFIG_URL = BASE + "/portal/Mashup/Mashup.asmx/columnsconfig"
portal.MAST_DOWNLOAD_URL = BASE + "/api/v0.1/Download/file"
portal.MAST_BUNDLE_URL = BASE + "/api/v0.1/Download/bundle"

results = []


def admin(path, body=None):
    req = urllib.request.Request(BASE + path, data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())


def check(name, fn):
    t0 = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:  # noqa: BLE001 - report every failure the same way
        detail = f"{type(exc).__name__}: {exc}"
        ok = False
    ms = (time.perf_counter() - t0) * 1000
    results.append({"check": name, "ok": ok, "detail": detail, "ms": round(ms, 1)})
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}  ({ms:.0f} ms)")


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def criteria_program():
    t = Observations.query_criteria(obs_collection="JWST", proposal_id=2733, calib_level=3)
    expect(len(t) == 10, f"expected 10 rows, got {len(t)}")
    expect(set(t["obs_collection"]) == {"JWST"}, "JWST only")
    expect(t["obsid"].dtype.kind in "OUSi", "obsid column present")
    return f"{len(t)} rows, e.g. {t['obs_id'][0]}"


def criteria_wildcard():
    t = Observations.query_criteria(obs_collection="JWST", obs_id="jw02733-o001*")
    expect(len(t) == 6, f"expected 6 rows, got {len(t)}")
    return ", ".join(sorted(t["obs_id"]))[:120] + "..."


def criteria_object():
    t = Observations.query_criteria(objectname="NGC 3132", radius=0.2 * u.deg, obs_collection="JWST", calib_level=[3])
    expect(len(t) == 11, f"expected 11 rows (10 public + 1 exclusive-access), got {len(t)}")
    expect("distance" in t.colnames, "distance column")
    return f"{len(t)} rows, max distance {max(t['distance']):.1f} arcsec"


def region_cone():
    t = Observations.query_region(SkyCoord(0.05, -15.4611, unit="deg"), radius=0.5 * u.deg)
    ids = sorted(t["obs_id"])
    expect(ids == ["jw01334-o001_t001_nircam_clear-f090w", "jw09991-o001_t001_nircam_clear-f150w"], f"RA-wrap cone got {ids}")
    return "cone across RA 0/360: " + ", ".join(ids)


def count():
    n = Observations.query_criteria_count(obs_collection="JWST", proposal_id=2733)
    expect(int(n) == 30, f"expected 30, got {n}")
    return f"COUNT_BIG(*) = {n}"


def executing_and_paging():
    admin("/__fake/switches", {"executingPolls": 2})
    try:
        t = Observations.query_criteria(obs_collection="JWST", proposal_id=2733, pagesize=7, page=None)
    finally:
        admin("/__fake/reset")
    expect(len(t) == 30, f"expected 30 rows after EXECUTING polls, got {len(t)}")
    return f"{len(t)} rows after 2 EXECUTING answers"


state = {}


def product_list():
    obs = Observations.query_criteria(obs_collection="JWST", obs_id="jw02733-o001_t001_nircam_clear-f090w")
    expect(len(obs) == 1, "one observation")
    products = Observations.get_product_list(obs)
    expect(len(products) == 13, f"expected 13 products, got {len(products)}")
    sci = Observations.filter_products(products, productType=["SCIENCE"], extension="fits")
    expect(len(sci) == 10, f"expected 10 SCIENCE fits, got {len(sci)}")
    i2d = Observations.filter_products(products, productSubGroupDescription="I2D")
    expect(len(i2d) == 1, "one I2D")
    state["i2d"] = i2d
    state["cal"] = Observations.filter_products(products, productSubGroupDescription="CAL")
    return f"{len(products)} products, {len(sci)} SCIENCE .fits, I2D {i2d['productFilename'][0]}"


def download():
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Observations.download_products(state["i2d"], download_dir=tmp, cache=False)
        expect(list(manifest["Status"]) == ["COMPLETE"], f"manifest {list(manifest['Status'])}")
        path = manifest["Local Path"][0]
        size = os.path.getsize(path)
        expect(size == int(state["i2d"]["size"][0]), f"size {size} != product size {state['i2d']['size'][0]}")
        with fits.open(path) as hdul:
            names = [h.name for h in hdul]
            expect(names == ["PRIMARY", "SCI", "ERR", "DQ"], f"HDUs {names}")
            w = WCS(hdul["SCI"].header)
            c = w.pixel_to_world((hdul["SCI"].header["NAXIS1"] - 1) / 2, (hdul["SCI"].header["NAXIS2"] - 1) / 2)
            expect(abs(c.ra.deg - 151.7551147) < 1e-4 and abs(c.dec.deg + 40.437427) < 1e-4, f"WCS centre {c}")
        rel = os.path.relpath(path, tmp)
        many = Observations.download_products(state["cal"], download_dir=tmp, cache=True)
        expect(all(s == "COMPLETE" for s in many["Status"]), f"cal manifest {list(many['Status'])}")
        return f"{rel} ({size} bytes, SCI/ERR/DQ, TAN WCS centre ok) + {len(many)} cal files"


def resolver_miss():
    try:
        Observations.query_object("Nowhere Object 42", radius=0.1 * u.deg)
    except Exception as exc:  # ResolverError
        expect("Could not resolve" in str(exc), str(exc))
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("no error for an unknown name")


def error_status():
    admin("/__fake/faults", {"mode": "error-status", "msg": "Incorrect syntax near '*'."})
    try:
        Observations.query_criteria(obs_collection="JWST", proposal_id=2733)
    except Exception as exc:  # RemoteServiceError
        expect("Incorrect syntax" in str(exc), str(exc))
        return f"{type(exc).__name__}: {exc}"
    finally:
        admin("/__fake/reset")
    raise AssertionError("no error for status ERROR")


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    admin("/__fake/reset")
    check("query_criteria(proposal_id=2733, calib_level=3)", criteria_program)
    check("query_criteria(obs_id='jw02733-o001*') -> freeText", criteria_wildcard)
    check("query_criteria(objectname='NGC 3132') -> Name.Lookup + Filtered.Position", criteria_object)
    check("query_region across RA 0/360 -> Mast.Caom.Cone", region_cone)
    check("query_criteria_count", count)
    check("EXECUTING long polling + paging", executing_and_paging)
    check("get_product_list + filter_products", product_list)
    check("download_products", download)
    check("unknown name -> ResolverError", resolver_miss)
    check("status ERROR -> RemoteServiceError", error_status)

ok = all(r["ok"] for r in results)
print(json.dumps({"astroquery": astroquery.__version__, "fake": BASE, "passed": sum(r["ok"] for r in results), "total": len(results), "ok": ok}))
sys.exit(0 if ok else 1)
