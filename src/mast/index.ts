/**
 * The MAST client (library API). Typical use:
 *
 *   const mast = new MastClient({ baseUrl: 'https://mast.stsci.edu', searchTimeoutMs: 120_000 });
 *   const { rows } = await mast.searchTarget({ targetName: 'NGC 3132', radius: 0.2, calibLevel: [2, 3] });
 *   const { products } = await mast.listProducts('jw02733-o001_t001_nircam_clear-f090w', { productType: ['SCIENCE'], extension: ['fits'] });
 *
 * For the downloads module: `listObservationProducts(client, obsId, filters)` returns ProductRow[]
 * (obs_id, dataURI, productFilename, size, productType, calib_level, productSubGroupDescription,
 * download_url, ...), de-duplicated by dataURI.
 */
import type { MastClient, ProductFilters } from './client.js';
import type { ProductRow } from './types.js';

export {
  MastClient, filterProducts, totalProductBytes,
  type MastClientOptions, type SearchResult, type ConeSearch, type TargetSearch, type ObservationSearch,
  type ProgramSearch, type RecentSearch, type SearchCommon, type Paging, type ProductFilters, type ProductList,
} from './client.js';
export type { ObservationFilters } from './criteria.js';
export { mastClientFromSettings } from './from-settings.js';
export type { ResolvedTarget, ResolverOptions } from './resolver.js';
export type { MastRow, MastValue, MastField, ObservationRow, ProductRow } from './types.js';
export {
  MastServiceError, MastUnavailableError, MastTimeoutError, TargetNotResolvedError, ObservationNotFoundError, MastInputError,
  MastQueryTooBroadError,
} from './errors.js';
export { angularSeparationDeg, parseAngle, normalizeRa, toMjd, fromMjd } from './sky.js';
export { isValidMastUri, downloadUrl, httpsForm, DOWNLOAD_PATH } from './urls.js';
export { TtlCache, type CacheStats } from './cache.js';

/**
 * An observation's products for downloading: de-duplicated by dataURI, filtered by product type,
 * calibration level, subgroup (I2D, CAL, ...) and file extension. Throws ObservationNotFoundError
 * (404) for an unknown obs_id, MastUnavailableError (502) / MastTimeoutError (504) when MAST fails.
 */
export async function listObservationProducts(
  client: MastClient,
  obsId: string,
  filters: ProductFilters = {},
  signal?: AbortSignal,
): Promise<ProductRow[]> {
  return (await client.listProducts(obsId, filters, signal)).products;
}
