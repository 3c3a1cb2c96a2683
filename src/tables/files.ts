/**
 * File-level entry points (path in, JSON-ready answer out) for the worker pool and the CLI:
 * table-info, table-data. Paths are already resolved by the caller's sandbox.
 */
import { openTables, type OpenTablesOptions } from './source.js';
import { tableInfo, tablePage, type PageRequest, type TableInfo, type TablePage } from './page.js';

export interface TableFileRequest extends OpenTablesOptions {
  readonly path: string;
}

export async function tableInfoFile(req: TableFileRequest): Promise<TableInfo> {
  const opened = await openTables(req.path, req);
  try {
    return tableInfo(opened);
  } finally {
    await opened.close();
  }
}

export interface TablePageFileRequest extends TableFileRequest, PageRequest {
  readonly hduIndex: number;
}

export async function tablePageFile(req: TablePageFileRequest): Promise<TablePage> {
  const opened = await openTables(req.path, req);
  try {
    return await tablePage(opened.table(req.hduIndex), req);
  } finally {
    await opened.close();
  }
}
