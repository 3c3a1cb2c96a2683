/**
 * `npm start`: the engine as a service. Reads settings, listens, and on SIGTERM/SIGINT stops
 * accepting, lets in-flight work finish or persist, and exits 0.
 */
import { startEngine } from './engine.js';
import { fatal, serve } from './serve.js';

serve((settings) => startEngine(settings)).catch(fatal);
