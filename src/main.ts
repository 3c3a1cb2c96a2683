/**
 * `npm start`: the engine as a service. Reads settings, listens, and on SIGTERM/SIGINT shuts down
 * within SHUTDOWN_TIMEOUT_MS (serve.ts) and exits 0.
 */
import { startEngine } from './engine.js';
import { fatal, serve } from './serve.js';

serve((settings) => startEngine(settings)).catch(fatal);
