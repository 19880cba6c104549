/**
 * `mediagate run FILE…`: starts the local stack, uploads each file through a presigned POST exactly as an
 * app would, waits for its outcome event and prints what happened to it as soon as it is known. At most
 * `concurrency` files are in flight; on a terminal a progress line (done/total, rate, ETA) is kept on
 * stderr.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { type OutcomeSummary, summarizeOutcome } from '../../functions/pipeline/outcome-summary.js';
import { type LocalStack, parseLatency, parseTimeScale, startLocalStack } from '../../infra/local/stack.js';
import { pool } from '../pool.js';
import { ProgressLine, type ProgressStream } from '../progress.js';

export interface RunOptions {
  readonly tenant: string;
  readonly task?: string;
  readonly instructions?: string;
  readonly json: boolean;
  readonly simFaults?: string;
  readonly simLatencyMs?: string;
  /** Rehearsal clock factor (a whole number ≥ 1); default: the park patience in 2 minutes. */
  readonly timeScale?: string;
  readonly timeoutMs: number;
  /** Files in flight at once; the others wait for a slot. @default 4 */
  readonly concurrency?: number;
}

/**
 * Four in flight keeps a 2-core machine busy (the model wait overlaps the media work of the others)
 * without one batch starving the rest of the local stack.
 */
export const DEFAULT_CONCURRENCY = 4;

export interface FileOutcome extends OutcomeSummary {
  readonly file: string;
}

/** What the presign step will be told the file is: the extension's claim, which the pipeline verifies. */
const DECLARED_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
  '.pdf': 'application/pdf',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.webm': 'audio/webm',
};

export async function runFiles(
  files: readonly string[],
  options: RunOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: ProgressStream = process.stderr,
): Promise<number> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`--concurrency must be a whole number ≥ 1, not ${concurrency}`);
  for (const file of files) {
    if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  }
  const stack = await startLocalStack({
    simulatorFaults: options.simFaults,
    simulatorLatencyMs: parseLatency(options.simLatencyMs),
    timeScale: parseTimeScale(options.timeScale),
  });
  let outcomes: FileOutcome[];
  const progress = new ProgressLine(files.length, err);
  try {
    outcomes = await runBatch(stack, files, { ...options, concurrency }, (outcome) => {
      progress.write(out, options.json ? `${JSON.stringify(outcome)}\n` : renderOutcome(outcome));
      progress.itemDone();
    });
  } finally {
    progress.stop();
    await stack.stop();
  }
  if (!options.json) out.write(renderSummary(outcomes));
  return outcomes.every((outcome) => outcome.status !== 'failed') ? 0 : 1;
}

/**
 * Runs `files` through a started stack, `concurrency` at a time, calling `onOutcome` as each finishes;
 * answers the outcomes in input order. The throughput bench drives the stack through this too.
 */
export function runBatch(
  stack: LocalStack,
  files: readonly string[],
  options: RunOptions & { readonly concurrency: number },
  onOutcome: (outcome: FileOutcome) => void = () => {},
): Promise<FileOutcome[]> {
  return pool(files, options.concurrency, async (file) => {
    const outcome = await processFile(stack, file, options);
    onOutcome(outcome);
    return outcome;
  });
}

async function processFile(stack: LocalStack, file: string, options: RunOptions): Promise<FileOutcome> {
  const declaredType = DECLARED_TYPES[path.extname(file).toLowerCase()];
  if (!declaredType) {
    return refusedBeforeUpload(
      file,
      'UNSUPPORTED_TYPE',
      `no allowed media type has the extension "${path.extname(file)}"`,
    );
  }
  const presign = await fetch(stack.endpoints.presign, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tenant: options.tenant,
      contentType: declaredType,
      task: options.task,
      instructions: options.instructions,
    }),
  });
  const body = (await presign.json()) as {
    url: string;
    fields: Record<string, string>;
    key: string;
    error?: string;
    reason?: string;
  };
  if (!presign.ok) {
    return refusedBeforeUpload(
      file,
      body.reason ?? 'PRESIGN_REFUSED',
      body.error ?? `presign answered ${presign.status}`,
    );
  }

  const outcome = stack.waitForOutcome(body.key, options.timeoutMs);
  const form = new FormData();
  for (const [name, value] of Object.entries(body.fields)) form.append(name, value);
  form.append('file', new Blob([fs.readFileSync(file)], { type: declaredType }), path.basename(file));
  const upload = await fetch(body.url, { method: 'POST', body: form });
  if (!upload.ok) throw new Error(`upload of ${file} failed: HTTP ${upload.status} ${await upload.text()}`);

  const event = await outcome;
  return summarize(file, body.key, event.detail as PipelineState);
}

export function summarize(file: string, key: string, state: PipelineState): FileOutcome {
  return { file, ...summarizeOutcome(key, state) };
}

function refusedBeforeUpload(file: string, reason: string, message: string): FileOutcome {
  return {
    file,
    key: null,
    status: 'rejected',
    reason,
    message,
    model: null,
    requestId: null,
    traceId: null,
    cached: false,
    tokens: null,
    costMicroUsd: 0,
    costSource: null,
    steps: [],
    waitedMs: 0,
    findings: [],
  };
}

export function formatUsd(microUsd: number): string {
  return `$${(microUsd / 1_000_000).toFixed(6)}`;
}

/** One file's block of the table, printed as soon as the file's outcome is known. */
export function renderOutcome(outcome: FileOutcome): string {
  const lines: string[] = [];
  const verdict =
    outcome.status === 'processed'
      ? 'processed'
      : `${outcome.status.toUpperCase()} ${outcome.reason ?? ''}`.trim();
  const pages =
    outcome.pages === undefined ? '' : `  (${outcome.pages} page${outcome.pages === 1 ? '' : 's'})`;
  lines.push(`${path.basename(outcome.file)}  →  ${verdict}${pages}`);
  if (outcome.message && outcome.status !== 'processed') lines.push(`    why:    ${outcome.message}`);
  if (outcome.steps.length > 0)
    lines.push(`    steps:  ${outcome.steps.map((step) => `${step.name} ${step.ms} ms`).join(' · ')}`);
  if (outcome.waitedMs > 0)
    lines.push(`    waited: ${outcome.waitedMs} ms for admission (rate limit or open reservations)`);
  if (outcome.findings.length > 0) {
    lines.push(
      `    pii:    ${outcome.findings
        .map((f) => `${f.type} (${f.action}${f.page === undefined ? '' : `, page ${f.page}`})`)
        .join(', ')}`,
    );
  }
  if (outcome.model) {
    const tokens = outcome.tokens ? `${outcome.tokens.prompt} in / ${outcome.tokens.completion} out` : '';
    lines.push(
      `    model:  ${outcome.model}${outcome.cached ? ' (cached)' : ''}  ${tokens}  request ${outcome.requestId ?? '-'}`,
    );
  }
  const estimated = outcome.costSource === 'estimate' ? '  (estimated: the answer carried no usage)' : '';
  lines.push(`    cost:   ${formatUsd(outcome.costMicroUsd)}${estimated}`);
  return `${lines.join('\n')}\n`;
}

/** The closing line: how many files, and what they cost together. */
export function renderSummary(outcomes: readonly FileOutcome[]): string {
  const total = outcomes.reduce((sum, outcome) => sum + outcome.costMicroUsd, 0);
  return `${outcomes.length} file(s), total ${formatUsd(total)}\n`;
}

export function renderTable(outcomes: readonly FileOutcome[]): string {
  return outcomes.map(renderOutcome).join('') + renderSummary(outcomes);
}
