/** Worker tasks of the analysis module: run a registry algorithm on a file; region statistics. */
import { processFile, type ProcessFileRequest, type ProcessFileResult } from '../../analysis/process-file.js';
import { regionStatisticsOfFile, type RegionFileRequest } from '../../analysis/region-file.js';

export function analysisProcess(payload: ProcessFileRequest): Promise<ProcessFileResult> {
  return processFile(payload);
}

export function analysisRegionStatistics(payload: RegionFileRequest): ReturnType<typeof regionStatisticsOfFile> {
  return regionStatisticsOfFile(payload);
}

export const analysisTasks = {
  'analysis.process': analysisProcess,
  'analysis.region-statistics': analysisRegionStatistics,
} as const;
