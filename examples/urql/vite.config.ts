// `npx vite examples/urql` serves the app on http://localhost:5175, the origin to list in the
// gateway's CORS_ORIGINS; `npx vite build examples/urql` writes examples/urql/dist/ (git-ignored).
import { defineConfig } from 'vite';

export default defineConfig({
  // TSX with React's automatic runtime, compiled by Vite's own transformer (no React plugin, so no
  // Fast Refresh: an edit reloads the page).
  oxc: { jsx: { runtime: 'automatic' } },
  // Its own cache of pre-bundled dependencies, so that it and another example's dev server can
  // run at once (a shared one is rebuilt by each, and the other's page fails to load).
  cacheDir: '../../node_modules/.vite/urql',
  // Another port would be another origin, one the gateway's CORS_ORIGINS does not list: fail instead.
  server: { port: 5175, strictPort: true },
  preview: { port: 5175, strictPort: true },
});
