// The part of autocannon 9's API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    /** One connection; emits 'request' before each write and 'response' (status, bytes, ms) after each reply. */
    type Client = EventEmitter;

    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      amount?: number;
      pipelining?: number;
      timeout?: number;
      method?: 'GET' | 'POST';
      headers?: Record<string, string>;
      body?: string;
      setupClient?: (client: Client) => void;
      verifyBody?: (body: string) => boolean;
    }

    interface Result {
      errors: number;
      timeouts: number;
      non2xx: number;
      mismatches: number;
      duration: number;
    }

    type Instance = EventEmitter;
  }

  function autocannon(
    options: autocannon.Options,
    callback: (error: Error | null, result: autocannon.Result) => void,
  ): autocannon.Instance;
  export = autocannon;
}
