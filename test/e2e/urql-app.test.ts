// examples/urql (React, urql with Graphcache and its fetch transport) in chromium: the shared suite
// of the example apps (test/support/example-app.ts). urql streams a subscription as server-sent
// events (`fetchSubscriptions: true`).
import { describeExampleApp } from '../support/example-app.ts';

describeExampleApp({
  name: 'urql',
  streamAccept: /^text\/event-stream, multipart\/mixed$/,
  streamContentType: /^text\/event-stream/,
});
