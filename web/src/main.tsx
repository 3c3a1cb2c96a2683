import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { GlRenderer } from './viewer/gl-renderer.js';
import './styles.css';

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// Once the first page is drawn and the browser is idle, off any view's critical path.
const warm = () => GlRenderer.warmUp();
if (typeof requestIdleCallback === 'function') requestIdleCallback(warm, { timeout: 1000 });
else setTimeout(warm, 200);
