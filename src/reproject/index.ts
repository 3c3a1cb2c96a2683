/** Reprojection and mosaicking of celestial images (reproject 0.10 equivalents, extended). */
export { ReprojectError } from './errors.js';
export { type OutputGrid, type CelestialImage, type PixelRegion, footprintRegion, planeWcs, intersectRegions, regionArea } from './grid.js';
export { createSampler, type Interpolation, type Sampler } from './interpolation.js';
export { PixelMapper } from './pixel-mapper.js';
export { reprojectInterp, Reprojector, type ReprojectOptions, type ReprojectResult } from './reproject-interp.js';
export { ExactReprojector } from './reproject-exact.js';
export { createRegionReprojector, type RegionReprojector } from './region-reprojector.js';
export { findOptimalCelestialWcs, makeCelestialDefinition, type GridInput, type OptimalWcsOptions } from './optimal-wcs.js';
export { coaddBands, reprojectAndCoadd, COMBINE_METHODS, type CombineMethod, type CoaddOptions, type CoaddBand, type CoaddResult } from './coadd.js';
export { solveBackgroundCorrections } from './background.js';
