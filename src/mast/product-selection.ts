/**
 * The one product-selection rule. `POST /mast/products`, every download route, the CLI's
 * `products` and `download` commands all pick an observation's products with `selectProducts`,
 * so for the same request they agree on the same files.
 *
 * Defaults (a field left out, null or empty):
 * - product type `SCIENCE` (`ALL` or `*` for every type),
 * - extension `fits`: the file name ends with `.fits` (`*` for every extension; so `_cat.ecsv`,
 *   previews `.jpg` and association `.json` files are left out unless asked for),
 * - every calibration level, every subgroup, not only Minimum Recommended Products.
 * Rows without a productFilename or dataURI are skipped; a file name listed twice (the same file
 * under two obsids or two URIs) is kept once, the first row wins.
 * `filenames` (a user's exact choice) replaces the type, level, subgroup, extension and MRP filters.
 */

export interface ProductSelection {
  /** productType values (case-insensitive); default `["SCIENCE"]`; `ALL` or `*` = every type. */
  readonly productType?: readonly string[] | null | undefined;
  /** Calibration levels; default every level. */
  readonly calibLevel?: readonly number[] | null | undefined;
  /** productSubGroupDescription values, e.g. `I2D`, `CAL` (case-insensitive); default every subgroup. */
  readonly subgroup?: readonly string[] | null | undefined;
  /** File extensions with or without the dot (`fits`, `.jpg`, `fits.gz`); default `["fits"]`; `*` = every extension. */
  readonly extension?: readonly string[] | null | undefined;
  /** Only "Minimum Recommended Products". */
  readonly mrpOnly?: boolean | null | undefined;
  /** One product (or one observation's products): a productFilename, dataURI, obsID or obs_id. */
  readonly productId?: string | null | undefined;
  /** Exact productFilename values; when set, the other filters (but productId) do not apply. */
  readonly filenames?: readonly string[] | null | undefined;
}

/** What a product row must carry to be selected (a MAST `Mast.Caom.Products` row). */
export interface SelectableProduct {
  readonly productFilename?: unknown;
  readonly dataURI?: unknown;
  readonly productType?: unknown;
  readonly calib_level?: unknown;
  readonly productSubGroupDescription?: unknown;
  readonly productGroupDescription?: unknown;
  readonly obsID?: unknown;
  readonly obs_id?: unknown;
}

export const DEFAULT_PRODUCT_TYPES: readonly string[] = ['SCIENCE'];
export const DEFAULT_EXTENSIONS: readonly string[] = ['fits'];
/** Every product of the observation (still one per file name). */
export const ALL_PRODUCTS: ProductSelection = { productType: ['ALL'], extension: ['*'] };

const MRP = 'Minimum Recommended Products';

/** The selection with its defaults filled in: `null` means "no narrowing". */
export interface ResolvedSelection {
  readonly productType: readonly string[] | null;
  readonly calibLevel: readonly number[] | null;
  readonly subgroup: readonly string[] | null;
  /** Lower-case suffixes with a leading dot. */
  readonly extension: readonly string[] | null;
  readonly mrpOnly: boolean;
  readonly productId: string | null;
  readonly filenames: ReadonlySet<string> | null;
}

const given = <T>(v: readonly T[] | null | undefined): readonly T[] | null => (v && v.length > 0 ? v : null);

export function resolveSelection(s: ProductSelection): ResolvedSelection {
  const types = (given(s.productType) ?? DEFAULT_PRODUCT_TYPES).map((t) => t.trim().toUpperCase());
  const exts = (given(s.extension) ?? DEFAULT_EXTENSIONS).map((e) => e.trim().toLowerCase().replace(/^\.+/, ''));
  const names = given(s.filenames);
  return {
    productType: types.some((t) => t === 'ALL' || t === '*') ? null : types,
    calibLevel: given(s.calibLevel),
    subgroup: given(s.subgroup)?.map((g) => g.trim().toUpperCase()) ?? null,
    extension: exts.includes('*') ? null : exts.map((e) => `.${e}`),
    mrpOnly: s.mrpOnly === true,
    productId: s.productId || null,
    filenames: names ? new Set(names) : null,
  };
}

/** True when the row passes the (resolved) selection; file names are not de-duplicated here. */
export function productMatches(row: SelectableProduct, r: ResolvedSelection): boolean {
  const filename = typeof row.productFilename === 'string' ? row.productFilename : '';
  const dataUri = typeof row.dataURI === 'string' ? row.dataURI : '';
  if (!filename || !dataUri) return false;
  if (r.productId && ![filename, dataUri, String(row.obsID ?? ''), String(row.obs_id ?? '')].includes(r.productId)) return false;
  if (r.filenames) return r.filenames.has(filename);
  if (r.productType && !r.productType.includes(String(row.productType ?? '').toUpperCase())) return false;
  if (r.calibLevel) {
    const level = row.calib_level === null || row.calib_level === undefined || row.calib_level === '' ? NaN : Number(row.calib_level);
    if (!r.calibLevel.includes(level)) return false;
  }
  if (r.subgroup && !r.subgroup.includes(String(row.productSubGroupDescription ?? '').toUpperCase())) return false;
  if (r.extension) {
    const lower = filename.toLowerCase();
    if (!r.extension.some((e) => lower.endsWith(e))) return false;
  }
  if (r.mrpOnly && row.productGroupDescription !== MRP) return false;
  return true;
}

/** The rows the selection picks, in listing order, one per productFilename. */
export function selectProducts<R extends SelectableProduct>(rows: readonly R[], selection: ProductSelection = {}): R[] {
  const r = resolveSelection(selection);
  const seen = new Set<string>();
  const out: R[] = [];
  for (const row of rows) {
    if (!productMatches(row, r)) continue;
    const name = row.productFilename as string;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(row);
  }
  return out;
}
