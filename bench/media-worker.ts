/**
 * One measured operation per process, so each run's peak RSS is its own. bench/media.ts bundles this file
 * (esbuild) and runs it under /usr/bin/time; it prints `{ "ms": <operation wall time>, "maxRssKb" }`.
 *
 *   node media-worker.mjs mediagate|sharp FILE
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { sanitizeAndNormalize } from '../functions/preprocess/one-pass.js';

const [op, file] = process.argv.slice(2);
if (!op || !file) throw new Error('usage: media-worker mediagate|sharp FILE');

const started = performance.now();
const input = readFileSync(file);
if (op === 'mediagate') {
  // The bench inputs are bigger than an upload may be by default (a 24 MP PNG is tens of MB).
  const outcome = await sanitizeAndNormalize(input, { limits: { maxBytes: 512 * 1024 * 1024 } });
  if (!outcome.ok) throw new Error(`bench input rejected: ${outcome.rejection.reason}`);
} else if (op === 'sharp') {
  await sharp(input).resize(1024, 1024, { fit: 'inside', withoutEnlargement: true }).jpeg().toBuffer();
} else {
  throw new Error(`unknown op ${op}`);
}
// maxRSS (KB) of this process, for machines without GNU time; it does not include child processes.
process.stdout.write(
  JSON.stringify({ ms: performance.now() - started, maxRssKb: process.resourceUsage().maxRSS }),
);
