// The app's entry: a urql Client for the gateway's endpoint, given to React by urql's Provider.
import { Provider } from 'urql';
import { renderApp } from '../../react-shared/render.tsx';
import { App } from './App.tsx';
import { createUrqlClient } from './client.ts';

renderApp((endpoint) => (
  <Provider value={createUrqlClient(endpoint)}>
    <App endpoint={endpoint} />
  </Provider>
));
