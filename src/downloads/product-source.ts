/**
 * Where the list of files of an observation comes from. The downloader depends on this small
 * interface only; `mastProductSource` adapts the MAST client, tests use `StaticProductSource`.
 * Products are picked by the one selection rule of the library (`selectProducts` in
 * src/mast/product-selection.ts), the same `/mast/products` and the CLI use.
 */
import { selectProducts, type ProductSelection, type SelectableProduct } from '../mast/product-selection.js';

/**
 * What to download: the shared product selection (type `SCIENCE` and extension `fits` by default,
 * `ALL`/`*` for every one; calibration levels, subgroups; `filenames` for a user's exact choice;
 * `productId` for one product).
 */
export type ProductQuery = ProductSelection;

export interface RemoteProduct {
  /** productFilename. */
  readonly filename: string;
  /** Where to GET it. */
  readonly url: string;
  readonly dataUri: string | null;
  /** The listing's size column (a hint; the server's Content-Length decides). */
  readonly size: number | undefined;
  /** Where to GET it when `url` (the AWS mirror) does not have it: MAST's URL. */
  readonly fallbackUrl?: string;
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
export interface MastProductRow extends SelectableProduct {
  readonly size?: unknown;
}

/** Applies the shared selection rule to MAST product rows and turns them into downloadable products. */
export function productsFromRows(rows: readonly MastProductRow[], query: ProductQuery, baseUrl: string): RemoteProduct[] {
  return selectProducts(rows, query).map((row) => {
    const filename = row.productFilename as string;
    const dataUri = row.dataURI as string;
    const size = Number(row.size);
    return { filename, url: mastDownloadUrl(baseUrl, dataUri), dataUri, size: Number.isSafeInteger(size) && size > 0 ? size : undefined };
  });
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
    if (query.filenames) {
      const selected = new Set(query.filenames);
      list = list.filter((p) => selected.has(p.filename));
    }
    return query.productId ? list.filter((p) => p.filename === query.productId || p.dataUri === query.productId) : list;
  }
}
