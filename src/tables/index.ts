/**
 * Tables beyond the FITS reader: ECSV reading and writing, one interface over FITS and ECSV
 * tables, the table viewer's search/sort/page, spectra. No HTTP here. See docs/fits-tables.md.
 */
export { TableError, type TableErrorCode } from './errors.js';
export { parseEcsv, type ParseEcsvOptions } from './ecsv/parse.js';
export { numpyDtype } from './ecsv/dtype.js';
export type { EcsvColumn, EcsvDatatype, EcsvMeta, EcsvTable, LogicalColumn, PlainColumn, SkyCoordColumn, TimeColumn } from './ecsv/types.js';
export { openTables, isEcsvPath, DEFAULT_MAX_ECSV_BYTES, type ColumnInfo, type OpenedTables, type OpenTablesOptions, type TableHandle } from './source.js';
export { tableInfo, tablePage, MAX_PAGE_SIZE, type PageRequest, type TableInfo, type TablePage } from './page.js';
export { tableInfoFile, tablePageFile, type TableFileRequest, type TablePageFileRequest } from './files.js';
export { displayJson, pyStr, pyFloat, pyFloat32 } from './pystr.js';
export { spectralData, spectralDataFile, MAX_SPECTRUM_POINTS, type SpectralData, type SpectralDataRequest } from './spectrum/table-spectrum.js';
export { cubeSpectrumFile, type CubeSpectrum, type CubeSpectrumRequest, type Reduce } from './spectrum/cube-spectrum.js';
export { convertFlux, convertWavelength, parseFluxUnit, parseWavelengthUnit, FLUX_UNITS, WAVELENGTH_UNITS, type FluxUnit, type WavelengthUnit } from './spectrum/units.js';
export { writeEcsv, catalogToEcsv, type EcsvWriteColumn, type EcsvWriteTable, type EcsvScalar } from './ecsv/write.js';
