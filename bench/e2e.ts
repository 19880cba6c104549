/**
 * Local end-to-end bench: each item goes the way an app's upload does (presigned POST → S3 event →
 * state machine → every Lambda handler → outcome event) on the local stack, with the OpenAI simulator
 * answering in 300 ms ± 50 ms. Reports upload-to-outcome p50/p99 for each cache hit rate, the share of
 * answers that really came from the cache, and where the time went per step.
 *
 *   npx tsx bench/e2e.ts [--items 40] [--concurrency 4] [--hit-rates 0,0.7] [--latency 250-350] [--ocr tesseract|none] [--json]
 *
 * A "hit" item re-uploads media already answered for the same tenant, task and instructions; whether it
 * is served from the cache is up to the pipeline, and the `observed` column says what happened.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { PipelineState } from '../functions/pipeline/document.js';
import { type LocalStack, startLocalStack } from '../infra/local/stack.js';
import { benchPlan } from './e2e-model-step.js';
import { argValue, type LatencySummary, pool, summarize, table } from './e2e-stats.js';

export interface E2eBenchOptions {
  readonly items: number;
  readonly concurrency: number;
  readonly hitRates: readonly number[];
  readonly latencyMs: { min: number; max: number };
  /** OCR engine for DLP on images; `tesseract` is the local default, `none` isolates the rest. */
  readonly ocr: 'tesseract' | 'none';
}

export interface E2eBenchResult {
  readonly hitRate: number;
  readonly observedHitRate: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly latencyMs: LatencySummary;
  readonly stepsP50Ms: Readonly<Record<string, number>>;
  readonly stepsP99Ms: Readonly<Record<string, number>>;
}

/** A distinct photo-like JPEG per id (colour and a shape vary), so a miss is a truly new upload. */
export async function mediaFor(id: number): Promise<Buffer> {
  const hue = (id * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">
    <rect width="800" height="600" fill="hsl(${hue},60%,55%)"/>
    <circle cx="${100 + ((id * 37) % 600)}" cy="${100 + ((id * 53) % 400)}" r="${40 + (id % 60)}" fill="hsl(${(hue + 180) % 360},70%,40%)"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

async function processOne(stack: LocalStack, media: Buffer): Promise<{ ms: number; state: PipelineState }> {
  const started = performance.now();
  const presign = await fetch(stack.endpoints.presign, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tenant: 'bench',
      contentType: 'image/jpeg',
      task: 'describe',
      instructions: 'What does it show?',
    }),
  });
  const body = (await presign.json()) as {
    url: string;
    fields: Record<string, string>;
    key: string;
    error?: string;
  };
  if (!presign.ok) throw new Error(`presign refused: ${body.error ?? presign.status}`);
  const outcome = stack.waitForOutcome(body.key, 120_000);
  const form = new FormData();
  for (const [name, value] of Object.entries(body.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(media)], { type: 'image/jpeg' }), 'bench.jpg');
  const upload = await fetch(body.url, { method: 'POST', body: form });
  if (!upload.ok) throw new Error(`upload failed: HTTP ${upload.status}`);
  const event = await outcome;
  return { ms: performance.now() - started, state: event.detail as PipelineState };
}

function stepPercentiles(states: readonly PipelineState[], p: 'p50' | 'p99'): Record<string, number> {
  const byStep = new Map<string, number[]>();
  for (const state of states)
    for (const step of state.steps ?? []) byStep.set(step.name, [...(byStep.get(step.name) ?? []), step.ms]);
  return Object.fromEntries([...byStep].map(([name, samples]) => [name, summarize(samples)[p]]));
}

