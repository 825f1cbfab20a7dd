// The last event of a generation stream says so, with `hasNext: false` as incremental delivery
// writes it. Clients that read results as incremental ones (urql's fetch transport) otherwise end a
// stream with a `{hasNext: false}` of their own, merge it into the last result and deliver that
// again: a second ChatDone. Other clients pass the field through or ignore it; Apollo's multipart
// answer leaves it out (use-multipart-subscriptions.ts).
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';
import { endsStream } from '../schema/streaming.ts';

export function useFinalEvent(): Plugin<Context> {
  return {
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result }) =>
        isAsyncIterable(result)
          ? {
              onNext: ({ result: event, setResult }) => {
                if (endsStream(args.contextValue))
                  setResult({ ...event, hasNext: false } as typeof event);
              },
            }
          : undefined,
    }),
  };
}
