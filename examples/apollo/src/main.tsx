// The app's entry: an Apollo Client for the gateway's endpoint, given to React by ApolloProvider.
import { ApolloProvider } from '@apollo/client/react';
import { renderApp } from '../../react-shared/render.tsx';
import { App } from './App.tsx';
import { createApolloClient } from './client.ts';

renderApp((endpoint) => (
  <ApolloProvider client={createApolloClient(endpoint)}>
    <App endpoint={endpoint} />
  </ApolloProvider>
));
