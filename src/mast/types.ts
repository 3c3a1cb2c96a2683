/** Row and field shapes of MAST answers. Rows are kept exactly as MAST sent them. */

/** A cell value as MAST sends it (ids may be numbers or strings). */
export type MastValue = string | number | boolean | null;

/** One row, keyed by MAST's column names (mixed case, e.g. `obs_id`, `dataURI`, `obsID`). */
export type MastRow = Record<string, MastValue | undefined>;

export interface MastField {
  readonly name: string;
  readonly type: string;
}

/** CAOM observation row (Mast.Caom.Cone / Filtered / Filtered.Position); other columns pass through. */
export interface ObservationRow extends MastRow {
  obs_id?: string;
  obsid?: string | number;
  obs_collection?: string;
  instrument_name?: string;
  filters?: string | null;
  target_name?: string;
  s_ra?: number;
  s_dec?: number;
  calib_level?: number;
  dataproduct_type?: string;
  intentType?: string;
  t_obs_release?: number;
  proposal_id?: string;
  dataRights?: string;
  jpegURL?: string | null;
  dataURL?: string | null;
  /** Arcseconds from the search centre (positional searches only). */
  distance?: number;
}

/** Mast.Caom.Products row, with the download URL the engine adds. */
export interface ProductRow extends MastRow {
  obsID: string | number;
  obs_id: string;
  dataURI: string;
  productFilename: string;
  size: number | null;
  productType: string;
  calib_level: number | null;
  productSubGroupDescription: string | null;
  parent_obsid?: string | number;
  dataRights?: string;
  description?: string;
  /** HTTPS URL of MAST's Download/file endpoint for `dataURI` (added by the engine). */
  download_url: string;
}
