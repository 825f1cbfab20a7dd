// GraphiQL, offline and cached: the page (GET on the GraphQL endpoint with Accept: text/html, as
// Yoga's own GraphiQL) is a few KiB revalidated by ETag, and its scripts, styles and workers are
// hashed files under /graphiql/ kept for a year, all compressed. Its example tabs start on a model
// the upstream serves, read from the model catalog when the page is first rendered.
import { shouldRenderGraphiQL, type FetchAPI, type Plugin } from 'graphql-yoga';
import type { CatalogSnapshot } from '../nim/catalog.ts';
import type { ModelKind } from '../nim/kinds.ts';
import { loadGraphiQLAssets, StaticBody, type GraphiQLAssets } from './graphiql-assets.ts';
import { exampleTabs, graphiqlPage, type ExampleModels } from './graphiql-page.ts';

export const GRAPHIQL_ASSETS = '/graphiql/';
/** What an asset's path looks like, so that other paths are refused without loading the bundle. */
const ASSET_PATH = /^\/graphiql\/[a-z.]+\.[0-9a-f]{16}\.(js|css|ico)$/;

export interface GraphiQLPluginOptions {
  /** The GraphQL endpoint: a GET on it that accepts text/html gets the page. */
  endpoint: string;
  /** The gateway's model catalog, for the model of the example tabs. */
  catalog: { current(): Promise<CatalogSnapshot> };
  /**
   * The example tabs' model when the upstream serves it, and when the model list cannot be read
   * (then the next page request tries again). Default: meta/llama-3.1-8b-instruct.
   */
  exampleModel?: string;
  /** Headers GraphiQL sends with every request (its SSE subscriptions are GETs: CSRF prevention's header). */
  additionalHeaders: Record<string, string>;
  /** Client auth is on: the headers tab starts with the Authorization line to fill in. */
  authorization: boolean;
  /** What each model is for: the search tab starts on an embedding and a ranking model. */
  kindOf: (model: string) => ModelKind;
  /** How long rendering waits for the model list. Default 1000 ms. */
  modelWaitMs?: number;
}

/** Used for the search tab while no embedding or ranking model is listed: NVIDIA's retrieval NIMs. */
const RETRIEVAL_FALLBACKS = {
  embedding: 'nvidia/llama-3.2-nv-embedqa-1b-v2',
  ranking: 'nvidia/llama-3.2-nv-rerankqa-1b-v2',
};

/**
 * The preferred model when served, else the first base model listed that generates; the first
 * embedding and ranking models listed; null when no list came in time.
 */
async function servedModels(
  catalog: GraphiQLPluginOptions['catalog'],
  preferred: string,
  kindOf: GraphiQLPluginOptions['kindOf'],
  waitMs: number,
): Promise<ExampleModels | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  try {
    const snapshot = await Promise.race([catalog.current().catch(() => null), late]);
    if (snapshot === null || snapshot.models.length === 0) return null;
    const { models } = snapshot;
    const generating = models.filter((m) => kindOf(m.id) === 'generation');
    const first = (kind: ModelKind) => models.find((m) => kindOf(m.id) === kind)?.id;
    return {
      generation: snapshot.byId.has(preferred)
        ? preferred
        : (generating.find((m) => m.parent === null) ?? generating[0] ?? models[0]!).id,
      embedding: first('embedding') ?? RETRIEVAL_FALLBACKS.embedding,
      ranking: first('ranking') ?? RETRIEVAL_FALLBACKS.ranking,
    };
  } finally {
    // Stryker disable next-line CallExpression: a timer left running only resolves a promise no one awaits any more
    clearTimeout(timer);
  }
}

export function useGraphiQL(options: GraphiQLPluginOptions): Plugin {
  const fallbackModel = options.exampleModel ?? 'meta/llama-3.1-8b-instruct';
  let assets: Promise<GraphiQLAssets> | undefined;
  const loadAssets = () => (assets ??= loadGraphiQLAssets(GRAPHIQL_ASSETS));
  /** Kept once rendered with a model the upstream serves; a fallback page is rendered anew each time. */
  let page: StaticBody | undefined;
  let rendering: Promise<StaticBody> | undefined;

  const render = async (): Promise<StaticBody> => {
    const [files, model] = await Promise.all([
      loadAssets(),
      servedModels(options.catalog, fallbackModel, options.kindOf, options.modelWaitMs ?? 1000),
    ]);
    const html = graphiqlPage(files, {
      title: 'nim-graphql',
      defaultTabs: exampleTabs(model ?? { generation: fallbackModel, ...RETRIEVAL_FALLBACKS }),
      additionalHeaders: options.additionalHeaders,
      ...(options.authorization
        ? { headers: JSON.stringify({ Authorization: 'Bearer <your key>' }, null, 2) }
        : {}),
    });
    const rendered = new StaticBody(
      // Stryker disable next-line StringLiteral: Buffer.from's default encoding is utf8
      Buffer.from(html, 'utf8'),
      'text/html; charset=utf-8',
      'no-cache',
    );
    if (model !== null) page = rendered;
    return rendered;
  };
  const currentPage = () =>
    page ??
    (rendering ??= render().finally(() => {
      rendering = undefined;
    }));

  const isPage = (request: Request, pathname: string) =>
    shouldRenderGraphiQL(request) &&
    (pathname === options.endpoint || pathname === `${options.endpoint}/`);

  const answer = async (
    request: Request,
    pathname: string,
    endResponse: (response: Response) => void,
    fetchAPI: FetchAPI,
  ): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
      return;
    }
    const file = ASSET_PATH.test(pathname) ? (await loadAssets()).files.get(pathname) : undefined;
    endResponse(
      file === undefined
        ? new fetchAPI.Response('Not found', { status: 404 })
        : await file.answer(request, fetchAPI),
    );
  };

  return {
    // Synchronous for every other request: a promise per request is one more step Yoga waits for.
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (isPage(request, url.pathname))
        return Promise.resolve(currentPage())
          .then((current) => current.answer(request, fetchAPI))
          .then(endResponse);
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS)) return undefined;
      return answer(request, url.pathname, endResponse, fetchAPI);
    },
  };
}
