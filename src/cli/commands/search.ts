/**
 * `jwst-engine search target|coords|obs|program|recent ...` and `jwst-engine products OBS_ID`:
 * MAST searches from the terminal over the same MastClient as the HTTP API. Readable tables by
 * default, the HTTP API's JSON with `--json`. MAST is taken from MAST_BASE_URL (or `--mast-url`).
 */
import type { Command } from 'commander';
import { loadSettings } from '../../config.js';
import {
  MastClient, mastClientFromSettings, fromMjd, parseAngle, MastInputError, totalProductBytes,
  type ObservationFilters, type ObservationRow, type ProductRow,
} from '../../mast/index.js';
import { productsResponse, searchResponse } from '../../routes/mast-json.js';

interface CommonOpts {
  json?: boolean;
  mastUrl?: string;
  timeout?: string;
}

interface SearchOpts extends CommonOpts {
  radius?: string;
  calibLevel?: string;
  instrument?: string[];
  filter?: string[];
  type?: string[];
  intent?: string[];
  includeProprietary?: boolean;
  limit?: string;
  offset?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function num(value: string | undefined, field: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new MastInputError(field, `expected a number, got "${value}"`);
  return n;
}

function levels(value: string | undefined, fallback: number[] | undefined): number[] | undefined {
  if (value === undefined) return fallback;
  if (value === 'all') return undefined;
  const out = value.split(',').map((s) => Number(s.trim()));
  if (out.some((n) => !Number.isInteger(n) || n < 0 || n > 4)) throw new MastInputError('calib-level', `expected levels 0-4 like "2,3" or "all", got "${value}"`);
  return out;
}

function client(opts: CommonOpts): MastClient {
  const settings = loadSettings(opts.mastUrl ? { ...process.env, MAST_BASE_URL: opts.mastUrl } : process.env);
  const timeout = num(opts.timeout, 'timeout');
  return mastClientFromSettings(settings, timeout === undefined ? {} : { searchTimeoutMs: timeout * 1000 });
}

function filters(o: SearchOpts): ObservationFilters & { limit?: number; offset?: number } {
  return {
    instrument: o.instrument,
    filter: o.filter,
    dataproductType: o.type,
    intentType: o.intent,
    includeProprietary: o.includeProprietary ?? false,
    limit: num(o.limit, 'limit'),
    offset: num(o.offset, 'offset'),
  };
}

/** Left-aligned text columns, right-aligned numbers, a rule under the header. */
export function renderTable(headers: string[], rows: string[][], numeric: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function releaseDate(mjd: unknown): string {
  const n = Number(mjd);
  return mjd === null || mjd === undefined || !Number.isFinite(n) ? '' : fromMjd(n).toISOString().slice(0, 10);
}

export function formatObservations(rows: ObservationRow[], total: number, cone: boolean): string {
  if (rows.length === 0) return 'No observations found.';
  const headers = ['obs_id', 'target', 'instrument', 'filters', 'level', 'exptime_s', 'released', ...(cone ? ['dist_arcsec'] : [])];
  const body = rows.map((r) => [
    String(r.obs_id ?? ''),
    String(r.target_name ?? ''),
    String(r.instrument_name ?? ''),
    String(r.filters ?? ''),
    String(r.calib_level ?? ''),
    r.t_exptime === null || r.t_exptime === undefined ? '' : Number(r.t_exptime).toFixed(1),
    releaseDate(r.t_obs_release),
    ...(cone ? [r.distance === undefined ? '' : Number(r.distance).toFixed(1)] : []),
  ]);
  const table = renderTable(headers, body, [false, false, false, false, true, true, false, true]);
  return `${table}\n\n${rows.length === total ? `${total} observation${total === 1 ? '' : 's'}` : `${rows.length} of ${total} observations`}`;
}

export function humanBytes(n: number | null): string {
  if (n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatProducts(obsId: string, products: ProductRow[]): string {
  if (products.length === 0) return `No products of ${obsId} match.`;
  const body = products.map((p) => [p.productFilename, p.productType, p.productSubGroupDescription ?? '', String(p.calib_level ?? ''), humanBytes(p.size)]);
  const total = totalProductBytes(products);
  return `${renderTable(['file', 'type', 'subgroup', 'level', 'size'], body, [false, false, false, true, true])}\n\n${products.length} product${products.length === 1 ? '' : 's'}, ${humanBytes(total)}`;
}

async function run<T>(opts: CommonOpts, work: (c: MastClient) => Promise<T>, print: (v: T) => string, json: (v: T) => unknown): Promise<void> {
  const c = client(opts);
  try {
    const value = await work(c);
    process.stdout.write(`${opts.json ? JSON.stringify(json(value), null, 2) : print(value)}\n`);
  } finally {
    await c.close();
  }
}

function searchOptions(cmd: Command, opts: { radius?: boolean; defaultLevels?: string } = {}): Command {
  if (opts.radius) cmd.option('-r, --radius <deg>', 'cone radius in degrees, (0, 10]', '0.2');
  return cmd
    .option('-l, --calib-level <levels>', `calibration levels, e.g. "2,3", or "all" (default ${opts.defaultLevels ?? 'all'})`)
    .option('-i, --instrument <name>', 'instrument prefix (NIRCAM, MIRI, ...); repeatable', collect)
    .option('-f, --filter <name>', 'optical element (F444W, ...); repeatable', collect)
    .option('-t, --type <type>', 'dataproduct_type (image, cube, spectrum, ...); repeatable', collect)
    .option('--intent <intent>', 'intentType (science, calibration); repeatable', collect)
    .option('--include-proprietary', 'include exclusive-access data')
    .option('--limit <n>', 'rows to show')
    .option('--offset <n>', 'rows to skip')
    .option('--json', 'print the JSON the HTTP API returns')
    .option('--mast-url <url>', 'MAST base URL (default: MAST_BASE_URL or https://mast.stsci.edu)')
    .option('--timeout <seconds>', 'overall search budget (default: MAST_SEARCH_TIMEOUT)');
}

export function searchCommands(program: Command): void {
  const search = program.command('search').description('search MAST for JWST observations');

  searchOptions(search.command('target <name>').description('cone search around a target name (resolved by MAST)'), { radius: true, defaultLevels: '2,3' })
    .action(async (name: string, o: SearchOpts) => {
      const radius = num(o.radius, 'radius', 0.2)!;
      const calib = levels(o.calibLevel, [2, 3]);
      const f = filters(o);
      await run(o, (c) => c.searchTarget({ targetName: name, radius, calibLevel: calib, ...f }),
        (r) => `${r.resolved ? `${name} → RA ${r.resolved.ra.toFixed(6)}, Dec ${r.resolved.dec.toFixed(6)}${r.resolved.canonicalName ? ` (${r.resolved.canonicalName})` : ''}, radius ${radius}°\n\n` : ''}${formatObservations(r.rows, r.totalCount, true)}`,
        (r) => searchResponse('target', { target_name: name, radius, calib_level: calib ?? null }, r, f));
    });

  searchOptions(search.command('coords <ra> <dec>').description('cone search around RA/Dec (degrees or sexagesimal, RA in hours)'), { radius: true, defaultLevels: '2,3' })
    // A negative sexagesimal Dec ("-40:26:13") looks like an option to commander: let unknown
    // options through as arguments; a real typo then fails as an unreadable angle or extra argument.
    .allowUnknownOption()
    .allowExcessArguments(false)
    .action(async (raText: string, decText: string, o: SearchOpts) => {
      const ra = parseAngle(raText, 'ra');
      const dec = parseAngle(decText, 'dec');
      const radius = num(o.radius, 'radius', 0.2)!;
      const calib = levels(o.calibLevel, [2, 3]);
      const f = filters(o);
      await run(o, (c) => c.searchCoordinates({ ra, dec, radius, calibLevel: calib, ...f }),
        (r) => formatObservations(r.rows, r.totalCount, true),
        (r) => searchResponse('coordinates', { ra, dec, radius, calib_level: calib ?? null }, r, f));
    });

  searchOptions(search.command('obs <obs_id>').description("observations by obs_id; * wildcards allowed (quote them: 'jw02733-o001*')"))
    .action(async (obsId: string, o: SearchOpts) => {
      const calib = levels(o.calibLevel, undefined);
      const f = filters(o);
      await run(o, (c) => c.searchObservation({ obsId, calibLevel: calib, ...f, includeProprietary: o.includeProprietary ?? !obsId.includes('*') }),
        (r) => formatObservations(r.rows, r.totalCount, false),
        (r) => searchResponse('observation_id', { obs_id: obsId, calib_level: calib ?? null }, r, f));
    });

  searchOptions(search.command('program <program_id>').description('observations of a JWST program, e.g. 2733'), { defaultLevels: '2,3' })
    .action(async (programId: string, o: SearchOpts) => {
      const calib = levels(o.calibLevel, [2, 3]);
      const f = filters(o);
      await run(o, (c) => c.searchProgram({ programId, calibLevel: calib, ...f }),
        (r) => formatObservations(r.rows, r.totalCount, false),
        (r) => searchResponse('program_id', { program_id: programId, calib_level: calib ?? null }, r, f));
    });

  search.command('recent')
    .description('observations released in the last days, newest first')
    .option('-d, --days <n>', 'days back (1-365)', '30')
    .option('-i, --instrument <name>', 'instrument prefix (NIRCAM, MIRI, ...)', collect)
    .option('--limit <n>', 'rows to show', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .option('--json', 'print the JSON the HTTP API returns')
    .option('--mast-url <url>', 'MAST base URL')
    .option('--timeout <seconds>', 'overall search budget')
    .action(async (o: SearchOpts & { days: string }) => {
      const daysBack = num(o.days, 'days', 30)!;
      if (!(daysBack >= 1 && daysBack <= 365)) throw new MastInputError('days', 'must be between 1 and 365');
      const paging = { limit: num(o.limit, 'limit'), offset: num(o.offset, 'offset') };
      await run(o, (c) => c.searchRecent({ daysBack, instrument: o.instrument, ...paging }),
        (r) => formatObservations(r.rows, r.totalCount, false),
        (r) => searchResponse('recent_releases', { days_back: daysBack, instrument: o.instrument?.[0] ?? null, ...paging }, r, paging));
    });

  program.command('products <obs_id>')
    .description("list an observation's products (default: SCIENCE .fits files)")
    .option('-t, --type <type>', 'productType (SCIENCE, PREVIEW, INFO, AUXILIARY); repeatable', collect)
    .option('-s, --subgroup <name>', 'productSubGroupDescription (I2D, CAL, RATE, UNCAL, S3D, X1D, ...); repeatable', collect)
    .option('-l, --calib-level <levels>', 'calibration levels, e.g. "2,3"')
    .option('-e, --ext <ext>', 'file extension (default fits); repeatable', collect)
    .option('-a, --all', 'every product (no type or extension default)')
    .option('--mrp', 'only Minimum Recommended Products')
    .option('--json', 'print the JSON the HTTP API returns')
    .option('--mast-url <url>', 'MAST base URL')
    .option('--timeout <seconds>', 'overall budget')
    .action(async (obsId: string, o: CommonOpts & { type?: string[]; subgroup?: string[]; calibLevel?: string; ext?: string[]; all?: boolean; mrp?: boolean }) => {
      await run(o, (c) => c.listProducts(obsId, {
        productType: o.type ?? (o.all ? ['ALL'] : undefined),
        extension: o.ext ?? (o.all ? ['*'] : undefined),
        subgroup: o.subgroup,
        calibLevel: levels(o.calibLevel, undefined),
        mrpOnly: o.mrp ?? false,
      }),
      (r) => formatProducts(obsId, r.products),
      productsResponse);
    });
}
