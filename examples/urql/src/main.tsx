// The app's entry: a urql Client for the gateway's endpoint, given to React by urql's Provider.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { App } from './App.tsx';
import { createUrqlClient } from './client.ts';

const endpoint =
  new URLSearchParams(location.search).get('endpoint') ??
  import.meta.env.VITE_GRAPHQL_URL ??
  'http://localhost:4000/graphql';

const root = document.getElementById('root');
if (root === null) throw new Error('#root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    <Provider value={createUrqlClient(endpoint)}>
      <App endpoint={endpoint} />
    </Provider>
  </StrictMode>,
);
