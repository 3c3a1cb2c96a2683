/**
 * The snake_case JSON of MAST answers (contract §1.5), in one place for the HTTP routes and the
 * CLI's `--json`, so the CLI prints what the API returns. Plain functions: no Fastify in here.
 */
import { totalProductBytes, type ProductList, type SearchResult } from '../mast/index.js';

/** `{search_type, query_params, results, result_count, total_count, limit, offset, cached, resolved?, timestamp}`. */
export function searchResponse(
  searchType: string,
  queryParams: Record<string, unknown>,
  r: SearchResult,
  paging: { readonly limit?: number | null | undefined; readonly offset?: number | null | undefined },
) {
  return {
    search_type: searchType,
    query_params: queryParams,
    results: r.rows,
    result_count: r.rows.length,
    total_count: r.totalCount,
    limit: paging.limit ?? null,
    offset: paging.offset ?? 0,
    cached: r.cached,
    ...(r.resolved ? { resolved: { ra: r.resolved.ra, dec: r.resolved.dec, canonical_name: r.resolved.canonicalName, resolver: r.resolved.resolver } } : {}),
    timestamp: new Date().toISOString(),
  };
}

/** `{obs_id, products, product_count, total_bytes, obsids}`. */
export function productsResponse(list: ProductList) {
  return {
    obs_id: list.obsId,
    products: list.products,
    product_count: list.products.length,
    total_bytes: totalProductBytes(list.products),
    obsids: list.obsids,
  };
}
