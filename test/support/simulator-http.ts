// HTTP helpers for the simulator's own tests: JSON calls and an SSE reader that keeps raw bytes.
export const MODEL = 'sim/lorem-8b-instruct';

export type Json = Record<string, any>;
export type Init = Omit<RequestInit, 'headers'> & { headers?: Record<string, string> };

/** Reads an SSE body event by event, keeping the raw bytes to check framing. */
export class SseReader {
  raw = '';
  #buffer = '';
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();

  constructor(res: Response) {
    this.#reader = res.body!.getReader();
  }

  /** The next event's data, or null at a clean end of the body. */
  async next(): Promise<string | null> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return block.replace(/^data: /, '');
      }
      const { done, value } = await this.#reader.read();
      if (done) return null;
      const text = this.#decoder.decode(value, { stream: true });
      this.raw += text;
      this.#buffer += text;
    }
  }

  get leftover(): string {
    return this.#buffer;
  }

  /** Every remaining event with its arrival time; `error` is set when the body fails. */
  async all(): Promise<{ events: { data: string; at: number }[]; error: unknown }> {
    const events: { data: string; at: number }[] = [];
    try {
      for (let data = await this.next(); data !== null; data = await this.next())
        events.push({ data, at: performance.now() });
      return { events, error: null };
    } catch (error) {
      return { events, error };
    }
  }
}

/** The calls, against the simulator whose base URL `url()` gives at call time. */
export function simulatorHttp(url: () => string) {
  function post(path: string, body: unknown, init: Init = {}): Promise<Response> {
    return fetch(url() + path, {
      ...init,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function call(
    path: string,
    body: unknown,
  ): Promise<{ status: number; json: Json; headers: Headers }> {
    const res = await post(path, body);
    return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
  }

  const complete = (body: Json) =>
    call('/v1/completions', { model: MODEL, prompt: 'Once upon a time', ...body });
  const chat = (body: Json) =>
    call('/v1/chat/completions', {
      model: MODEL,
      messages: [{ role: 'user', content: 'Hello there' }],
      ...body,
    });

  async function stream(path: string, body: Json, init: Init = {}) {
    const res = await post(path, { model: MODEL, stream: true, ...body }, init);
    const reader = new SseReader(res);
    const { events, error } = await reader.all();
    const chunks = events.flatMap((e) => {
      try {
        return [JSON.parse(e.data) as Json].filter(
          (value) => typeof value === 'object' && value !== null,
        );
      } catch {
        return [];
      }
    });
    return { res, reader, events, error, chunks };
  }

  const streamCompletion = (body: Json, init?: Init) =>
    stream('/v1/completions', { prompt: 'Once upon a time', ...body }, init);
  const streamChat = (body: Json) =>
    stream('/v1/chat/completions', {
      messages: [{ role: 'user', content: 'Hello there' }],
      ...body,
    });
  return { post, call, complete, chat, stream, streamCompletion, streamChat };
}
