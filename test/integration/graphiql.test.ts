// GraphiQL as the gateway serves it: a small page, its scripts and styles as content-hashed files
// cached for a year (ETag, 304), compressed by Accept-Encoding, none of it with GRAPHIQL=false, and
// example tabs on a model the upstream serves. Raw bytes through undici's request (no decoding).
import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { createGateway, type GatewayOptions } from '../../src/yoga.ts';
import { consoleLogger } from '../support/logs.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

/** The example tabs that name a model: all but the first (models). */
const TABS = 4;

interface Raw {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

async function get(
  url: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'HEAD' = 'GET',
): Promise<Raw> {
  const response = await request(url, { method, headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  const flat = Object.fromEntries(
    Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
  );
  return { status: response.statusCode, headers: flat, body };
}

const PAGE = { accept: 'text/html' };

/** The asset URLs the page references: the stylesheet, icon, script and Monaco's workers. */
function assetPaths(html: string): string[] {
  return [...new Set(html.match(/\/graphiql\/[a-z.]+\.[0-9a-f]{16}\.(js|css|ico)/g) ?? [])];
}

/** The options the page hands to GraphiQL. */
function pageOptions(html: string): {
  defaultTabs: { query: string; variables?: string }[];
  headers?: string;
  additionalHeaders?: Record<string, string>;
} {
  const match = /renderYogaGraphiQL\(document\.querySelector\('#root'\), (.*)\);\n/.exec(html);
  if (match === null) throw new Error(`no GraphiQL options in the page: ${html.slice(0, 500)}`);
  return JSON.parse(match[1]!);
}

const decoded = (raw: Raw) =>
  raw.headers['content-encoding'] === 'br'
    ? brotliDecompressSync(raw.body)
    : raw.headers['content-encoding'] === 'gzip'
      ? gunzipSync(raw.body)
      : raw.body;

describe('GraphiQL page and assets', () => {
  let stack: Stack;
  let origin: string;
  let html: string;
  let assets: string[];

  beforeAll(async () => {
    stack = await startStack();
    origin = stack.server.url;
    html = (await get(stack.endpoint, { ...PAGE, 'accept-encoding': 'identity' })).body.toString(
      'utf8',
    );
    assets = assetPaths(html);
  });
  afterAll(() => stack?.close());

  it('is a page of a few KiB that loads its script, style, icon and workers from the gateway', () => {
    expect(Buffer.byteLength(html)).toBeLessThan(8 * 1024);
    expect(html).toContain('<title>nim-graphql</title>');
    expect(assets.map((path) => path.replace(/\.[0-9a-f]{16}\./, '.')).sort()).toEqual([
      '/graphiql/editor.worker.js',
      '/graphiql/favicon.ico',
      '/graphiql/graphiql.css',
      '/graphiql/graphiql.js',
      '/graphiql/graphql.worker.js',
      '/graphiql/json.worker.js',
    ]);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
  });

  it('serves each asset under the hash of its content, cached for a year, and 304 to a client that holds it', async () => {
    for (const path of assets) {
      const raw = await get(`${origin}${path}`, { 'accept-encoding': 'identity' });
      expect(raw.status, path).toBe(200);
      expect(raw.headers['cache-control'], path).toBe('public, max-age=31536000, immutable');
      expect(raw.headers['content-type'], path).toMatch(
        path.endsWith('.js')
          ? /^application\/javascript/
          : path.endsWith('.css')
            ? /^text\/css/
            : /^image\//,
      );
      expect(path, 'the name carries the hash of the body').toContain(
        `.${createHash('sha256').update(raw.body).digest('hex').slice(0, 16)}.`,
      );
      const again = await get(`${origin}${path}`, {
        'accept-encoding': 'identity',
        'if-none-match': raw.headers.etag!,
      });
      expect(again.status, path).toBe(304);
      expect(again.body.length, path).toBe(0);
    }
    const script = assets.find(
      (path) => path.startsWith('/graphiql/graphiql.') && path.endsWith('.js'),
    )!;
    expect(
      (await get(`${origin}${script.replace(/[0-9a-f]{16}/, '0123456789abcdef')}`)).status,
      'another hash',
    ).toBe(404);
    expect((await get(`${origin}${script}`, {}, 'HEAD')).headers['content-length']).toMatch(
      /^\d{6,}$/,
    );
  });

  it('revalidates the page by ETag (no-cache), answering 304 while it is unchanged', async () => {
    const first = await get(stack.endpoint, { ...PAGE, 'accept-encoding': 'gzip' });
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await get(stack.endpoint, {
      ...PAGE,
      'accept-encoding': 'gzip',
      'if-none-match': first.headers.etag!,
    });
    expect(again.status).toBe(304);
  });

  it('compresses page and assets as Accept-Encoding asks: br or gzip, far below the 9 MB page of before', async () => {
    const cases: [string, string | undefined][] = [
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['gzip, deflate, br', 'br'],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['*', 'br'],
      ['identity', undefined],
      ['br;q=0, gzip;q=0', undefined],
    ];
    for (const [acceptEncoding, expected] of cases) {
      const raw = await get(stack.endpoint, { ...PAGE, 'accept-encoding': acceptEncoding });
      expect(raw.headers['content-encoding'], acceptEncoding).toBe(expected);
      expect(raw.headers.vary, acceptEncoding).toBe('Accept-Encoding');
      expect(decoded(raw).toString('utf8'), acceptEncoding).toBe(html);
    }
    const sizes: Record<string, number> = {};
    for (const encoding of ['identity', 'gzip', 'br']) {
      let total = 0;
      for (const path of ['/graphql', ...assets]) {
        const raw = await get(`${origin}${path}`, { ...PAGE, 'accept-encoding': encoding });
        expect(raw.headers['content-encoding'], `${path} ${encoding}`).toBe(
          encoding === 'identity' ? undefined : encoding,
        );
        expect(Number(raw.headers['content-length']), path).toBe(raw.body.length);
        if (encoding !== 'identity')
          expect(
            decoded(raw).equals(
              (await get(`${origin}${path}`, { ...PAGE, 'accept-encoding': 'identity' })).body,
            ),
            path,
          ).toBe(true);
        total += raw.body.length;
      }
      sizes[encoding] = total;
    }
    console.log(`GraphiQL transfer, page and every asset: ${JSON.stringify(sizes)} bytes`);
    expect(sizes.identity).toBeGreaterThan(8_000_000);
    expect(sizes.gzip).toBeLessThan(3_000_000);
    expect(sizes.br).toBeLessThan(sizes.gzip!);
  });

  it('answers each file with its type, nosniff, and an entity tag for each encoding', async () => {
    const page = await get(`${stack.endpoint}/`, { ...PAGE, 'accept-encoding': 'identity' });
    expect(page.status, 'the page on the endpoint with a trailing slash').toBe(200);
    expect(page.body.toString('utf8')).toBe(html);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const types: Record<string, string> = {
      js: 'application/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
    };
    for (const path of assets) {
      const hash = /\.([0-9a-f]{16})\./.exec(path)![1]!;
      const extension = path.split('.').at(-1)!;
      const tags = new Set<string>();
      for (const [acceptEncoding, tag] of [
        ['identity', `"${hash}"`],
        ['gzip', `"${hash}-gzip"`],
        ['br', `"${hash}-br"`],
      ] as const) {
        const raw = await get(`${origin}${path}`, { 'accept-encoding': acceptEncoding });
        expect(raw.headers.etag, `${path} ${acceptEncoding}`).toBe(tag);
        expect(raw.headers['x-content-type-options'], path).toBe('nosniff');
        expect(raw.headers.vary, path).toBe('Accept-Encoding');
        if (types[extension] !== undefined)
          expect(raw.headers['content-type']).toBe(types[extension]);
        tags.add(raw.headers.etag!);
      }
      expect(tags.size).toBe(3);
    }
  });

  it('answers 304 to any If-None-Match that names the tag of the encoding asked for, weak or among others', async () => {
    const script = assets.find((path) => path.endsWith('.js') && path.includes('/graphiql.'))!;
    const url = `${origin}${script}`;
    const tag = (await get(url, { 'accept-encoding': 'gzip' })).headers.etag!;
    const plainTag = (await get(url, { 'accept-encoding': 'identity' })).headers.etag!;
    const held = async (ifNoneMatch: string) => {
      const raw = await get(url, { 'accept-encoding': 'gzip', 'if-none-match': ifNoneMatch });
      return raw.status;
    };
    expect(await held(tag)).toBe(304);
    expect(await held(`W/${tag}`)).toBe(304);
    expect(await held(`"0123456789abcdef", ${tag}`)).toBe(304);
    expect(await held(`  ${tag}  ,"0123456789abcdef"`)).toBe(304);
    expect(await held('*')).toBe(304);
    expect(await held(plainTag), 'the tag of another encoding').toBe(200);
    expect(await held(tag.replace(/"$/, 'x"')), 'a longer tag').toBe(200);
    expect(await held(`w/${tag}`), 'w/ is no weak prefix').toBe(200);
    const notModified = await get(url, { 'accept-encoding': 'gzip', 'if-none-match': tag });
    expect(notModified.headers).toMatchObject({
      etag: tag,
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'Accept-Encoding',
    });
    expect(notModified.headers['content-encoding']).toBeUndefined();
    expect(notModified.body.length).toBe(0);
  });

  it('answers HEAD with the headers of GET in the same encoding, without the body', async () => {
    const style = assets.find((path) => path.endsWith('.css'))!;
    for (const acceptEncoding of ['identity', 'gzip', 'br']) {
      const full = await get(`${origin}${style}`, { 'accept-encoding': acceptEncoding });
      const head = await get(`${origin}${style}`, { 'accept-encoding': acceptEncoding }, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      for (const name of ['content-length', 'content-encoding', 'content-type', 'etag', 'vary'])
        expect(head.headers[name], `${acceptEncoding} ${name}`).toBe(full.headers[name]);
      expect(Number(full.headers['content-length'])).toBe(full.body.length);
    }
  });

  it('refuses other methods on the files, and answers 404 to any other path under /graphiql/', async () => {
    const script = assets.find((path) => path.endsWith('.js'))!;
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      const response = await request(`${origin}${script}`, { method });
      await response.body.dump();
      expect(response.statusCode, method).toBe(405);
      expect(response.headers.allow, method).toBe('GET, HEAD');
    }
    for (const path of [
      '/graphiql/',
      `${script}.map`,
      script.replace('/graphiql/', '/graphiql/x/'),
      script.replace(/[0-9a-f]{16}/, (hash) => hash.toUpperCase()),
    ]) {
      const raw = await get(`${origin}${path}`);
      expect(raw.status, path).toBe(404);
      expect(raw.body.toString('utf8'), path).toBe('Not found');
    }
  });

  it('starts the example tabs on a model the upstream serves, with the CSRF header for subscriptions', async () => {
    const served = (
      await stack.gql<{ models: { id: string }[] }>('{ models { id } }')
    ).data!.models.map((model) => model.id);
    const options = pageOptions(html);
    expect(
      options.defaultTabs.map(
        (tab) => /^(query|mutation|subscription) (\w+)/m.exec(tab.query)?.[2],
      ),
    ).toEqual(['Models', 'Complete', 'Chat', 'ChatStream', 'ChatTools', 'Search']);
    const models = options.defaultTabs
      .slice(1, 1 + TABS)
      .map((tab) => JSON.parse(tab.variables!).model);
    expect(models).toEqual(Array(TABS).fill(MODEL));
    for (const model of models) expect(served).toContain(model);
    // The search tab: the first embedding and ranking models the upstream lists.
    expect(JSON.parse(options.defaultTabs.at(-1)!.variables!)).toMatchObject({
      embeddingModel: 'sim/lorem-embedqa-1b',
      rankingModel: 'sim/lorem-rerank-1b',
    });
    expect(options.additionalHeaders).toEqual({ 'x-graphql-yoga-csrf': '1' });
    expect(options.headers).toBeUndefined();
  });
});

describe('the example model', () => {
  let sim: Simulator;
  const servers: RunningServer[] = [];
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await sim.close();
  });

  async function gateway(
    options: GatewayOptions = {},
    env: Record<string, string> = {},
  ): Promise<string> {
    const env_ = { NIM_PROXY_BASE_URL: sim.url, UPSTREAM_MAX_RETRIES: '0', ...env };
    const created = createGateway(loadConfig(env_) as GatewayConfig, {
      logger: consoleLogger(),
      ...options,
    });
    const server = await listen(created, '127.0.0.1', 0);
    servers.push(server);
    return `${server.url}/graphql`;
  }
  const tabModels = async (endpoint: string) => {
    const page = await get(endpoint, { ...PAGE, 'accept-encoding': 'identity' });
    return pageOptions(page.body.toString('utf8'))
      .defaultTabs.slice(1, 1 + TABS)
      .map((tab) => JSON.parse(tab.variables!).model as string);
  };

  it('is the first base model the upstream lists when the preferred one is not served', async () => {
    sim.setModels([
      { id: 'sim/ipsum-lora', parent: 'sim/ipsum-3b-base' },
      { id: 'sim/ipsum-3b-base' },
    ]);
    expect(await tabModels(await gateway())).toEqual(Array(TABS).fill('sim/ipsum-3b-base'));
    sim.reset();
  });

  /** The search tab's models. */
  const searchModels = async (endpoint: string) => {
    const page = await get(endpoint, { ...PAGE, 'accept-encoding': 'identity' });
    const { embeddingModel, rankingModel } = JSON.parse(
      pageOptions(page.body.toString('utf8')).defaultTabs.at(-1)!.variables!,
    );
    return { embeddingModel, rankingModel };
  };

  it('is meta/llama-3.1-8b-instruct when served and none is configured; the search tab on the first retrieval models listed', async () => {
    sim.setModels([
      { id: 'sim/other-8b' },
      { id: 'sim/a-nv-embedqa-1b' },
      { id: 'sim/b-nv-embedqa-1b' },
      { id: 'sim/a-rerank-1b' },
      { id: 'meta/llama-3.1-8b-instruct' },
      { id: 'sim/b-rerank-1b' },
    ]);
    const endpoint = await gateway();
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('meta/llama-3.1-8b-instruct'));
    expect(await searchModels(endpoint)).toEqual({
      embeddingModel: 'sim/a-nv-embedqa-1b',
      rankingModel: 'sim/a-rerank-1b',
    });
    sim.reset();
  });

  it("is the first generating model listed, else the first model; NVIDIA's retrieval NIMs while none is listed", async () => {
    sim.setModels([
      { id: 'sim/a-nv-embedqa-1b' },
      { id: 'sim/ipsum-lora', parent: 'sim/not-listed' },
      { id: 'sim/dolor-lora', parent: 'sim/not-listed' },
    ]);
    let endpoint = await gateway();
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('sim/ipsum-lora'));
    expect(await searchModels(endpoint)).toEqual({
      embeddingModel: 'sim/a-nv-embedqa-1b',
      rankingModel: 'nvidia/llama-3.2-nv-rerankqa-1b-v2',
    });
    sim.setModels([{ id: 'sim/a-rerank-1b' }]);
    endpoint = await gateway();
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('sim/a-rerank-1b'));
    expect(await searchModels(endpoint)).toEqual({
      embeddingModel: 'nvidia/llama-3.2-nv-embedqa-1b-v2',
      rankingModel: 'sim/a-rerank-1b',
    });
    sim.reset();
  });

  it('falls back to the configured model while the upstream lists none', async () => {
    sim.setModels([]);
    const endpoint = await gateway({ exampleModel: 'sim/not-listed' });
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('sim/not-listed'));
    sim.reset();
  });

  it("serves a new gateway's page and the files it names, each with its type", async () => {
    const endpoint = await gateway();
    const page = await get(endpoint, { ...PAGE, 'accept-encoding': 'identity' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    const text = page.body.toString('utf8');
    expect(text).toContain('<title>nim-graphql</title>');
    const types: Record<string, RegExp> = {
      js: /^application\/javascript; charset=utf-8$/,
      css: /^text\/css; charset=utf-8$/,
      ico: /^image\/[a-z.+-]+$/,
    };
    for (const path of assetPaths(text)) {
      const raw = await get(new URL(path, endpoint).href, { 'accept-encoding': 'identity' });
      expect(raw.status, path).toBe(200);
      expect(raw.headers['content-type'], path).toMatch(types[path.split('.').at(-1)!]!);
      expect(raw.headers['cache-control'], path).toBe('public, max-age=31536000, immutable');
      if (path.endsWith('.ico'))
        expect(
          raw.body.subarray(0, 4).toString('hex'),
          'an image (PNG or ICO), not the base64 text',
        ).toMatch(/^(89504e47|00000100)$/);
      else expect(raw.body.toString('utf8').length, path).toBeGreaterThan(100);
    }
  });

  it('falls back to the configured model while the upstream cannot list its models, and takes a served one once it can', async () => {
    sim.reset();
    sim.inject({ path: '/v1/models', status: 503, times: Infinity });
    const endpoint = await gateway({ exampleModel: 'sim/not-listed' });
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('sim/not-listed'));
    sim.clearFaults();
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill(MODEL));
    // Once rendered with a served model, the page is kept: no list call per page.
    const calls = sim.requests.filter((r) => r.path === '/v1/models').length;
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill(MODEL));
    expect(sim.requests.filter((r) => r.path === '/v1/models').length).toBe(calls);
  });

