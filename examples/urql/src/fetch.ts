// The fetch urql is given. urql ends a subscription's request (AbortController) as soon as the
// stream has ended, on the terminal event's `hasNext: false`, or is unsubscribed (Stop), and then
// cancels the response body it was reading. When the abort lands before the body has been read to
// its end, the browser errors the body ("AbortError: BodyStreamBuffer was aborted"), and urql's
// cancel of it rejects with no handler: an uncaught error in the page, on some streams that end
// normally. This passes urql's signal on unchanged (so Stop still aborts the request, and the
// gateway the generation upstream) and hands urql a stream's body that ends quietly when that
// signal aborted it. Answers that are not streams are passed through as they are.
const STREAM = /^(text\/event-stream|multipart\/mixed)/i;

export async function fetchEndingQuietly(
  input: RequestInfo | URL,
  init?: RequestInit,
): Promise<Response> {
  const response = await fetch(input, init);
  const signal = init?.signal;
  const upstream = response.body;
  if (!signal || !upstream || !STREAM.test(response.headers.get('content-type') ?? '')) {
    return response;
  }
  const reader = upstream.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        // Aborted by urql: the end of the stream it asked for. Anything else is a real failure.
        if (signal.aborted) controller.close();
        else controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason).catch(() => undefined),
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
