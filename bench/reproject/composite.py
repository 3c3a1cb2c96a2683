#!/usr/bin/python3
"""Reference side of bench/reproject/composite.bench.ts: the upstream engine's composite path
(contract §4.4: find_optimal_celestial_wcs, reproject_interp of each channel at full resolution,
zscale per channel, stack, LANCZOS resize into the 2000x2000 box, PNG). Prints one JSON line."""
import io
import json
import resource
import sys
import time
import warnings

t0 = time.perf_counter()
import numpy as np
from astropy.io import fits
from astropy.visualization import ZScaleInterval
from astropy.wcs import WCS
from PIL import Image
from reproject import reproject_interp
from reproject.mosaicking import find_optimal_celestial_wcs

warnings.simplefilter('ignore')
inputs = []
for path in sys.argv[1:]:
    with fits.open(path) as hdul:
        hdu = hdul['SCI']
        inputs.append((hdu.data.astype(float), WCS(hdu.header)))
wcs_out, shape = find_optimal_celestial_wcs(inputs)
channels = []
for data, wcs in inputs:
    arr, fp = reproject_interp((data, wcs), wcs_out, shape_out=shape)
    finite = arr[np.isfinite(arr)]
    vmin, vmax = ZScaleInterval().get_limits(finite)
    channels.append(np.clip((np.nan_to_num(arr, nan=vmin) - vmin) / (vmax - vmin), 0, 1))
rgb = (np.flipud(np.stack(channels, axis=-1)) * 255).round().astype(np.uint8)
img = Image.fromarray(rgb)
f = min(2000 / img.width, 2000 / img.height)
img = img.resize((round(img.width * f), round(img.height * f)), Image.LANCZOS)
buf = io.BytesIO()
img.save(buf, format='PNG')
seconds = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'seconds': seconds, 'cpuSeconds': ru.ru_utime + ru.ru_stime, 'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'width': img.width, 'height': img.height}))
