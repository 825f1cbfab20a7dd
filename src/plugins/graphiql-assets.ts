// GraphiQL's script, style, icon and Monaco's three workers as files with content-hashed names, so
// that a browser keeps them for a year and asks again only when an upgrade changes them; each is
// compressed once per encoding, on first demand, and kept in memory.
import { createHash } from 'node:crypto';
import { encode, negotiateEncoding, type Encoding } from './use-compression.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Whether an If-None-Match header names this entity tag (weak comparison, as for GET). */
function holds(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/** A body that never changes while the process runs, answered with an ETag per encoding and 304 to a client that holds it. */
export class StaticBody {
  readonly hash: string;
  private readonly encoded = new Map<Encoding, Promise<Uint8Array<ArrayBuffer>>>();
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
  readonly cacheControl: string;

  constructor(bytes: Uint8Array<ArrayBuffer>, contentType: string, cacheControl: string) {
    this.bytes = bytes;
    this.contentType = contentType;
    this.cacheControl = cacheControl;
    this.hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  }

  /** The answer to a GET or HEAD: 304 when the client holds this encoding, else the body in the best encoding it accepts. */
  async answer(request: Request, fetchAPI: { Response: typeof Response }): Promise<Response> {
    const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
    const etag = `"${this.hash}${encoding === null ? '' : `-${encoding}`}"`;
    const headers: Record<string, string> = {
      etag,
      'cache-control': this.cacheControl,
      vary: 'Accept-Encoding',
    };
    if (holds(request.headers.get('if-none-match'), etag))
      return new fetchAPI.Response(null, { status: 304, headers });
    const body = encoding === null ? this.bytes : await this.encodedAs(encoding);
    headers['content-type'] = this.contentType;
    headers['content-length'] = String(body.byteLength);
    headers['x-content-type-options'] = 'nosniff';
    if (encoding !== null) headers['content-encoding'] = encoding;
    // Stryker disable next-line StringLiteral: Node's HTTP server sends no body to HEAD whatever the response holds
    return new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers });
  }

  private encodedAs(encoding: Encoding): Promise<Uint8Array<ArrayBuffer>> {
    let encoded = this.encoded.get(encoding);
    if (encoded === undefined) {
      encoded = encode(this.bytes, encoding, 'static');
      // Stryker disable next-line CallExpression: encoding again gives the same bytes (zlib is deterministic), only later
      this.encoded.set(encoding, encoded);
    }
    return encoded;
  }
}

export interface GraphiQLAssets {
  /** URL path → file. */
  files: ReadonlyMap<string, StaticBody>;
  script: string;
  style: string;
  icon: string;
  /** Monaco's worker URLs by the label Monaco asks for. */
  workers: { editorWorkerService: string; json: string; graphql: string };
}

const JS = 'application/javascript; charset=utf-8';

/** Loads the bundle (tens of MB of heap: only once GraphiQL is first asked for) and names its files under `base`. */
export async function loadGraphiQLAssets(base: string): Promise<GraphiQLAssets> {
  // The package ships GraphiQL only as these strings, which renderGraphiQL inlines (it has no dist
  // files, and graphiql is not installed on its own): served as files instead, unparsed.
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const files = new Map<string, StaticBody>();
  const add = (name: string, extension: string, body: StaticBody) => {
    const path = `${base}${name}.${body.hash}.${extension}`;
    files.set(path, body);
    return path;
  };
  const text = (source: string, type: string) =>
    // Stryker disable next-line StringLiteral: Buffer.from's default encoding is utf8
    new StaticBody(Buffer.from(source, 'utf8'), type, IMMUTABLE);
  const icon = /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon);
  if (icon === null)
    // Stryker disable next-line StringLiteral,CallExpression: unreachable: the installed bundle's favicon is a base64 data URL
    throw new Error('@graphql-yoga/render-graphiql: its favicon is no longer a base64 data URL');
  return {
    files,
    script: add('graphiql', 'js', text(bundle.js, JS)),
    style: add('graphiql', 'css', text(bundle.css, 'text/css; charset=utf-8')),
    icon: add(
      'favicon',
      'ico',
      new StaticBody(Buffer.from(icon[2]!, 'base64'), icon[1]!, IMMUTABLE),
    ),
    workers: {
      editorWorkerService: add('editor.worker', 'js', text(bundle.editorWorkerService, JS)),
      json: add('json.worker', 'js', text(bundle.jsonWorker, JS)),
      graphql: add('graphql.worker', 'js', text(bundle.graphqlWorker, JS)),
    },
  };
}
