/** The imaging core: intervals, stretches, display pipeline, colormaps, resampling, encoding. No HTTP. */
export * from './errors.js';
export * from './finite.js';
export * from './quantiles.js';
export * from './histogram.js';
export * from './intervals.js';
export * from './stretches.js';
export * from './statistics.js';
export * from './display.js';
export * from './resample.js';
export * from './rasterize.js';
export * from './encode.js';
export * from './preview.js';
export * from './options.js';
export * from './wcs-block.js';
export * from './cube-info.js';
export * from './colormaps/index.js';
