/**
 * MastClient: every MAST operation the engine uses, over the Portal invoke protocol.
 * Searches are true cones on the sphere (Mast.Caom.Filtered.Position), restricted to JWST by
 * default, cached (TTL + size bound, concurrent identical queries share one MAST call), and
 * bounded by an overall deadline (MAST_SEARCH_TIMEOUT).
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/retry.js';
import { TtlCache, type CacheStats } from './cache.js';
import {
  discreteFilter, observationFilterObjects, rangeFilter, rowMatches,
  type MastFilter, type ObservationFilters,
} from './criteria.js';
import { MastInputError, ObservationNotFoundError } from './errors.js';
import { invokeAll, type InvokeResult } from './invoke.js';
import { selectProducts, type ProductSelection } from './product-selection.js';
import { NameResolver, type ResolvedTarget, type ResolverOptions } from './resolver.js';
import { angularSeparationDeg, normalizeRa, toMjd } from './sky.js';
import { Deadline, MastTransport, withinDeadline } from './transport.js';
import type { MastRow, ObservationRow, ProductRow } from './types.js';
import { httpsForm, isValidMastUri, downloadUrl } from './urls.js';
import type { Dispatcher } from 'undici';

export interface MastClientOptions {
  /** e.g. https://mast.stsci.edu (or the fake MAST's URL). */
  readonly baseUrl: string;
  /** MAST API token for exclusive-access data (sent as `Authorization: token ...`). */
  readonly token?: string | undefined;
  /** Overall budget of one search, all polls, pages and retries included. */
  readonly searchTimeoutMs: number;
  /** Longest wait for one HTTP exchange (default 30 s; MAST holds long polls ~20 s). */
  readonly requestTimeoutMs?: number;
  readonly maxRetries?: number;
  readonly retryBaseDelayMs?: number;
  /** Time for the waits between retries (the shared policy of src/core/retry.ts; tests inject one that does not sleep). */
  readonly retryClock?: Clock | undefined;
  /** Rows per MAST page (default 5000). */
  readonly pageSize?: number;
  /** Refuse queries matching more rows than this (default 200 000). */
  readonly maxRows?: number;
  /** obsids per Mast.Caom.Products request (default 5: JWST product lists are large). */
  readonly productBatchSize?: number;
  /** Search-result cache: freshness and bounds (defaults 5 min, 500 entries, 64 MiB). */
  readonly cacheTtlMs?: number;
  readonly cacheMaxEntries?: number;
  readonly cacheMaxBytes?: number;
  readonly resolver?: ResolverOptions;
  /** Collection searched (default "JWST"). */
  readonly collection?: string;
  readonly pollDelayMs?: number;
  readonly logger?: Logger | undefined;
  readonly userAgent?: string;
  readonly dispatcher?: Dispatcher;
}

