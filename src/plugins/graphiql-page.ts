// GraphiQL's HTML page: a few KiB that load the hashed assets and open on the example operations.
import { readFileSync } from 'node:fs';
import type { GraphiQLOptions } from 'graphql-yoga';
import type { GraphiQLAssets } from './graphiql-assets.ts';

const operations = (name: string) =>
  readFileSync(new URL(`../../examples/operations/${name}.graphql`, import.meta.url), 'utf8');

/** The models the example tabs start on: one that generates, one that embeds, one that ranks. */
export interface ExampleModels {
  generation: string;
  embedding: string;
  ranking: string;
}

/** The example tabs, their variables naming `model` (the search tab: its embedding and ranking models). */
export function exampleTabs({
  generation: model,
  embedding,
  ranking,
}: ExampleModels): GraphiQLOptions['defaultTabs'] {
  const variables = (value: Record<string, unknown>) =>
    JSON.stringify({ model, ...value }, null, 2);
  return [
    { query: operations('models') },
    {
      query: operations('complete'),
      variables: variables({ prompt: 'Once upon a time', maxTokens: 64 }),
    },
    {
      query: operations('chat'),
      variables: variables({
        messages: [{ role: 'USER', content: 'Name three harbors.' }],
        maxTokens: 64,
      }),
    },
    {
      query: operations('chatStream'),
      variables: variables({
        messages: [{ role: 'USER', content: 'Tell me about lighthouses.' }],
        maxTokens: 64,
      }),
    },
    {
      // A tool round trip: run it, then add the reply's toolCalls as an ASSISTANT message and a TOOL
      // message per call (its toolCallId and result), and run it again.
      query: operations('chatTools'),
      variables: variables({
        messages: [{ role: 'USER', content: 'What is the weather in Oslo and in Lima?' }],
        tools: [
          {
            name: 'get_weather',
            description: 'Current weather in a city',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            },
          },
        ],
        maxTokens: 128,
      }),
    },
    {
      // Embeddings of a query and its passages (aliases of one model share an upstream call), and the
      // passages reranked against the query.
      query: operations('search'),
      variables: JSON.stringify(
        {
          embeddingModel: embedding,
          rankingModel: ranking,
          query: 'Which lighthouse guards the harbor?',
          passages: [
            'The harbor lighthouse has guarded ships since 1870.',
            'Apple pie is best with cream.',
            'A lighthouse keeper lived by the harbor.',
          ],
          topN: 2,
        },
        null,
        2,
      ),
    },
  ];
}

/** JSON that is safe inside a <script> element: no `</script>` or `<!--` can close it early. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The page renderGraphiQL would make, with its script, style, icon and workers as URLs instead of inlined. */
export function graphiqlPage(assets: GraphiQLAssets, options: GraphiQLOptions): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${html(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${html(assets.icon)}" />
    <link rel="stylesheet" href="${html(assets.style)}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => (${scriptJson(assets.workers)})[label] };
    </script>
    <script src="${html(assets.script)}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}
