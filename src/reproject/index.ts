/** Reprojection and mosaicking of celestial images (reproject 0.10 equivalents, extended). */
export { ReprojectError } from './errors.js';
export { type OutputGrid, type CelestialImage, type PixelRegion, footprintRegion, planeWcs, intersectRegions, regionArea } from './grid.js';
export { createSampler, type Interpolation, type Sampler } from './interpolation.js';
export { PixelMapper } from './pixel-mapper.js';
export { reprojectInterp, Reprojector, type ReprojectOptions, type ReprojectResult } from './reproject-interp.js';
export { ExactReprojector } from './reproject-exact.js';
export { createRegionReprojector, type RegionReprojector } from './region-reprojector.js';
export { findOptimalCelestialWcs, makeCelestialDefinition, type GridInput, type OptimalWcsOptions } from './optimal-wcs.js';
export { coaddBands, reprojectAndCoadd, shiftRows, COMBINE_METHODS, type CombineMethod, type CoaddOptions, type CoaddBand, type CoaddResult, type CoaddInput, type RowSourceImage } from './coadd.js';
export { fitGridInBox, cropGrid, scaleGrid } from './grid-fit.js';
export { binPlane, binWcs, binForTarget } from './bin.js';
export { loadCelestialImage, loadCelestialImageBinned, loadImageShape, openRowSource, openCelestialImage, openCelestialImages, withCelestialImages, binFactorFor, type LoadedImage, type ImageShape, type OpenRowSource, type OpenedCelestialImage } from './load.js';
export { footprintOf, boundingBox, pairwiseOverlaps, type Footprint, type BoundingBox, type Overlap, type FootprintInput } from './footprint.js';
export { renderComposite, compositeGrid, type CompositeSpec, type CompositeChannelSpec, type CompositeOutput } from './composite.js';
export { renderMosaicImage, writeMosaicFits, mosaicGrid, provenanceCards, srcmetaTable, type MosaicImageSpec, type MosaicFitsSpec } from './mosaic.js';
export { applyCurve, applyOverall, TONE_CURVES, type ToneCurve, type OverallAdjustment } from './tone.js';
export { channelColor, hueToRgb } from './colors.js';
export { solveBackgroundCorrections } from './background.js';
