/**
 * Bench of the model step alone: `invokeModel` with the real OpenAI SDK against the simulator at
 * 300 ms ± 50 ms, the shared breaker and the result cache on DynamoDB (dynalite), N items at a given
 * concurrency, for each cache hit rate. Isolates what the cache buys from the rest of the pipeline.
 *
 *   npx tsx bench/e2e-model-step.ts [--items 100] [--concurrency 8] [--hit-rates 0,0.7] [--latency 250-350] [--json]
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import sharp from 'sharp';
import { createDynamoDbBreakerStore } from '../functions/adapters/dynamodb-breaker-store.js';
import { createDynamoDbResultCache } from '../functions/adapters/dynamodb-result-cache.js';
import { createOpenAiModelClient } from '../functions/adapters/openai-model-client.js';
import { SharedCircuitBreaker } from '../functions/model/breaker.js';
import { type InvokeInput, invokeModel } from '../functions/model/invoke.js';
import { findTask } from '../functions/model/tasks.js';
import { createStateTable } from '../infra/local/dynamodb.js';
import { startOpenAiSimulator } from '../infra/local/openai-simulator/server.js';
import { argValue, type LatencySummary, pool, summarize, table } from './e2e-stats.js';

const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs?: number;
}) => Server;

export interface ModelStepBenchOptions {
  readonly items: number;
  readonly concurrency: number;
  readonly hitRates: readonly number[];
  readonly latencyMs: { min: number; max: number };
}

export interface ModelStepBenchResult {
  readonly hitRate: number;
  readonly observedHitRate: number;
  readonly latencyMs: LatencySummary;
  readonly simulatorCalls: number;
}

/** Items in the measured run: `hits` repeats of a few popular items already answered, the rest new. */
export function benchPlan(
  items: number,
  hitRate: number,
  popular = 5,
): { popular: number[]; measured: number[] } {
  const hits = Math.round(items * hitRate);
  const measured = [
    ...Array.from({ length: hits }, (_, i) => i % popular),
    ...Array.from({ length: items - hits }, (_, i) => popular + i),
  ];
  // Deterministic shuffle (seeded Fisher–Yates) so hits and misses mix over the run, identically each time.
  let seed = 12_345;
  for (let i = measured.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const j = seed % (i + 1);
    [measured[i], measured[j]] = [measured[j] as number, measured[i] as number];
  }
  return {
    popular: hits > 0 ? Array.from({ length: Math.min(popular, hits) }, (_, i) => i) : [],
    measured,
  };
}

export async function runModelStepBench(options: ModelStepBenchOptions): Promise<ModelStepBenchResult[]> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dynamo = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const sim = await startOpenAiSimulator({ latencyMs: options.latencyMs });
  const image = await sharp({ create: { width: 1024, height: 768, channels: 3, background: '#4a7' } })
    .png()
    .toBuffer();
  const task = findTask('describe');
  if (!task) throw new Error('describe task missing');
  const results: ModelStepBenchResult[] = [];
  try {
    for (const [run, hitRate] of options.hitRates.entries()) {
      const table = `bench-state-${run}`;
      await createStateTable(dynamo, table);
      const client = createOpenAiModelClient({ apiKey: 'sk-bench', baseURL: sim.baseUrl, timeoutMs: 10_000 });
      const deps = {
        clientFor: () => client,
        breaker: new SharedCircuitBreaker(createDynamoDbBreakerStore(dynamo, table)),
        cache: createDynamoDbResultCache(dynamo, table),
      };
      // Distinct items differ by media hash (the cache key); the simulator's work per call is the same.
      const item = (id: number): InvokeInput => ({
        tenant: 'bench',
        task,
        promptText: 'What does it show?',
        media: { kind: 'image', mime: 'image/png', bytes: image, detail: 'high' },
        mediaInfo: { width: 1024, height: 768 },
        mediaSha256: `${run}-${id}`.padStart(64, '0'),
      });
      const plan = benchPlan(options.items, hitRate);
      await pool(plan.popular, options.concurrency, (id) => invokeModel(deps, item(id)));
      const callsBefore = sim.requests.length;
      const samples = await pool(plan.measured, options.concurrency, async (id) => {
        const started = performance.now();
        const outcome = await invokeModel(deps, item(id));
        return { ms: performance.now() - started, cached: outcome.ok && outcome.cached };
      });
      results.push({
        hitRate,
        observedHitRate: samples.filter((s) => s.cached).length / samples.length,
        latencyMs: summarize(samples.map((s) => s.ms)),
        simulatorCalls: sim.requests.length - callsBefore,
      });
    }
  } finally {
    await sim.close();
    dynamo.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return results;
}

export function renderModelStepBench(results: readonly ModelStepBenchResult[]): string {
  return table(
    results.map((r) => ({
      'hit rate': `${Math.round(r.hitRate * 100)} %`,
      observed: `${Math.round(r.observedHitRate * 100)} %`,
      items: r.latencyMs.count,
      'model calls': r.simulatorCalls,
      'p50 ms': r.latencyMs.p50,
      'p90 ms': r.latencyMs.p90,
      'p99 ms': r.latencyMs.p99,
      'max ms': r.latencyMs.max,
    })),
  );
}

function parseRange(spec: string): { min: number; max: number } {
  const match = /^(\d+)-(\d+)$/.exec(spec);
  if (!match) throw new Error(`latency must be MIN-MAX ms; got "${spec}"`);
  return { min: Number(match[1]), max: Number(match[2]) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const options: ModelStepBenchOptions = {
    items: Number(argValue(args, '--items') ?? 100),
    concurrency: Number(argValue(args, '--concurrency') ?? 8),
    hitRates: (argValue(args, '--hit-rates') ?? '0,0.7').split(',').map(Number),
    latencyMs: parseRange(argValue(args, '--latency') ?? '250-350'),
  };
  const results = await runModelStepBench(options);
  if (args.includes('--json')) console.log(JSON.stringify({ bench: 'model-step', options, results }));
  else {
    console.log(
      `Model step (invokeModel + SDK + simulator ${options.latencyMs.min}-${options.latencyMs.max} ms + DynamoDB cache/breaker)`,
    );
    console.log(renderModelStepBench(results));
  }
}
