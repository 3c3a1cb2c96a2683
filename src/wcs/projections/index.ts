/** The projection factory: the three-letter code of CTYPE plus the latitude axis' PV values. */
import { WcsError } from '../errors.js';
import { Ait, Car, Cea, Mer, Mol, Par, Sfl } from './cylindrical.js';
import { Hpx } from './healpix.js';
import type { Projection, ProjectionParameters } from './types.js';
import { Air, Arc, Azp, Sin, Stg, Szp, Tan, Zea, Zpn } from './zenithal.js';
import { Bon, Cod, Coe, Coo, Cop } from './conic.js';

export type { Projection, ProjectionParameters } from './types.js';

export const SUPPORTED_PROJECTIONS = ['TAN', 'SIN', 'ARC', 'ZEA', 'STG', 'AZP', 'SZP', 'ZPN', 'AIR', 'CAR', 'CEA', 'MER', 'SFL', 'GLS', 'PAR', 'MOL', 'AIT', 'COP', 'COE', 'COD', 'COO', 'BON', 'HPX', 'TPV'] as const;

export function createProjection(code: string, pv: ProjectionParameters = []): Projection {
  try {
    switch (code) {
      case 'TAN': return new Tan();
      case 'SIN': return new Sin(pv);
      case 'ARC': return new Arc();
      case 'ZEA': return new Zea();
      case 'STG': return new Stg();
      case 'AZP': return new Azp(pv);
      case 'ZPN': return new Zpn(pv);
      case 'SZP': return new Szp(pv);
      case 'AIR': return new Air(pv);
      case 'COP': return new Cop(pv);
      case 'COE': return new Coe(pv);
      case 'COD': return new Cod(pv);
      case 'COO': return new Coo(pv);
      case 'BON': return new Bon(pv);
      case 'CAR': return new Car();
      case 'CEA': return new Cea(pv);
      case 'MER': return new Mer();
      case 'SFL': return new Sfl('SFL');
      case 'GLS': return new Sfl('GLS');
      case 'PAR': return new Par();
      case 'MOL': return new Mol();
      case 'AIT': return new Ait();
      case 'HPX': return new Hpx(pv);
      default:
        throw new WcsError(`Unsupported projection '${code}' (supported: ${SUPPORTED_PROJECTIONS.join(', ')})`, 'WCS_UNSUPPORTED_PROJECTION');
    }
  } catch (err) {
    if (err instanceof WcsError) throw err;
    throw new WcsError(`Invalid ${code} projection parameters: ${(err as Error).message}`, 'WCS_BAD_PROJECTION');
  }
}
