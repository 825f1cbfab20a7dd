// Standalone entry: `node src/simulator/main.ts`, configured from SIMULATOR_* environment variables.
import { startSimulator, type SimulatorOptions } from './server.ts';

class EnvError extends Error {}

function integerEnv(
  name: string,
  fallback: number,
  min: number,
  max: number,
  form: string,
): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new EnvError(`${name} must be ${form}, got "${raw}"`);
  }
  return value;
}

function readOptions(): SimulatorOptions {
  const host = process.env['SIMULATOR_HOST']?.trim() || '127.0.0.1';
  return {
    host,
    port: integerEnv('SIMULATOR_PORT', 8000, 0, 65535, 'a port number from 0 to 65535'),
    tokenDelayMs: integerEnv(
      'SIMULATOR_TOKEN_DELAY_MS',
      0,
      0,
      600_000,
      'a whole number of milliseconds (0 or more)',
    ),
    latencyMs: integerEnv(
      'SIMULATOR_LATENCY_MS',
      0,
      0,
      600_000,
      'a whole number of milliseconds (0 or more)',
    ),
    apiVersion:
      integerEnv('SIMULATOR_API_VERSION', 2, 1, 2, '1 (NIM 1.x, nvext) or 2 (NIM 2.x / vLLM)') === 1
        ? 1
        : 2,
  };
}

async function main(): Promise<void> {
  let options: SimulatorOptions;
  try {
    options = readOptions();
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const simulator = await startSimulator(options);
  console.log(`nim simulator listening on ${simulator.url} (simulated models, not a real NIM)`);
  const stop = (signal: NodeJS.Signals): void => {
    console.log(`nim simulator: ${signal}, closing`);
    void simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(
    `nim simulator failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
