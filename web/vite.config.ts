import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The engine serves the production build at /app/ (see src/routes/web-app.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run web:dev` proxies the API to a running engine on :8000.
    proxy: Object.fromEntries(
      ['/mast', '/preview', '/thumbnail', '/histogram', '/pixeldata', '/cubeinfo', '/fits', '/library', '/analysis',
        '/process', '/algorithms', '/composite', '/mosaic', '/health', '/viewer', '/colormaps', '/wcs'].map((p) => [p, 'http://127.0.0.1:8000']),
    ),
  },
});
