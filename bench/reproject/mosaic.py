#!/usr/bin/python3
"""Reference side of bench/reproject/mosaic.bench.ts: the upstream engine's mosaic path
(find_optimal_celestial_wcs + reproject_and_coadd with reproject_interp, mean) on the same
files, written to FITS. Prints one JSON line: seconds, CPU seconds (user + system, the whole process), peak RSS (MB), output size."""
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
from astropy.wcs import WCS
from reproject import reproject_interp
from reproject.mosaicking import find_optimal_celestial_wcs, reproject_and_coadd

warnings.simplefilter('ignore')
inputs = []
for path in sys.argv[1:]:
    with fits.open(path) as hdul:
        hdu = hdul['SCI']
        inputs.append((hdu.data.astype(float), WCS(hdu.header)))
wcs_out, shape = find_optimal_celestial_wcs(inputs)
array, footprint = reproject_and_coadd(inputs, wcs_out, shape_out=shape, reproject_function=reproject_interp, combine_function='mean')
array = array.astype(np.float32)
array[footprint == 0] = np.nan
with tempfile.TemporaryDirectory() as d:
    fits.PrimaryHDU(array, header=wcs_out.to_header()).writeto(os.path.join(d, 'mosaic.fits'))
seconds = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'seconds': seconds, 'cpuSeconds': ru.ru_utime + ru.ru_stime, 'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'width': shape[1], 'height': shape[0]}))
