// Closed-loop HTTP load with autocannon; each response's latency is clocked here with
// process.hrtime.bigint(), because autocannon's own histogram keeps whole milliseconds.
import autocannon from 'autocannon';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers: Record<string, string>;
  /** A 2xx whose body fails this (a GraphQL error, a typed error) counts as an error. */
  verify(body: string): boolean;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  connections: number;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  /** Milliseconds; the first response of each connection (it includes connecting) is left out. */
  latency: Percentiles;
}

export interface LoadOptions {
  connections: number;
  /** Run for this long (autocannon stops on its 1 s tick) … */
  seconds?: number;
  /** … or until this many responses. */
  amount?: number;
}

/** Nearest-rank percentiles of unsorted samples. */
export function percentiles(samples: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) =>
    sorted.length === 0
      ? NaN
      : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** A growable buffer of latencies, so a 5-minute soak does not hold millions of boxed numbers. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export async function runLoad(
  origin: string,
  spec: RequestSpec,
  options: LoadOptions,
): Promise<LoadResult> {
  const latencies = new Samples();
  let responses = 0;
  let last = 0n;
  const setupClient = (client: autocannon.Client) => {
    let sentAt = 0n;
    let first = true;
    client.on('request', () => {
      sentAt = process.hrtime.bigint();
    });
    client.on('response', () => {
      const now = process.hrtime.bigint();
      responses += 1;
      last = now;
      if (first) first = false;
      else latencies.push(Number(now - sentAt) / 1e6);
    });
  };
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `${origin}${spec.path}`,
        method: spec.method,
        headers: spec.headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        connections: options.connections,
        pipelining: 1,
        timeout: 30,
        ...(options.amount === undefined
          ? { duration: options.seconds ?? 5 }
          : { amount: options.amount }),
        setupClient,
        verifyBody: spec.verify,
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
  });
  const seconds = Number((last > started ? last : process.hrtime.bigint()) - started) / 1e9;
  const errors = result.errors + result.timeouts + result.non2xx + result.mismatches;
  return {
    connections: options.connections,
    requests: responses,
    errors,
    seconds,
    rps: responses / seconds,
    latency: percentiles(latencies.view()),
  };
}
