/**
 * Target name → sky position. Default: MAST's `Mast.Name.Lookup` invoke service (GET, as
 * astroquery 0.4.6 does); alternatively the SANTA resolver (`/Santa-war/query`). Answers are
 * cached (misses too, briefly); spelling variants ("NGC3132" ↔ "NGC 3132") are tried on a miss.
 */
import { TtlCache } from './cache.js';
import { MastServiceError, TargetNotResolvedError } from './errors.js';
import { INVOKE_PATH, pyQuote } from './invoke.js';
import { Deadline, withinDeadline, type MastTransport } from './transport.js';

export interface ResolverOptions {
  /** `mast` = Mast.Name.Lookup on the invoke API; `santa` = MAST's SANTA resolver. */
  readonly kind: 'mast' | 'santa';
  /** Base URL of the resolver (defaults to the MAST base URL). */
  readonly baseUrl?: string | undefined;
  /** SANTA resolvers to try in order, e.g. ["SIMBAD", "NED"]. */
  readonly resolvers?: readonly string[] | undefined;
  readonly ttlMs?: number;
  readonly missTtlMs?: number;
  readonly maxEntries?: number;
}

export interface ResolvedTarget {
  /** The name as asked. */
  readonly name: string;
  readonly ra: number;
  readonly dec: number;
  readonly canonicalName: string | null;
  readonly resolver: string | null;
}

interface ResolvedCoordinate {
  searchString?: unknown;
  resolver?: unknown;
  canonicalName?: unknown;
  ra?: unknown;
  decl?: unknown;
}

export class NameResolver {
  private readonly cache: TtlCache<ResolvedTarget | null>;
  private readonly inflight = new Map<string, Promise<ResolvedTarget | null>>();

  constructor(
    private readonly transport: MastTransport,
    private readonly options: ResolverOptions = { kind: 'mast' },
  ) {
    this.cache = new TtlCache({ ttlMs: options.ttlMs ?? 24 * 3600_000, maxEntries: options.maxEntries ?? 2000, maxBytes: 4 * 1024 * 1024 });
  }

  /** Resolves `name` or throws TargetNotResolvedError (404 class). */
  async resolve(name: string, deadline: Deadline): Promise<ResolvedTarget> {
    const key = normalizeName(name);
    let hit = this.cache.get(key);
    if (hit === undefined) {
      let pending = this.inflight.get(key);
      if (!pending) {
        // Shared by every caller asking meanwhile, so it runs on a budget of its own (see MastClient).
        const own = new Deadline(deadline.totalMs);
        pending = this.lookupVariants(name, own).finally(() => {
          own.dispose();
          this.inflight.delete(key);
        });
        pending.catch(() => undefined);
        this.inflight.set(key, pending);
      }
      hit = await withinDeadline(pending, deadline);
      this.cache.set(key, hit, { ttlMs: hit ? undefined : this.options.missTtlMs ?? 5 * 60_000 });
    }
    if (!hit) throw new TargetNotResolvedError(name);
    return { ...hit, name };
  }

  clear(): void {
    this.cache.clear();
  }

  private async lookupVariants(name: string, deadline: Deadline): Promise<ResolvedTarget | null> {
    for (const candidate of nameVariants(name)) {
      const found = await this.lookup(candidate, deadline);
      if (found) return found;
    }
    return null;
  }

  private async lookup(name: string, deadline: Deadline): Promise<ResolvedTarget | null> {
    const base = (this.options.baseUrl ?? this.transport.baseUrl).replace(/\/+$/, '');
    let json: unknown;
    if (this.options.kind === 'santa') {
      const q = new URLSearchParams({ name, outputFormat: 'json', resolveAll: 'false' });
      for (const r of this.options.resolvers ?? []) q.append('resolver', r);
      ({ json } = await this.transport.requestJson({ method: 'GET', url: `${base}/Santa-war/query?${q}`, deadline, what: 'name resolution' }));
    } else {
      const req = { service: 'Mast.Name.Lookup', params: { input: name, format: 'json' } };
      ({ json } = await this.transport.requestJson({
        method: 'GET',
        url: `${base}${INVOKE_PATH}?request=${pyQuote(JSON.stringify(req))}`,
        deadline,
        what: 'Mast.Name.Lookup',
      }));
    }
    if (json && typeof json === 'object' && (json as { status?: unknown }).status === 'ERROR') {
      throw new MastServiceError('Mast.Name.Lookup', String((json as { msg?: unknown }).msg ?? ''));
    }
    const list = (json as { resolvedCoordinate?: unknown } | null)?.resolvedCoordinate;
    if (!Array.isArray(list) || list.length === 0) return null;
    const entries = list as ResolvedCoordinate[];
    const wanted = name.trim().toLowerCase();
    const entry = entries.find((e) => String(e.searchString ?? '').toLowerCase() === wanted) ?? entries[0]!;
    const ra = Number(entry.ra);
    const dec = Number(entry.decl);
    if (!Number.isFinite(ra) || !Number.isFinite(dec)) return null;
    return {
      name,
      ra,
      dec,
      canonicalName: typeof entry.canonicalName === 'string' ? entry.canonicalName : null,
      resolver: typeof entry.resolver === 'string' ? entry.resolver : null,
    };
  }
}

export function normalizeName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The name, then "NGC3132" → "NGC 3132" and "NGC-3132"/"NGC 3132" → "NGC3132" variants. */
export function nameVariants(name: string): string[] {
  const base = name.trim().replace(/\s+/g, ' ');
  const out = [base];
  const spaced = base.replace(/^([A-Za-z]+)[-_]?(\d)/, '$1 $2');
  const joined = base.replace(/^([A-Za-z]+)[ _-]+(\d)/, '$1$2');
  for (const v of [spaced, joined]) if (!out.includes(v)) out.push(v);
  return out;
}
