/** The spectrum columns upstream knows (contract section 4), wavelength names first by priority. */
export const WAVELENGTH_NAMES = ['WAVELENGTH', 'WAVE', 'LAMBDA'] as const;

export const KNOWN_SPECTRUM_COLUMNS = new Set([
  'WAVELENGTH', 'WAVE', 'LAMBDA', 'FLUX', 'FLUX_ERROR', 'ERROR', 'SURF_BRIGHT', 'SB_ERROR', 'NET', 'BACKGROUND', 'BACKGROUND_ERROR',
  'DQ', 'NPIXELS', 'BERROR', 'FLUX_VAR_POISSON', 'FLUX_VAR_RNOISE', 'FLUX_VAR_FLAT', 'SB_VAR_POISSON', 'SB_VAR_RNOISE', 'SB_VAR_FLAT',
]);

/** Columns whose values are a flux or surface brightness (converted with flux_unit); errors only linearly. */
export const FLUX_COLUMNS = new Set(['FLUX', 'SURF_BRIGHT', 'NET', 'BACKGROUND']);
export const FLUX_ERROR_COLUMNS = new Set(['FLUX_ERROR', 'ERROR', 'SB_ERROR', 'BACKGROUND_ERROR', 'BERROR']);
