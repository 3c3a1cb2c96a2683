/** Wire shapes of the engine's API as the interface uses them (snake_case envelopes, MAST rows as MAST sends them). */

export type MastRow = Record<string, unknown> & {
  obs_id?: string;
  obsid?: string | number;
  target_name?: string;
  instrument_name?: string;
  filters?: string;
  calib_level?: number;
  dataproduct_type?: string;
  proposal_id?: string;
  t_min?: number;
  t_exptime?: number;
  t_obs_release?: number;
  s_ra?: number;
  s_dec?: number;
  s_region?: string;
  jpegURL?: string | null;
  jpegURL_https?: string | null;
  dataRights?: string;
  /** arcseconds from the cone's centre */
  distance?: number;
};

export interface SearchResponse {
  search_type: string;
  query_params: Record<string, unknown>;
  results: MastRow[];
  result_count: number;
  total_count?: number;
  timestamp: string;
}

export type Product = Record<string, unknown> & {
  productFilename?: string;
  productType?: string;
  productSubGroupDescription?: string;
  calib_level?: number;
  size?: number;
  dataURI?: string;
  obs_id?: string;
};

export interface ProductsResponse {
  obs_id: string;
  products: Product[];
  product_count: number;
}

export interface FileProgress {
  filename: string;
  total_bytes: number;
  downloaded_bytes: number;
  progress_percent: number;
  status: string;
  speed_bytes_per_sec?: number;
  relative_path?: string;
  sha256?: string | null;
  error?: string | null;
}

export interface JobProgress {
  job_id: string;
  obs_id: string;
  stage: string;
  message: string;
  progress: number;
  total_files: number;
  downloaded_files: number;
  current_file: string | null;
  error: string | null;
  started_at: string;
  completed_at: string | null;
  is_complete: boolean;
  total_bytes: number;
  downloaded_bytes: number;
  download_progress_percent: number;
  speed_bytes_per_sec: number;
  eta_seconds: number | null;
  file_progress: FileProgress[];
  is_resumable: boolean;
  relative_files?: string[];
}

export interface LibraryResponse {
  groups: Array<{ key: string; kind: 'observation' | 'folder'; files: Array<{ file_path: string; data_id: string | null; name: string; size_bytes: number; modified_at: string }> }>;
  file_count: number;
  truncated: boolean;
}

export interface HistogramResponse {
  histogram: { counts: number[]; bin_centers: number[]; bin_edges: number[]; n_bins: number };
  raw_histogram?: { counts: number[]; bin_centers: number[]; bin_edges: number[]; n_bins: number };
  percentiles: Record<string, number>;
  stats: Record<string, number>;
  cube_info?: { n_slices: number; current_slice: number };
}

export interface CubeInfo {
  is_cube: boolean;
  n_slices: number;
  slice_label: string;
  slice_unit: string;
  axis3: { crval3: number; cdelt3: number; crpix3: number; cunit3?: string; ctype3?: string } | null;
}

export interface PixelWcs {
  crpix1: number; crpix2: number; crval1: number; crval2: number;
  cd1_1: number; cd1_2: number; cd2_1: number; cd2_2: number;
  ctype1: string; ctype2: string;
}

export interface PixelData {
  original_shape: [number, number];
  preview_shape: [number, number];
  scale_factor: number;
  wcs: PixelWcs | null;
  units: string;
  pixels: string;
}

export interface HduInfo {
  index: number;
  name: string;
  type: string;
  dimensions?: number[];
  shape?: number[];
  bitpix?: number;
  header?: Array<{ keyword: string; value: unknown; comment?: string }>;
  cards?: Array<{ keyword: string; value: unknown; comment?: string }> | Array<[string, unknown, string]>;
  [k: string]: unknown;
}

export interface RegionStats {
  mean: number;
  median: number;
  std: number;
  min: number;
  max: number;
  sum: number;
  pixel_count: number;
}

/** GET /auth/me */
export interface Me {
  authEnabled: boolean;
  user: { userId: string; username: string | null; roles: string[]; admin: boolean; via: string } | null;
}

/** A library record (GET /api/jwstdata: the upstream JwstDataModel plus filePath and jobId). */
export interface DataRecord {
  id: string;
  fileName: string;
  filePath: string;
  dataType: string;
  fileSize: number;
  processingLevel: string;
  observationBaseId?: string;
  userId?: string;
  isPublic: boolean;
  jobId?: string;
  derivedFrom: string[];
  hasThumbnail: boolean;
  imageInfo?: { instrument?: string; filter?: string; targetName?: string };
}

export interface Lineage {
  id: string;
  jobId: string | null;
  source: string;
  inputs: Array<{ id: string; fileName: string | null; processingLevel: string | null }>;
  outputs: Array<{ id: string; fileName: string; processingLevel: string; jobId: string | null }>;
}

export interface AvailabilityResponse {
  results: Record<string, { available: boolean; dataIds: string[]; levels: string[]; bestLevel: string | null }>;
}
