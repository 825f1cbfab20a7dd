// `npx vite examples/web` serves the page on http://localhost:5173, the origin to list in the
// gateway's CORS_ORIGINS; `npx vite build examples/web` writes examples/web/dist/ (git-ignored).
import { defineConfig } from 'vite';

export default defineConfig({
  // Another port would be another origin, one the gateway's CORS_ORIGINS does not list: fail instead.
  server: { port: 5173, strictPort: true },
  preview: { port: 5173, strictPort: true },
});
