/** Every HTTP route module, registered in this order by the server. */
import type { RouteModule } from '../server.js';
import { libraryRoutes } from './library.js';
import { jwstDataRoutes } from './jwstdata.js';
import { apiKeyRoutes } from './api-keys.js';
import { viewerRoutes } from './viewer.js';
import { fitsViewerRoutes } from './fits-viewer.js';
import { webAppRoutes } from './web-app.js';
import { wcsRoutes } from './wcs.js';
import { mastRoutes } from './mast.js';
import { downloadRoutes } from './downloads.js';
import { processRoutes } from './process.js';
import { analysisRoutes } from './analysis.js';
import { compositeRoutes } from './composite.js';
import { mosaicRoutes } from './mosaic.js';
import { jobRoutes } from './jobs.js';
import { viewerTileRoutes } from './viewer-tiles.js';
import { tableRoutes } from './tables.js';
import { compositeNChannelRoutes } from './composite-nchannel.js';
import { discoveryRoutes } from './discovery.js';
import { observationMosaicRoutes } from './observation-mosaic.js';
import { detectSourcesRoutes } from './detect-sources.js';
import { apiMastRoutes } from './api-mast.js';
import { apiCompositeRoutes } from './api-composite.js';
import { apiTableRoutes } from './api-tables.js';

export const routeModules: RouteModule[] = [
  libraryRoutes,
  jwstDataRoutes,
  apiKeyRoutes,
  viewerRoutes,
  fitsViewerRoutes,
  webAppRoutes,
  wcsRoutes,
  mastRoutes,
  downloadRoutes,
  processRoutes,
  analysisRoutes,
  compositeRoutes,
  mosaicRoutes,
  viewerTileRoutes,
  tableRoutes,
  detectSourcesRoutes,
  jobRoutes,
  compositeNChannelRoutes,
  discoveryRoutes,
  observationMosaicRoutes,
  apiMastRoutes,
  apiCompositeRoutes,
  apiTableRoutes,
];
