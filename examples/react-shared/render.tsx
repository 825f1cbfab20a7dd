// The start of both example apps: the gateway's endpoint (`?endpoint=` in the page's URL, else
// VITE_GRAPHQL_URL, else the local gateway), the page's style, and React rendering the app, given
// by the app's main.tsx with its client, into index.html's #root.
import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import './app.css';

export function renderApp(app: (endpoint: string) => ReactNode): void {
  const endpoint =
    new URLSearchParams(location.search).get('endpoint') ??
    import.meta.env.VITE_GRAPHQL_URL ??
    'http://localhost:4000/graphql';
  const root = document.getElementById('root');
  if (root === null) throw new Error('#root is missing from index.html');
  createRoot(root).render(<StrictMode>{app(endpoint)}</StrictMode>);
}
