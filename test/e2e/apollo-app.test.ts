// examples/apollo (React, Apollo Client with its own HttpLink) in chromium: the shared suite of the
// example apps (test/support/example-app.ts). Apollo streams a subscription over its multipart
// protocol, with no link of its own for it.
import { describeExampleApp } from '../support/example-app.ts';

describeExampleApp({
  name: 'apollo',
  streamAccept: /^multipart\/mixed;boundary=graphql;subscriptionSpec=1\.0,/,
  streamContentType: /^multipart\/mixed;boundary="graphql";subscriptionSpec="1\.0"$/,
});
