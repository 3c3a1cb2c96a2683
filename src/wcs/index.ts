/** FITS World Coordinate Systems (wcslib semantics) for the engine. */
export { WcsError } from './errors.js';
export { recordHeader, headerNumber, headerString, type HeaderSource, type HeaderValue } from './header-source.js';
export { parseWcs, hasWcsKeywords, findCelestialAxes, type WcsDefinition, type SipDistortion, type SipTerm, type PvCard, type ParseWcsOptions, type TabArray, type TabRequest, type LookupRequest, type LookupTable } from './definition.js';
export { attachLookupTables, LookupDistortion, lookupValue, type LookupReader } from './lookup.js';
export { attachTabArrays, TabAxis, type TabColumnReader } from './tab.js';
export { Wcs, subDefinition, type CelestialAxes } from './wcs.js';
export { wcsToCards, wcsToRecord, type WcsCard } from './to-header.js';
export { frameOf, frameKeywords, frameRotation, frameConverter, convertFrame, rotateLonLat, sameFrame, type FrameConverter, type CelestialFrame, type FrameSystem, type Matrix3 } from './frames.js';
export { lonLatToVector, vectorToLonLat, directionInto, type Vec3 } from './unit-vector.js';
export { createProjection, SUPPORTED_PROJECTIONS, type Projection } from './projections/index.js';
export { avmSpatial, buildAvmXmp, embedAvm, embedXmpInJpeg, embedXmpInPng, parseAvmMetadataJson, type AvmMetadata, type AvmSpatial } from './avm.js';
