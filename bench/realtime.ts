/**
 * The real-time path: `POST /v1/analyze` (what `mediagate serve` exposes) on the local stack, the
 * simulator answering in a fixed 300 ms, N requests k at a time, at 0 % and 70 % repeats. Prints p50/p99
 * of the request latency and of the overhead: the latency less the time spent waiting for the model
 * (300 ms per model attempt; none for a cache hit), and the process's CPU per request (on 2 cores the
 * overhead follows it: docs/model-call.md, "The real-time path: figures").
 *
 *   npx tsx bench/realtime.ts [--items 60] [--concurrency 4] [--json]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type LocalStack, startLocalStack } from '../infra/local/stack.js';
import { mediaFor } from './e2e.js';
import { benchPlan } from './e2e-model-step.js';
import { argValue, type LatencySummary, pool, summarize, table } from './e2e-stats.js';

const MODEL_MS = 300;

export interface RealtimeBenchResult {
  readonly repeatRate: number;
  readonly observedHitRate: number;
  readonly statuses: Readonly<Record<number, number>>;
  readonly latencyMs: LatencySummary;
  readonly overheadMs: LatencySummary;
  /** CPU of the whole process (stack, stand-ins and this client) over the measured requests, per request. */
  readonly cpuMsPerRequest: number;
}

async function analyzeOnce(
  stack: LocalStack,
  media: Buffer,
): Promise<{ ms: number; status: number; cached: boolean; attempts: number }> {
  const started = performance.now();
  const response = await fetch(new URL('v1/analyze?tenant=bench-rt&task=describe', stack.endpoints.analyze), {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: new Uint8Array(media),
  });
  const body = (await response.json()) as { cached?: boolean; requestId?: string | null };
  const ms = performance.now() - started;
  const cached = body.cached === true;
  return { ms, status: response.status, cached, attempts: cached ? 0 : 1 };
}

export async function runRealtimeBench(options: {
  readonly items: number;
  readonly concurrency: number;
  readonly repeatRates: readonly number[];
}): Promise<RealtimeBenchResult[]> {
  const results: RealtimeBenchResult[] = [];
  for (const repeatRate of options.repeatRates) {
    mkdirSync(path.resolve('.mediagate'), { recursive: true });
    const stateDir = mkdtempSync(path.join(path.resolve('.mediagate'), 'bench-rt-'));
    const stack = await startLocalStack({ stateDir, simulatorLatencyMs: MODEL_MS });
    try {
      const plan = benchPlan(options.items, repeatRate);
      const media = new Map<number, Buffer>();
      // Ids are offset per run, so no run answers another's media from the cache.
      for (const id of new Set([...plan.popular, ...plan.measured])) media.set(id, await mediaFor(id + 1000));
      const get = (id: number) => media.get(id) ?? Buffer.alloc(0);
      // Warm-up (not measured): every handler loads, and the repeated media is answered once.
      await pool(
        plan.popular.length > 0 ? plan.popular : [plan.measured[0] ?? 0],
        options.concurrency,
        (id) => analyzeOnce(stack, get(id)),
      );
      const cpuBefore = process.cpuUsage();
      const samples = await pool(plan.measured, options.concurrency, (id) => analyzeOnce(stack, get(id)));
      const cpu = process.cpuUsage(cpuBefore);
      const statuses: Record<number, number> = {};
      for (const sample of samples) statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
      results.push({
        repeatRate,
        observedHitRate: samples.filter((s) => s.cached).length / samples.length,
        statuses,
        latencyMs: summarize(samples.map((s) => s.ms)),
        overheadMs: summarize(samples.map((s) => s.ms - s.attempts * MODEL_MS)),
        cpuMsPerRequest: Math.round((cpu.user + cpu.system) / 1000 / samples.length),
      });
    } finally {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }
  return results;
}

export function renderRealtimeBench(results: readonly RealtimeBenchResult[]): string {
  return table(
    results.map((r) => ({
      repeats: `${Math.round(r.repeatRate * 100)} %`,
      'cache hits': `${Math.round(r.observedHitRate * 100)} %`,
      'HTTP statuses': Object.entries(r.statuses)
        .map(([status, count]) => `${status}×${count}`)
        .join(' '),
      'p50 ms': r.latencyMs.p50,
      'p99 ms': r.latencyMs.p99,
      'overhead p50 ms': r.overheadMs.p50,
      'overhead p99 ms': r.overheadMs.p99,
      'CPU ms/request': r.cpuMsPerRequest,
    })),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const results = await runRealtimeBench({
    items: Number(argValue(args, '--items') ?? 60),
    concurrency: Number(argValue(args, '--concurrency') ?? 4),
    repeatRates: [0, 0.7],
  });
  console.log(args.includes('--json') ? JSON.stringify(results, null, 2) : renderRealtimeBench(results));
  process.exit(0);
}
