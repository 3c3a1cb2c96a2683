/** Worker tasks of the tables module: table-info, table-data (search/sort/page), spectra. */
import { tableInfoFile, tablePageFile, type TableFileRequest, type TablePageFileRequest } from '../../tables/files.js';

export const tablesTasks = {
  'tables.info': (p: TableFileRequest) => tableInfoFile(p),
  'tables.page': (p: TablePageFileRequest) => tablePageFile(p),
} as const;
