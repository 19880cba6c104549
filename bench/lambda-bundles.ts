/**
 * Lambda bundles: each function built with the options CDK uses (infra/bundling.ts), its size without
 * the source map, and its cold init: the median time for a fresh `node --enable-source-maps` process (as
 * Lambda runs them) to import the bundle, with the environment a deployed function has. sharp resolves
 * from the sharp layer as built for this machine (layers/sharp/build.ts), as Lambda resolves it from the
 * layer; the runtime's SDK and the other layers' modules from this repository's node_modules.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildLambdaBundle, bundleLimitBytes } from '../infra/bundling.js';
import { MediaFunction } from '../infra/constructs/media-function.js';
import { synthesizeMediagate } from '../infra/synth.js';
import { buildSharpLayer } from '../layers/sharp/build.js';
import { percentile } from './e2e-stats.js';

const run = promisify(execFile);
const median = (samples: readonly number[]) =>
  percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );
const WORK = path.join(import.meta.dirname, '.work', 'lambda-bundles');

/** What the stack sets on every function, with dummy names: nothing may call AWS at import time. */
const DEPLOYED_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  INGEST_BUCKET: 'ingest',
  PROCESSED_BUCKET: 'processed',
  RESULTS_BUCKET: 'results',
  QUARANTINE_BUCKET: 'quarantine',
  AUDIT_BUCKET: 'audit',
  AUDIT_SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  LEDGER_TABLE: 'ledger',
  STATE_TABLE: 'state',
  EVENT_BUS_NAME: 'outcomes',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
  EXPRESS_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench-realtime',
  PRESIGN_URL: 'https://presign.lambda-url.us-east-1.on.aws/',
  MEDIAGATE_PII_DETECTOR: 'comprehend',
  MEDIAGATE_OCR: 'textract',
  MEDIAGATE_TRANSCRIBER: 'transcribe',
  POWERTOOLS_SERVICE_NAME: 'mediagate',
  // InvokeModel reads the key from Secrets Manager at init when this is unset; the bench must not call AWS.
  OPENAI_API_KEY: 'sk-bench',
};

const CHILD = `
const wall = performance.now();
const cpu = process.cpuUsage();
const module = await import(process.env.BENCH_BUNDLE_URL);
if (typeof module.handler !== 'function') throw new Error('no handler export');
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 }));
`;

export interface BundleResult {
  readonly step: string;
  readonly kb: number;
  readonly limitKb: number;
  readonly sourceMapKb: number;
  /** Medians over the runs. */
  readonly initMs: number;
  readonly initCpuMs: number;
}

async function coldInit(step: string, file: string): Promise<{ wallMs: number; cpuMs: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--enable-source-maps', '--input-type=module', '-e', CHILD],
    {
      env: {
        PATH: process.env.PATH,
        ...DEPLOYED_ENV,
        MEDIAGATE_STEP: step,
        BENCH_BUNDLE_URL: pathToFileURL(file).href,
      },
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { wallMs: number; cpuMs: number };
}

export async function runLambdaBundleBench(options: { runs: number }): Promise<BundleResult[]> {
  const { stack } = synthesizeMediagate();
  const functions = stack.node
    .findAll()
    .filter((node): node is MediaFunction => node instanceof MediaFunction);
  fs.rmSync(WORK, { recursive: true, force: true });
  const results: BundleResult[] = [];
  let sharpLayerModules: string | undefined;
  for (const fn of functions) {
    const file = path.join(WORK, fn.step, 'index.mjs');
    const bundle = await buildLambdaBundle(fn, file, { write: true });
    if (fn.externalModules.includes('sharp')) {
      sharpLayerModules ??= path.join(
        buildSharpLayer(process.arch === 'arm64' ? 'arm64' : 'x86_64'),
        'nodejs',
        'node_modules',
      );
      // Beside the bundle, so its imports find the layer's packages first (as /opt/nodejs/node_modules).
      fs.symlinkSync(sharpLayerModules, path.join(WORK, fn.step, 'node_modules'), 'dir');
    }
    const runs: { wallMs: number; cpuMs: number }[] = [];
    // One after another: parallel processes on a small machine would measure each other.
    for (let i = 0; i < options.runs; i++) runs.push(await coldInit(fn.step, file));
    results.push({
      step: fn.step,
      kb: bundle.bytes / 1024,
      limitKb: bundleLimitBytes(fn) / 1024,
      sourceMapKb: bundle.sourceMapBytes / 1024,
      initMs: median(runs.map((r) => r.wallMs)),
      initCpuMs: median(runs.map((r) => r.cpuMs)),
    });
  }
  return results;
}

export function formatLambdaBundleBench(results: readonly BundleResult[], initLimitMs = 150): string {
  const rows = results.map((r) =>
    [
      r.step.padEnd(20),
      `${r.kb.toFixed(0).padStart(5)} KB`,
      `/ ${r.limitKb.toFixed(0).padStart(4)} KB`,
      `${r.sourceMapKb.toFixed(0).padStart(6)} KB map`,
      `init ${r.initMs.toFixed(0).padStart(4)} ms`,
      `(cpu ${r.initCpuMs.toFixed(0).padStart(4)} ms)`,
      r.kb <= r.limitKb && r.initMs <= initLimitMs ? 'ok' : 'OVER',
    ].join('  '),
  );
  return [
    `function              bundle    limit      source map   cold init (median)        limits: size, init ≤ ${initLimitMs} ms`,
    ...rows,
  ].join('\n');
}
