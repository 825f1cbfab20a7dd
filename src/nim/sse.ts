// Server-sent events off an upstream body, parsed with eventsource-parser: the data of every event
// that one network read completed, in order, so the caller can stop its idle clock per read.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export class EventTooLarge extends Error {}

export async function* eventBatches(
  body: AsyncIterable<Buffer>,
  maxEventBytes: number,
): AsyncGenerator<string[]> {
  const pending: EventSourceMessage[] = [];
  let tooLarge = false;
  const parser = createParser({
    maxBufferSize: maxEventBytes,
    onEvent: (event) => pending.push(event),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') tooLarge = true;
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (tooLarge) throw new EventTooLarge(`an event over ${maxEventBytes} bytes`);
    if (pending.length > 0) yield pending.splice(0).map((event) => event.data);
  }
}
