/** The FITS library's public API (no HTTP in here). */
export { FitsError, isFitsError, type FitsErrorCode } from './errors.js';
export {
  BLOCK_LENGTH,
  CARD_LENGTH,
  COMMENTARY_KEYWORDS,
  formatCard,
  formatValue,
  isComplex,
  parseCard,
  parseNumberToken,
  recordValuedKeyword,
  type Card,
  type CardValue,
  type Complex,
  type NewCard,
} from './card.js';
export { Header, cardValueToJson, isEndRecord } from './header.js';
export { bufferSource, openSource, type ByteSource, type SourceOptions, type Wrapper } from './byte-source.js';
export { FitsFile, firstImageHdu, type Hdu, type HduKind, type OpenOptions } from './file.js';
export { bytesPerPixel, decodeBand, imageScaling, rawFromBigEndian, rawToBigEndian, swapInPlace, type RawArray, type Scaling } from './pixels.js';
export {
  DEFAULT_MAX_ELEMENTS,
  hduScaling,
  imageGeometry,
  readPlane,
  readPlaneRows,
  readRandomGroups,
  readRawPlane,
  type CompressedPlaneRequest,
  type HduRef,
  type ImageGeometry,
  type RandomGroups,
  type ReadBandsOptions,
  type ReadPlaneOptions,
  type RowBand,
} from './image.js';
export {
  OnesComplementSum,
  addSums,
  applyChecksum,
  computeDataSum,
  encodeChecksum,
  onesComplementSum,
  verifyChecksum,
  verifyChecksums,
  type ChecksumResult,
  type ChecksumState,
} from './checksum.js';
export {
  FitsWriter,
  encodeFits,
  writeFits,
  type HduSpec,
  type ImageData,
  type ImageHdu,
  type ImageSink,
  type ImageSpec,
  type TableHduSpec,
} from './writer.js';
export { pooledBufferSizes, releaseBuffer, releasePlane, setBufferPoolLimit, takeBuffer } from './buffer-pool.js';
export { prewarmFitsReader } from './prewarm.js';
