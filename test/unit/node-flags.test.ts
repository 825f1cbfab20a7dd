// The node flags that keep the gateway's memory in bounds are its default however it is started:
// the image (NODE_OPTIONS in the Dockerfile, which the benchmark also reads) and `npm run start:prod`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('node flags', () => {
  it('are the same in the image and in npm run start:prod, and bound the young generation', () => {
    const image = /NODE_OPTIONS="([^"]*)"/.exec(read('Dockerfile'))?.[1]?.split(/\s+/) ?? [];
    const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts['start:prod']!;
    const scriptFlags = script.split(/\s+/).filter((word) => word.startsWith('--max-'));
    expect(scriptFlags).toEqual(image);
    expect(image.map((flag) => flag.split('=')[0])).toEqual(['--max-semi-space-size']);
  });
});