export async function runE2eBench(options: E2eBenchOptions): Promise<E2eBenchResult[]> {
  const results: E2eBenchResult[] = [];
  for (const hitRate of options.hitRates) {
    // The bench is about the simulator: never send bench traffic to a real OpenAI account. Cleared on
    // every run because a local stack exports its simulator's key and URL into process.env, which would
    // make the next stack think a real endpoint is configured.
    delete process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_BASE_URL;
    // .mediagate is git-ignored: on a fresh clone it does not exist until something creates it.
    mkdirSync(path.resolve('.mediagate'), { recursive: true });
    const stateDir = mkdtempSync(path.join(path.resolve('.mediagate'), 'bench-'));
    const stack = await startLocalStack({
      stateDir,
      simulatorLatencyMs: options.latencyMs,
      environment: { MEDIAGATE_OCR: options.ocr },
    });
    try {
      const plan = benchPlan(options.items, hitRate);
      const media = new Map<number, Buffer>();
      for (const id of new Set([...plan.popular, ...plan.measured])) media.set(id, await mediaFor(id));
      const get = (id: number) => media.get(id) ?? Buffer.alloc(0);
      // Warm-up (not measured): answer the popular items once, and let every handler load.
      await pool(
        plan.popular.length > 0 ? plan.popular : [plan.measured[0] ?? 0],
        options.concurrency,
        (id) => processOne(stack, get(id)),
      );
      const samples = await pool(plan.measured, options.concurrency, (id) => processOne(stack, get(id)));
      const states = samples.map((s) => s.state);
      const statuses: Record<string, number> = {};
      for (const state of states) statuses[state.status] = (statuses[state.status] ?? 0) + 1;
      results.push({
        hitRate,
        observedHitRate: states.filter((s) => s.model?.cached).length / states.length,
        statuses,
        latencyMs: summarize(samples.map((s) => s.ms)),
        stepsP50Ms: stepPercentiles(states, 'p50'),
        stepsP99Ms: stepPercentiles(states, 'p99'),
      });
    } finally {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }
  return results;
}

export function renderE2eBench(results: readonly E2eBenchResult[]): string {
  const summary = table(
    results.map((r) => ({
      'hit rate': `${Math.round(r.hitRate * 100)} %`,
      observed: `${Math.round(r.observedHitRate * 100)} %`,
      items: r.latencyMs.count,
      statuses: Object.entries(r.statuses)
        .map(([k, v]) => `${k}:${v}`)
        .join(' '),
      'p50 ms': r.latencyMs.p50,
      'p90 ms': r.latencyMs.p90,
      'p99 ms': r.latencyMs.p99,
      'max ms': r.latencyMs.max,
    })),
  );
  const steps = table(
    results.flatMap((r) =>
      Object.keys(r.stepsP50Ms).map((step) => ({
        'hit rate': `${Math.round(r.hitRate * 100)} %`,
        step,
        'p50 ms': r.stepsP50Ms[step] ?? '',
        'p99 ms': r.stepsP99Ms[step] ?? '',
      })),
    ),
  );
  return `${summary}\n\nPer step (from each outcome's steps[]):\n${steps}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const latency = /^(\d+)-(\d+)$/.exec(argValue(args, '--latency') ?? '250-350');
  if (!latency) throw new Error('--latency must be MIN-MAX ms');
  const ocr = argValue(args, '--ocr') ?? 'tesseract';
  if (ocr !== 'tesseract' && ocr !== 'none') throw new Error('--ocr must be tesseract or none');
  const options: E2eBenchOptions = {
    items: Number(argValue(args, '--items') ?? 40),
    concurrency: Number(argValue(args, '--concurrency') ?? 4),
    hitRates: (argValue(args, '--hit-rates') ?? '0,0.7').split(',').map(Number),
    latencyMs: { min: Number(latency[1]), max: Number(latency[2]) },
    ocr,
  };
  const results = await runE2eBench(options);
  if (args.includes('--json')) console.log(JSON.stringify({ bench: 'e2e', options, results }));
  else {
    console.log(
      `Local end to end (upload → outcome event), simulator ${options.latencyMs.min}-${options.latencyMs.max} ms, OCR ${options.ocr}`,
    );
    console.log(renderE2eBench(results));
  }
}
