/** Every HTTP route module, registered in this order by the server. */
import type { RouteModule } from '../server.js';
import { libraryRoutes } from './library.js';
import { webAppRoutes } from './web-app.js';
import { mastRoutes } from './mast.js';

export const routeModules: RouteModule[] = [
  libraryRoutes,
  webAppRoutes,
  mastRoutes,
];
