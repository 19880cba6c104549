/**
 * One measured operation per process, so each run's peak RSS is its own. bench/media.ts bundles this file
 * (esbuild) and runs it under /usr/bin/time; it prints `{ "ms": <operation wall time>, "maxRssKb" }`,
 * plus `stepsMs` (each step's share) for the two-step path.
 *
 *   node media-worker.mjs mediagate|two-step|sharp FILE
 *
 * - mediagate: `sanitizeAndNormalize`, one decode (the CLI's path);
 * - two-step: `validateAndStrip` then `normalizeMedia` on its clean copy (each page of a PDF), as the
 *   deployed ValidateAndStrip and Preprocess functions do (minus S3 between them);
 * - sharp: a bare sharp resize of the same file to the same size.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { normalizeMedia } from '../functions/media/normalize.js';
import { sanitizeAndNormalize } from '../functions/media/one-pass.js';
import { validateAndStrip } from '../functions/media/sanitize.js';

const [op, file] = process.argv.slice(2);
if (!op || !file) throw new Error('usage: media-worker mediagate|two-step|sharp FILE');

// The bench inputs are bigger than an upload may be by default (a 24 MP PNG is tens of MB).
const limits = { maxBytes: 512 * 1024 * 1024 };
let stepsMs: number[] | undefined;
const started = performance.now();
const input = readFileSync(file);
if (op === 'mediagate') {
  const outcome = await sanitizeAndNormalize(input, { limits });
  if (!outcome.ok) throw new Error(`bench input rejected: ${outcome.rejection.reason}`);
} else if (op === 'two-step') {
  const clean = await validateAndStrip(input, { limits });
  if (!clean.ok) throw new Error(`bench input rejected: ${clean.rejection.reason}`);
  const cleanMs = performance.now() - started;
  // A document's pages are each normalised, as Preprocess does.
  const pages = clean.pages ?? [{ bytes: clean.bytes, mime: clean.outputType }];
  for (const page of pages) {
    const normalized = await normalizeMedia(page.bytes, clean.kind, page.mime, {
      limits,
      ...(clean.sourceWidth && clean.sourceHeight && !clean.pages
        ? { sourceSize: { width: clean.sourceWidth, height: clean.sourceHeight } }
        : {}),
    });
    if (!normalized.ok) throw new Error(`clean copy rejected: ${normalized.rejection.reason}`);
  }
  stepsMs = [cleanMs, performance.now() - started - cleanMs];
} else if (op === 'sharp') {
  await sharp(input).resize(1024, 1024, { fit: 'inside', withoutEnlargement: true }).jpeg().toBuffer();
} else {
  throw new Error(`unknown op ${op}`);
}
// maxRSS (KB) of this process, for machines without GNU time; it does not include child processes.
process.stdout.write(
  JSON.stringify({ ms: performance.now() - started, maxRssKb: process.resourceUsage().maxRSS, stepsMs }),
);
