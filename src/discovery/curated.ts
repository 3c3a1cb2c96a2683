/**
 * Curated recipes for famous JWST targets (upstream-latest §2 step 4) and the featured targets of
 * GET /api/discovery/featured. Filter sets follow the published NASA/ESA/CSA release images;
 * colours run blue to red in wavelength order. Target names are matched lower-cased with a space
 * between letters and digits (`NGC3132` = `ngc 3132`) and a few aliases.
 */

export interface CuratedRecipe {
  readonly name: string;
  readonly filters: readonly string[];
  readonly colors: Readonly<Record<string, string>>;
  readonly description: string;
}

const ALIASES: Readonly<Record<string, string>> = {
  'ngc 7320': "stephan's quintet",
  'ngc 6611': 'm 16',
  m16: 'm 16',
  'southern ring nebula': 'ngc 3132',
  'eight-burst nebula': 'ngc 3132',
  'carina nebula': 'ngc 3324',
  'pillars of creation': 'm 16',
  'eagle nebula': 'm 16',
  'smacs j0723.3-7327': 'smacs 0723',
  'smacs 0723.3-7327': 'smacs 0723',
};

/** `NGC3132` -> `ngc 3132`; aliases to their key. */
export function canonicalTargetName(name: string): string {
  const n = name.trim().toLowerCase().replace(/\s+/g, ' ').replace(/([a-z])(\d)/g, '$1 $2');
  return ALIASES[n] ?? ALIASES[n.replace(/ /g, '')] ?? n;
}

export const CURATED_RECIPES: Readonly<Record<string, CuratedRecipe>> = {
  'ngc 3132': {
    name: 'Southern Ring Nebula (NASA-style)',
    filters: ['F090W', 'F187N', 'F212N', 'F356W', 'F444W', 'F470N'],
    colors: { F090W: '#0000ff', F187N: '#00aaff', F212N: '#00ff80', F356W: '#ffd000', F444W: '#ff7f00', F470N: '#ff0000' },
    description: 'NIRCam view of the Southern Ring: hot ionised gas in blue, molecular hydrogen shells in orange and red',
  },
  'ngc 3324': {
    name: 'Cosmic Cliffs (NASA-style)',
    filters: ['F090W', 'F187N', 'F200W', 'F335M', 'F444W', 'F470N'],
    colors: { F090W: '#0000ff', F187N: '#00aaff', F200W: '#00ff80', F335M: '#ffd000', F444W: '#ff7f00', F470N: '#ff0000' },
    description: 'NIRCam view of the Carina star-forming region NGC 3324',
  },
  "stephan's quintet": {
    name: "Stephan's Quintet (NASA-style)",
    filters: ['F090W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W'],
    colors: { F090W: '#0000ff', F150W: '#00aaff', F200W: '#00ff80', F277W: '#ffd000', F356W: '#ff7f00', F444W: '#ff0000' },
    description: 'NIRCam view of the compact galaxy group',
  },
  'smacs 0723': {
    name: "Webb's First Deep Field (NASA-style)",
    filters: ['F090W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W'],
    colors: { F090W: '#0000ff', F150W: '#00aaff', F200W: '#00ff80', F277W: '#ffd000', F356W: '#ff7f00', F444W: '#ff0000' },
    description: 'NIRCam deep field of the lensing cluster SMACS 0723',
  },
  'ngc 346': {
    name: 'NGC 346 (NASA-style)',
    filters: ['F200W', 'F277W', 'F335M', 'F444W'],
    colors: { F200W: '#0000ff', F277W: '#00ff00', F335M: '#ff7f00', F444W: '#ff0000' },
    description: 'NIRCam view of the star cluster NGC 346 in the Small Magellanic Cloud',
  },
  'm 16': {
    name: 'Pillars of Creation (NASA-style)',
    filters: ['F090W', 'F187N', 'F200W', 'F335M', 'F444W', 'F470N'],
    colors: { F090W: '#0000ff', F187N: '#00aaff', F200W: '#00ff80', F335M: '#ffd000', F444W: '#ff7f00', F470N: '#ff0000' },
    description: 'NIRCam view of the Pillars of Creation in the Eagle Nebula',
  },
};

export interface FeaturedTarget {
  readonly name: string;
  readonly catalogId: string;
  readonly category: string;
  readonly description: string;
  readonly instruments: readonly string[];
  readonly filterCount: number;
  /** The values upstream's frontend knows (its FeaturedTarget type and badge labels); others show as 'good'. */
  readonly compositePotential: 'great' | 'good' | 'limited';
  readonly thumbnail: string | null;
  readonly mastSearchParams: { readonly target: string; readonly searchRadius: null };
}

const featured = (name: string, catalogId: string, category: string, description: string, instruments: string[], filterCount: number, compositePotential: FeaturedTarget['compositePotential']): FeaturedTarget =>
  ({ name, catalogId, category, description, instruments, filterCount, compositePotential, thumbnail: null, mastSearchParams: { target: catalogId, searchRadius: null } });

/** Twelve well-observed targets for the workbench's discovery page. */
export const FEATURED_TARGETS: readonly FeaturedTarget[] = [
  featured('Southern Ring Nebula', 'NGC 3132', 'nebula', 'A planetary nebula: a dying star\'s shells of gas and dust', ['NIRCAM', 'MIRI'], 10, 'great'),
  featured('Cosmic Cliffs', 'NGC 3324', 'nebula', 'The edge of a star-forming cavity in the Carina Nebula', ['NIRCAM', 'MIRI'], 10, 'great'),
  featured('Pillars of Creation', 'M16', 'nebula', 'Columns of gas and dust in the Eagle Nebula', ['NIRCAM', 'MIRI'], 9, 'great'),
  featured("Stephan's Quintet", 'NGC 7320', 'galaxy', 'A visual grouping of five galaxies, four of them interacting', ['NIRCAM', 'MIRI'], 9, 'great'),
  featured("Webb's First Deep Field", 'SMACS 0723', 'deep_field', 'A galaxy cluster lensing thousands of distant galaxies', ['NIRCAM', 'MIRI', 'NIRISS'], 10, 'great'),
  featured('NGC 346', 'NGC 346', 'cluster', 'A young star cluster in the Small Magellanic Cloud', ['NIRCAM', 'MIRI'], 8, 'good'),
  featured('Cartwheel Galaxy', 'ESO 350-40', 'galaxy', 'A ring galaxy shaped by a high-speed collision', ['NIRCAM', 'MIRI'], 9, 'good'),
  featured('Phantom Galaxy', 'M74', 'galaxy', 'A grand-design spiral seen face-on', ['NIRCAM', 'MIRI'], 8, 'good'),
  featured('Crab Nebula', 'M1', 'nebula', 'A supernova remnant with a pulsar at its heart', ['NIRCAM', 'MIRI'], 8, 'good'),
  featured('Cassiopeia A', 'Cas A', 'nebula', 'The expanding remnant of a massive star\'s explosion', ['NIRCAM', 'MIRI'], 9, 'good'),
  featured('Rho Ophiuchi', 'Rho Oph', 'nebula', 'The closest star-forming region to Earth', ['NIRCAM'], 6, 'good'),
  featured('Jupiter', 'Jupiter', 'solar_system', 'The giant planet, its rings and moons', ['NIRCAM'], 3, 'limited'),
];
