/**
 * The MAST client (library API). Typical use:
 *
 *   const mast = new MastClient({ baseUrl: 'https://mast.stsci.edu', searchTimeoutMs: 120_000 });
 *   const { rows } = await mast.searchTarget({ targetName: 'NGC 3132', radius: 0.2, calibLevel: [2, 3] });
 *   const { products } = await mast.listProducts('jw02733-o001_t001_nircam_clear-f090w', { productType: ['SCIENCE'], extension: ['fits'] });
 *
 * Every product list goes through the one selection rule (`selectProducts`, product-selection.ts:
 * default SCIENCE `.fits`, one row per file name). `listObservationProducts(client, obsId, selection)`
 * returns ProductRow[] (obs_id, dataURI, productFilename, size, productType, calib_level,
 * productSubGroupDescription, download_url, ...).
 */
import type { MastClient } from './client.js';
import type { ProductSelection } from './product-selection.js';
import type { ProductRow } from './types.js';

export {
  MastClient, totalProductBytes,
  type MastClientOptions, type SearchResult, type ConeSearch, type TargetSearch, type ObservationSearch,
  type ProgramSearch, type RecentSearch, type SearchCommon, type Paging, type ProductList,
} from './client.js';
export type { ObservationFilters } from './criteria.js';
export {
  selectProducts, resolveSelection, productMatches, ALL_PRODUCTS, DEFAULT_PRODUCT_TYPES, DEFAULT_EXTENSIONS,
  type ProductSelection, type ResolvedSelection, type SelectableProduct,
} from './product-selection.js';
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
 * An observation's products, picked by the one selection rule (`selectProducts`: product type,
 * calibration level, subgroup (I2D, CAL, ...), file extension; one per file name). Throws ObservationNotFoundError
 * (404) for an unknown obs_id, MastUnavailableError (502) / MastTimeoutError (504) when MAST fails.
 */
export async function listObservationProducts(
  client: MastClient,
  obsId: string,
  selection: ProductSelection = {},
  signal?: AbortSignal,
): Promise<ProductRow[]> {
  return (await client.listProducts(obsId, selection, signal)).products;
}
