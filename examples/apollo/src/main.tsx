// The app's entry: an Apollo Client for the gateway's endpoint, given to React by ApolloProvider.
import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createApolloClient } from './client.ts';

const endpoint =
  new URLSearchParams(location.search).get('endpoint') ??
  import.meta.env.VITE_GRAPHQL_URL ??
  'http://localhost:4000/graphql';

const root = document.getElementById('root');
if (root === null) throw new Error('#root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    <ApolloProvider client={createApolloClient(endpoint)}>
      <App endpoint={endpoint} />
    </ApolloProvider>
  </StrictMode>,
);