export interface Paging {
  /** Rows returned (default: all). */
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

export interface SearchCommon extends ObservationFilters, Paging {
  /** Calibration levels (e.g. [2, 3]); undefined or empty = all levels. */
  readonly calibLevel?: readonly number[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ConeSearch extends SearchCommon {
  readonly ra: number;
  readonly dec: number;
  /** Degrees, (0, 10]. */
  readonly radius: number;
}

export interface TargetSearch extends SearchCommon {
  readonly targetName: string;
  readonly radius: number;
}

export interface ObservationSearch extends SearchCommon {
  /** Exact id, or a pattern with `*` wildcards (sent as MAST freeText). */
  readonly obsId: string;
}

export interface ProgramSearch extends SearchCommon {
  /** Proposal id, e.g. 2733 or "02733". */
  readonly programId: string | number;
}

export interface RecentSearch extends Omit<SearchCommon, 'includeProprietary'> {
  readonly daysBack: number;
}

export interface SearchResult {
  /** The page of rows asked for, as MAST sent them (plus `jpegURL_https`/`dataURL_https`, and `distance` for cones). */
  readonly rows: ObservationRow[];
  /** Rows matching before limit/offset. */
  readonly totalCount: number;
  /** The resolved position (target searches). */
  readonly resolved?: ResolvedTarget;
  /** True when the rows came from the engine's cache. */
  readonly cached: boolean;
}

export interface ProductList {
  readonly obsId: string;
  /** CAOM obsids the products were listed for. */
  readonly obsids: string[];
  readonly products: ProductRow[];
  /** Products before the selection (after de-duplication by dataURI). */
  readonly unfilteredCount: number;
}

interface CachedQuery {
  readonly rows: MastRow[];
  readonly totalRows: number;
}

export class MastClient {
  readonly baseUrl: string;
  readonly collection: string;
  private readonly transport: MastTransport;
  private readonly resolver: NameResolver;
  private readonly cache: TtlCache<CachedQuery>;
  private readonly inflight = new Map<string, Promise<CachedQuery>>();
  private readonly opts: MastClientOptions;
  private mastCalls = 0;

  constructor(options: MastClientOptions) {
    this.opts = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.collection = options.collection ?? 'JWST';
    this.transport = new MastTransport({
      baseUrl: this.baseUrl,
      token: options.token,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 3,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      clock: options.retryClock,
      userAgent: options.userAgent ?? 'jwst-processing-engine (MAST client)',
      logger: options.logger,
      dispatcher: options.dispatcher,
    });
    this.resolver = new NameResolver(this.transport, options.resolver ?? { kind: 'mast' });
    this.cache = new TtlCache<CachedQuery>({
      ttlMs: options.cacheTtlMs ?? 5 * 60_000,
      maxEntries: options.cacheMaxEntries ?? 500,
      maxBytes: options.cacheMaxBytes ?? 64 * 1024 * 1024,
    });
  }

  /** Name → position (cached). Throws TargetNotResolvedError (404) for unknown names. */
  async resolveName(name: string, signal?: AbortSignal): Promise<ResolvedTarget> {
    return this.withDeadline(signal, (deadline) => this.resolver.resolve(name, deadline));
  }

  /** Cone search around a resolved target name. */
  async searchTarget(q: TargetSearch): Promise<SearchResult> {
    return this.withDeadline(q.signal, async (deadline) => {
      const resolved = await this.resolver.resolve(q.targetName, deadline);
      const result = await this.cone({ ...q, ra: resolved.ra, dec: resolved.dec }, deadline);
      return { ...result, resolved };
    });
  }

  /** Cone search: every observation within `radius` degrees (great circle) of (ra, dec). */
  async searchCoordinates(q: ConeSearch): Promise<SearchResult> {
    return this.withDeadline(q.signal, (deadline) => this.cone(q, deadline));
  }

  /** Observations by obs_id (exact or with `*` wildcards). */
  async searchObservation(q: ObservationSearch): Promise<SearchResult> {
    const obsId = q.obsId.trim();
    if (!obsId) throw new MastInputError('obs_id', 'must not be empty');
    return this.filtered([discreteFilter('obs_id', [obsId])], q, (rows) => rows);
  }

  /** Observations of one JWST program (proposal). */
  async searchProgram(q: ProgramSearch): Promise<SearchResult> {
    const id = String(q.programId).trim().replace(/^jw/i, '');
    if (!/^\d{1,5}$/.test(id)) throw new MastInputError('program_id', `must be a JWST program number such as 2733, got ${JSON.stringify(q.programId)}`);
    return this.filtered([discreteFilter('proposal_id', [String(Number(id))])], q, (rows) => rows);
  }

  /** Observations released in the last `daysBack` days, newest first. */
  async searchRecent(q: RecentSearch): Promise<SearchResult> {
    const now = Date.now();
    // Bounds rounded to 1/1000 day (~86 s) so repeated calls share a cache entry.
    const max = Math.ceil(toMjd(now) * 1000) / 1000;
    const min = Math.floor((toMjd(now) - q.daysBack) * 1000) / 1000;
    return this.filtered(
      [rangeFilter('t_obs_release', min, max)],
      { ...q, includeProprietary: true },
      (rows) => rows
        .filter((r) => Number(r.t_obs_release) <= toMjd(now))
        .sort((a, b) => Number(b.t_obs_release ?? 0) - Number(a.t_obs_release ?? 0)),
    );
  }

  /**
   * Products of one observation (by obs_id), de-duplicated by dataURI, then picked by the one
   * product-selection rule (`selectProducts`: default SCIENCE `.fits`, one per file name; pass
   * `ALL_PRODUCTS` for every product). Throws ObservationNotFoundError (404) when MAST does not
   * know the obs_id.
   */
  async listProducts(obsId: string, selection: ProductSelection = {}, signal?: AbortSignal): Promise<ProductList> {
    const id = obsId.trim();
    if (!id) throw new MastInputError('obs_id', 'must not be empty');
    // one budget for the lookup and the product lists
    return this.withDeadline(signal, async (deadline) => {
      const params = { columns: '*', filters: [...this.baseFilters({ includeProprietary: true }), discreteFilter('obs_id', [id])] };
      const { rows } = await this.cachedInvoke('Mast.Caom.Filtered', params, deadline);
      const obsids = [...new Set(rows.map((r) => r.obsid).filter((v) => v !== undefined && v !== null && v !== '').map(String))];
      if (obsids.length === 0) throw new ObservationNotFoundError(id);
      const all = await this.productsOf(obsids, deadline);
      return { obsId: id, obsids, products: selectProducts(all, selection), unfilteredCount: all.length };
    });
  }

  /** Products of CAOM obsids (numbers or strings), batched, de-duplicated by dataURI, picked by `selectProducts`. */
  async listProductsByObsids(obsids: ReadonlyArray<string | number>, selection: ProductSelection = {}, signal?: AbortSignal): Promise<ProductRow[]> {
    const ids = [...new Set(obsids.map((o) => String(o).trim()))];
    for (const id of ids) if (!/^\d{1,20}$/.test(id)) throw new MastInputError('obsid', `must be a numeric CAOM obsid, got ${JSON.stringify(id)}`);
    return this.withDeadline(signal, async (deadline) => selectProducts(await this.productsOf(ids, deadline), selection));
  }

  private async productsOf(ids: string[], deadline: Deadline): Promise<ProductRow[]> {
    const batch = Math.max(1, this.opts.productBatchSize ?? 5);
    const seen = new Set<string>();
    const out: ProductRow[] = [];
    for (let i = 0; i < ids.length; i += batch) {
      const { rows } = await this.cachedInvoke('Mast.Caom.Products', { obsid: ids.slice(i, i + batch).join(',') }, deadline);
      for (const row of rows) {
        const uri = row.dataURI;
        if (typeof uri !== 'string' || seen.has(uri)) continue;
        seen.add(uri);
        out.push(this.productRow(row));
      }
    }
    return out;
  }

  /** Any invoke service, uncached (for tools and diagnostics). */
  async invoke(service: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<InvokeResult> {
    this.mastCalls++;
    return this.withDeadline(signal, (deadline) => invokeAll(this.transport, deadline, service, params, this.invokeOptions()));
  }

  /** The HTTPS Download/file URL of a `mast:` URI. */
  downloadUrl(uri: string): string {
    return downloadUrl(this.baseUrl, uri);
  }

  cacheStats(): CacheStats & { mastQueries: number } {
    return { ...this.cache.stats(), mastQueries: this.mastCalls };
  }

  clearCache(): void {
    this.cache.clear();
    this.resolver.clear();
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs one operation under its own overall budget (MAST_SEARCH_TIMEOUT), all requests included. */
  private async withDeadline<T>(signal: AbortSignal | undefined, run: (deadline: Deadline) => Promise<T>): Promise<T> {
    const deadline = new Deadline(this.opts.searchTimeoutMs, signal);
    try {
      return await run(deadline);
    } finally {
      deadline.dispose();
    }
  }

  private invokeOptions() {
    return { pageSize: this.opts.pageSize ?? 5000, maxRows: this.opts.maxRows ?? 200_000, pollDelayMs: this.opts.pollDelayMs ?? 100 };
  }

  private baseFilters(q: SearchCommon): MastFilter[] {
    const out = [discreteFilter('obs_collection', [this.collection], ';')];
    const levels = q.calibLevel?.length ? [...new Set(q.calibLevel)].sort() : undefined;
    if (levels) out.push(discreteFilter('calib_level', levels));
    out.push(...observationFilterObjects(q));
    return out;
  }

  private async cone(q: ConeSearch, deadline: Deadline): Promise<SearchResult> {
    if (!(q.radius > 0 && q.radius <= 10)) throw new MastInputError('radius', `must be in (0, 10] degrees, got ${q.radius}`);
    if (!(q.dec >= -90 && q.dec <= 90)) throw new MastInputError('dec', `must be in [-90, 90] degrees, got ${q.dec}`);
    const ra = normalizeRa(q.ra);
    const params = {
      columns: '*',
      filters: this.baseFilters(q),
      position: `${ra}, ${q.dec}, ${q.radius}`,
    };
    const { rows, cached } = await this.cachedInvoke('Mast.Caom.Filtered.Position', params, deadline);
    const withDistance = rows.map((r) => {
      const row: ObservationRow = { ...r };
      if (typeof row.distance !== 'number') {
        const sRa = Number(row.s_ra);
        const sDec = Number(row.s_dec);
        if (Number.isFinite(sRa) && Number.isFinite(sDec)) row.distance = angularSeparationDeg(ra, q.dec, sRa, sDec) * 3600;
      }
      return row;
    });
    const matching = withDistance
      .filter((r) => this.matches(r, q))
      .sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity));
    return this.page(matching, q, cached);
  }

  private async filtered(
    extra: MastFilter[],
    q: SearchCommon,
    arrange: (rows: ObservationRow[]) => ObservationRow[],
  ): Promise<SearchResult> {
    return this.withDeadline(q.signal, async (deadline) => {
      const params = { columns: '*', filters: [...this.baseFilters(q), ...extra] };
      const { rows, cached } = await this.cachedInvoke('Mast.Caom.Filtered', params, deadline);
      // The cached rows are shared: filter and sort a new array, and copy only the page returned.
      const matching = arrange((rows as ObservationRow[]).filter((r) => this.matches(r, q)));
      return this.page(matching, q, cached);
    });
  }

  private matches(row: ObservationRow, q: SearchCommon): boolean {
    if (q.calibLevel?.length && !q.calibLevel.includes(Number(row.calib_level))) return false;
    return rowMatches(row, q);
  }

  private page(rows: ObservationRow[], p: Paging, cached: boolean): SearchResult {
    const offset = Math.max(0, p.offset ?? 0);
    const end = p.limit === undefined ? undefined : offset + Math.max(0, p.limit);
    const slice = rows.slice(offset, end).map((r) => this.withHttps(r));
    return { rows: slice, totalCount: rows.length, cached };
  }

  /** Adds `jpegURL_https`/`dataURL_https` next to MAST's `mast:` URIs (the originals stay). */
  private withHttps(row: ObservationRow): ObservationRow {
    const out: ObservationRow = { ...row };
    if ('jpegURL' in row) out.jpegURL_https = httpsForm(this.baseUrl, row.jpegURL);
    if ('dataURL' in row) out.dataURL_https = httpsForm(this.baseUrl, row.dataURL);
    return out;
  }

  private productRow(row: MastRow): ProductRow {
    const uri = String(row.dataURI);
    const size = row.size === null || row.size === undefined || row.size === '' ? null : Number(row.size);
    const level = row.calib_level === null || row.calib_level === undefined || row.calib_level === '' ? null : Number(row.calib_level);
    return {
      ...row,
      obsID: (row.obsID ?? '') as string | number,
      obs_id: String(row.obs_id ?? ''),
      dataURI: uri,
      productFilename: String(row.productFilename ?? uri.split('/').pop() ?? ''),
      size: size !== null && Number.isFinite(size) ? size : null,
      productType: String(row.productType ?? ''),
      calib_level: level !== null && Number.isFinite(level) ? level : null,
      productSubGroupDescription: typeof row.productSubGroupDescription === 'string' ? row.productSubGroupDescription : null,
      download_url: isValidMastUri(uri) ? downloadUrl(this.baseUrl, uri) : '',
    };
  }

  /** One MAST query through the cache; identical concurrent queries share one MAST call. */
  private async cachedInvoke(service: string, params: Record<string, unknown>, deadline: Deadline): Promise<CachedQuery & { cached: boolean }> {
    const key = `${service} ${JSON.stringify(params)}`;
    const hit = this.cache.get(key);
    if (hit) return { ...hit, cached: true };
    let pending = this.inflight.get(key);
    if (!pending) {
      this.mastCalls++;
      const started = Date.now();
      // The shared query has a budget of its own: one caller giving up (its signal, or its deadline
      // that began earlier) must not fail the others waiting for the same answer.
      const own = new Deadline(this.opts.searchTimeoutMs);
      pending = invokeAll(this.transport, own, service, params, this.invokeOptions())
        .then((r) => {
          this.opts.logger?.debug({ service, rows: r.rows.length, exchanges: r.exchanges, ms: Date.now() - started }, 'MAST query');
          const value = { rows: r.rows, totalRows: r.totalRows };
          this.cache.set(key, value, { size: r.bytes });
          return value;
        })
        .finally(() => {
          own.dispose();
          this.inflight.delete(key);
        });
      pending.catch(() => undefined); // observed by the callers still waiting, if any
      this.inflight.set(key, pending);
    }
    return { ...(await withinDeadline(pending, deadline)), cached: false };
  }
}

/** Sum of the known product sizes, in bytes (products of unknown size count as 0). */
export function totalProductBytes(products: readonly ProductRow[]): number {
  return products.reduce((n, p) => n + (p.size ?? 0), 0);
}
