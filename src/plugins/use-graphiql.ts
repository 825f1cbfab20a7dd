// GraphiQL, offline and cached: the page (GET on the GraphQL endpoint with Accept: text/html, as
// Yoga's own GraphiQL) is a few KiB revalidated by ETag, and its scripts, styles and workers are
// hashed files under /graphiql/ kept for a year, all compressed. Its example tabs start on a model
// the upstream serves, read from the model catalog when the page is first rendered.
import { shouldRenderGraphiQL, type FetchAPI, type Plugin } from 'graphql-yoga';
import type { CatalogSnapshot } from '../nim/catalog.ts';
import { loadGraphiQLAssets, StaticBody, type GraphiQLAssets } from './graphiql-assets.ts';
import { exampleTabs, graphiqlPage } from './graphiql-page.ts';

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
  /** How long rendering waits for the model list. Default 1000 ms. */
  modelWaitMs?: number;
}

/** The preferred model when served, else the first base model listed; null when no list came in time. */
async function servedModel(
  catalog: GraphiQLPluginOptions['catalog'],
  preferred: string,
  waitMs: number,
): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  try {
    const snapshot = await Promise.race([catalog.current().catch(() => null), late]);
    if (snapshot === null || snapshot.models.length === 0) return null;
    if (snapshot.byId.has(preferred)) return preferred;
    return (snapshot.models.find((model) => model.parent === null) ?? snapshot.models[0]!).id;
  } finally {
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
      servedModel(options.catalog, fallbackModel, options.modelWaitMs ?? 1000),
    ]);
    const html = graphiqlPage(files, {
      title: 'nim-graphql',
      defaultTabs: exampleTabs(model ?? fallbackModel),
      additionalHeaders: options.additionalHeaders,
      ...(options.authorization
        ? { headers: JSON.stringify({ Authorization: 'Bearer <your key>' }, null, 2) }
        : {}),
    });
    const rendered = new StaticBody(
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