  it('keeps the page it rendered on a served model, even when the model list changes', async () => {
    sim.setModels([{ id: 'sim/first-8b' }]);
    const endpoint = await gateway({}, { MODELS_CACHE_TTL_MS: '0' });
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('sim/first-8b'));
    sim.setModels([{ id: 'sim/second-8b' }]);
    const calls = sim.requests.filter((r) => r.path === '/v1/models').length;
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('sim/first-8b'));
    expect(sim.requests.filter((r) => r.path === '/v1/models').length, 'no list call').toBe(calls);
    sim.reset();
  });

  it('keeps a model id that holds markup inside the page script, as data', async () => {
    const hostile = 'sim/</script><script>alert(1)</script>';
    sim.setModels([{ id: hostile }]);
    const page = (
      await get(await gateway(), { ...PAGE, 'accept-encoding': 'identity' })
    ).body.toString('utf8');
    expect(page).not.toContain('<script>alert(1)');
    expect(
      pageOptions(page)
        .defaultTabs.slice(1, 1 + TABS)
        .map((tab) => JSON.parse(tab.variables!).model),
    ).toEqual(Array(TABS).fill(hostile));
    sim.reset();
  });

  it('does not wait long for an upstream that is slow to list its models', async () => {
    sim.reset();
    sim.inject({ path: '/v1/models', delayMs: 10_000 });
    const endpoint = await gateway({ exampleModel: 'sim/not-listed' });
    const started = Date.now();
    expect(await tabModels(endpoint)).toEqual(Array(TABS).fill('sim/not-listed'));
    expect(Date.now() - started, 'ms until the page came (the wait is 1 s)').toBeLessThan(8000);
    sim.reset();
  });

  it('leaves the Authorization line to fill in when client auth is on', async () => {
    const endpoint = await gateway({}, { GATEWAY_API_KEYS: 'a-client-key-0123456789' });
    const page = await get(endpoint, { ...PAGE, 'accept-encoding': 'identity' });
    expect(JSON.parse(pageOptions(page.body.toString('utf8')).headers!)).toEqual({
      Authorization: 'Bearer <your key>',
    });
  });

  it('with GRAPHIQL=false, neither the page nor any asset is served', async () => {
    const on = await get(await gateway(), { ...PAGE, 'accept-encoding': 'identity' });
    const paths = assetPaths(on.body.toString('utf8'));
    expect(paths.length).toBe(6);
    const off = await gateway({}, { GRAPHIQL: 'false' });
    const page = await get(off, PAGE);
    expect(page.headers['content-type'] ?? '').not.toContain('text/html');
    expect(page.body.toString('utf8')).not.toContain('graphiql');
    for (const path of paths) expect((await get(new URL(path, off).href)).status, path).toBe(404);
  });
});
