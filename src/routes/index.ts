/** Every HTTP route module, registered in this order by the server. */
import type { RouteModule } from '../server.js';

export const routeModules: RouteModule[] = [];
