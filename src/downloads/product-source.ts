/**
 * Where the list of files of an observation comes from. The downloader depends on this small
 * interface only; `mastProductSource` adapts the MAST client, tests use `StaticProductSource`.
 */
export interface ProductQuery {
  /** `SCIENCE` (default), `PREVIEW`, `AUXILIARY`, ... or `ALL`. */
  readonly productType: string;
  readonly calibLevel: readonly number[] | null;
  /** productSubGroupDescription values (e.g. `I2D`, `CAL`), case-insensitive. */
  readonly subgroup: readonly string[] | null;
  /** One product only (the contract's `product_id`: a file name, obsid or dataURI). */
  readonly productId: string | null;
  /**
   * Exact productFilename values to download (a user's selection). When set, only these products
   * are kept and the type, level and subgroup filters do not apply: the names are the choice.
   */
  readonly productFilenames?: readonly string[] | null;
}

export interface RemoteProduct {
  /** productFilename. */
  readonly filename: string;
  /** Where to GET it. */
  readonly url: string;
  readonly dataUri: string | null;
  /** The listing's size column (a hint; the server's Content-Length decides). */
  readonly size: number | undefined;
}

export interface ProductSource {
  listProducts(obsId: string, query: ProductQuery, signal: AbortSignal): Promise<RemoteProduct[]>;
}

/** `{base}/api/v0.1/Download/file?uri=<dataURI>`, escaped like astroquery (`quote(uri, safe=':/')`). */
export function mastDownloadUrl(baseUrl: string, dataUri: string): string {
  const quoted = encodeURIComponent(dataUri).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
  return `${baseUrl.replace(/\/+$/, '')}/api/v0.1/Download/file?uri=${quoted}`;
}

/** A product row as MAST's `Mast.Caom.Products` returns it (only the columns used here). */
export interface MastProductRow {
  readonly productFilename?: unknown;
  readonly dataURI?: unknown;
  readonly size?: unknown;
  readonly productType?: unknown;
  readonly calib_level?: unknown;
  readonly productSubGroupDescription?: unknown;
  readonly obsID?: unknown;
  readonly obs_id?: unknown;
}

/** Applies the query to MAST product rows and turns them into downloadable products. */
export function productsFromRows(rows: readonly MastProductRow[], query: ProductQuery, baseUrl: string): RemoteProduct[] {
  const type = query.productType.toUpperCase();
  const subgroups = query.subgroup?.map((s) => s.toUpperCase()) ?? null;
  const selected = query.productFilenames ? new Set(query.productFilenames) : null;
  const out: RemoteProduct[] = [];
  for (const row of rows) {
    const filename = typeof row.productFilename === 'string' ? row.productFilename : undefined;
    const dataUri = typeof row.dataURI === 'string' ? row.dataURI : undefined;
    if (!filename || !dataUri) continue;
    const wanted = selected
      ? selected.has(filename)
      : (type === 'ALL' || String(row.productType ?? '').toUpperCase() === type) &&
        (!query.calibLevel || query.calibLevel.length === 0 || query.calibLevel.includes(Number(row.calib_level))) &&
        (!subgroups || subgroups.includes(String(row.productSubGroupDescription ?? '').toUpperCase()));
    if (!wanted) continue;
    if (query.productId && ![filename, dataUri, String(row.obsID ?? ''), String(row.obs_id ?? '')].includes(query.productId)) continue;
    const size = Number(row.size);
    out.push({ filename, url: mastDownloadUrl(baseUrl, dataUri), dataUri, size: Number.isSafeInteger(size) && size > 0 ? size : undefined });
  }
  return out;
}

/** Adapts any function returning MAST product rows for an observation (the MAST client's). */
export function mastProductSource(listRows: (obsId: string, signal: AbortSignal) => Promise<readonly MastProductRow[]>, baseUrl: string): ProductSource {
  return {
    async listProducts(obsId, query, signal) {
      return productsFromRows(await listRows(obsId, signal), query, baseUrl);
    },
  };
}

/** A fixed catalogue, for tests and offline use. */
export class StaticProductSource implements ProductSource {
  readonly calls: Array<{ obsId: string; query: ProductQuery }> = [];
  constructor(private readonly byObsId: Map<string, RemoteProduct[]> = new Map(), private readonly delayMs = 0) {}

  set(obsId: string, products: RemoteProduct[]): void {
    this.byObsId.set(obsId, products);
  }

  async listProducts(obsId: string, query: ProductQuery, signal: AbortSignal): Promise<RemoteProduct[]> {
    this.calls.push({ obsId, query });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    signal.throwIfAborted();
    let list = this.byObsId.get(obsId) ?? [];
    if (query.productFilenames) {
      const selected = new Set(query.productFilenames);
      list = list.filter((p) => selected.has(p.filename));
    }
    return query.productId ? list.filter((p) => p.filename === query.productId || p.dataUri === query.productId) : list;
  }
}
