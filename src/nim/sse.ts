// Server-sent events off an upstream body, parsed with eventsource-parser: fed each network read,
// it gives the data of every event that read completed, in order, so the caller can stop its idle
// clock per read. Synchronous: the caller's loop over the body is the only one.
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';

export class EventTooLarge extends Error {}

export class EventReader {
  readonly #parser: EventSourceParser;
  readonly #decoder = new TextDecoder();
  readonly #maxEventBytes: number;
  #pending: string[] = [];
  #tooLarge = false;

  constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
    this.#parser = createParser({
      maxBufferSize: maxEventBytes,
      onEvent: (event: EventSourceMessage) => void this.#pending.push(event.data),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.#tooLarge = true;
      },
    });
  }

  /** The data of the events this read completed (none, often, for a read that ends mid-event). */
  feed(bytes: Uint8Array): string[] {
    this.#parser.feed(this.#decoder.decode(bytes, { stream: true }));
    if (this.#tooLarge) throw new EventTooLarge(`an event over ${this.#maxEventBytes} bytes`);
    // Stryker disable next-line ConditionalExpression: without the shortcut an empty list is swapped for a new empty one: the same answer
    if (this.#pending.length === 0) return this.#pending;
    const events = this.#pending;
    this.#pending = [];
    return events;
  }
}
