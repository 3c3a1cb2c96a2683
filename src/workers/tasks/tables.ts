/** Worker tasks of the tables module: table-info, table-data (search/sort/page), spectra. */
import { tableInfoFile, tablePageFile, type TableFileRequest, type TablePageFileRequest } from '../../tables/files.js';
import { spectralDataFile, type SpectralDataRequest } from '../../tables/spectrum/table-spectrum.js';
import { cubeSpectrumFile, type CubeSpectrumRequest } from '../../tables/spectrum/cube-spectrum.js';

export const tablesTasks = {
  'tables.info': (p: TableFileRequest) => tableInfoFile(p),
  'tables.page': (p: TablePageFileRequest) => tablePageFile(p),
  'tables.spectral-data': (p: SpectralDataRequest) => spectralDataFile(p),
  'tables.cube-spectrum': (p: CubeSpectrumRequest) => cubeSpectrumFile(p),
} as const;
