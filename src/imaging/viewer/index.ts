/** File-level viewer operations (used by the worker tasks and the CLI). */
export * from './source.js';
export * from './preview-file.js';
export * from './histogram-file.js';
export * from './histogram-split.js';
export * from './preview-split.js';
export * from './pixeldata-file.js';
export * from './fits-contents.js';
export * from './cutout.js';
export * from './image-hdu.js';
export * from './tiles.js';
export * from './pixel-values.js';
export * from './image-info.js';
export * from './plane-stats.js';
export * from './region-file.js';
