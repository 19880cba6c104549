/**
 * The scan side of DLP on hard forms (`scripts/make-noisy-forms.ts`): for each form, the DlpCheck scan
 * under `redact-demo` with real OCR, then a second, independent OCR pass over the redacted copy.
 * - **found**: a finding of the seeded type, to be redacted, whose OCR text is the seeded value
 *   (separators ignored; one misread character allowed, two in values of 12 or more, since what gets
 *   painted is the box, not the text);
 * - **legible**: a seeded value that the second pass still reads in the redacted copy (whole, or any six
 *   of its digits in a row on one line, or either side of an e-mail's "@");
 * - **readable**: the rest of the redacted copy still reads, so "not legible" means painted out;
 * - the OCR time of the scan (pre-processing and both passes).
 * Prints counts and conditions, never a value. `npx tsx scripts/ocr-eval.ts [--rounds N] [--json]`;
 * exits 1 when a seeded value is missed or legible.
 */
import { resolve } from 'node:path';
import { createLocalPiiDetector } from '../functions/adapters/local-pii-detector.js';
import { createTesseractOcr } from '../functions/adapters/tesseract-ocr.js';
import { runDlpCheck } from '../functions/dlp/scan.js';
import type { Ocr, OcrResult, PiiDetector, PiiEntityType } from '../functions/ports.js';
import { makeNoisyForms, type NoisyFormFixture } from './make-noisy-forms.js';

const alnum = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
const digitsOf = (s: string) => s.replace(/\D/g, '');

/** Edit distance; values are short, so the plain table is enough. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** OCR's usual misreads: one character in a short value, two in a long one ("10" read as "lO"). */
const nearlyEqual = (read: string, value: string) =>
  editDistance(read, value) <= (value.length >= 12 ? 2 : 1);

/** Whether OCR text still shows `value`, or enough of it to matter. */
export function stillLegible(text: string, type: PiiEntityType, value: string): boolean {
  if (alnum(text).includes(alnum(value))) return true;
  const digits = digitsOf(value);
  if (digits.length >= 6) {
    for (const line of text.split('\n')) {
      const lineDigits = digitsOf(line);
      for (let i = 0; i + 6 <= digits.length; i++)
        if (lineDigits.includes(digits.slice(i, i + 6))) return true;
    }
  }
  if (type === 'EMAIL') {
    const [local = '', domain = ''] = value.split('@');
    const seen = alnum(text);
    return seen.includes(alnum(local)) || seen.includes(alnum(domain));
  }
  return false;
}

export interface FormResult {
  readonly id: string;
  readonly conditions: readonly string[];
  readonly found: readonly PiiEntityType[];
  readonly missed: readonly PiiEntityType[];
  readonly legible: readonly PiiEntityType[];
  /** The rest of the redacted copy still reads ("Claim reference"), so "not legible" means painted out. */
  readonly readable: boolean;
  readonly ocrMs: number;
  /** CPU time of the process during OCR (tesseract's worker thread included): steady on a busy machine. */
  readonly ocrCpuMs: number;
}

/** Scans one form under `redact-demo` and OCRs the copy the model would get. */
export async function evaluateNoisyForm(
  deps: { detector: PiiDetector; ocr: Ocr; checker: Ocr },
  form: NoisyFormFixture,
): Promise<FormResult> {
  let read: OcrResult = { text: '', words: [] };
  let ocrMs = 0;
  let ocrCpuMs = 0;
  const timed: Ocr = {
    name: deps.ocr.name,
    recognize: async (image, options) => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      read = await deps.ocr.recognize(image, options);
      ocrMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      ocrCpuMs = (used.user + used.system) / 1000;
      return read;
    },
  };
  const outcome = await runDlpCheck(
    { detector: deps.detector, ocr: timed },
    {
      tenant: 'redact-demo',
      instructions: '',
      media: { kind: 'image', mime: form.mime, bytes: form.bytes },
    },
  );
  const found: PiiEntityType[] = [];
  const missed: PiiEntityType[] = [];
  for (const e of form.entities) {
    const hit = outcome.findings.some(
      (f) =>
        f.source === 'ocr' &&
        f.type === e.type &&
        f.action === 'redact' &&
        nearlyEqual(alnum(read.text.slice(f.start, f.end)), alnum(e.value)),
    );
    (hit ? found : missed).push(e.type);
  }
  const redacted = outcome.redactedImage?.bytes ?? form.bytes;
  const reread = await deps.checker.recognize(redacted);
  const legible = form.entities.filter((e) => stillLegible(reread.text, e.type, e.value)).map((e) => e.type);
  const readable = /Claim reference/i.test(reread.text);
  return { id: form.id, conditions: form.conditions, found, missed, legible, readable, ocrMs, ocrCpuMs };
}

function table(results: readonly FormResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.conditions.join(' + ').padEnd(52)} | ${String(r.found.length).padStart(5)} | ${r.missed.join(', ').padEnd(20)} | ${r.legible.join(', ').padEnd(20)} | ${(r.ocrMs / 1000).toFixed(1).padStart(6)} | ${(r.ocrCpuMs / 1000).toFixed(1).padStart(6)} |`,
  );
  const total = (pick: (r: FormResult) => readonly unknown[]) =>
    results.reduce((n, r) => n + pick(r).length, 0);
  const mean = (pick: (r: FormResult) => number) =>
    (results.reduce((s, r) => s + pick(r), 0) / Math.max(1, results.length) / 1000).toFixed(1);
  return [
    `| ${'conditions'.padEnd(52)} | found | ${'missed'.padEnd(20)} | ${'legible after redaction'.padEnd(20)} | OCR s  | CPU s  |`,
    `| ${'-'.repeat(52)} | ----: | ${'-'.repeat(20)} | ${'-'.repeat(23)} | -----: | -----: |`,
    ...rows,
    '',
    `seeded ${total((r) => [...r.found, ...r.missed])}, found ${total((r) => r.found)}, missed ${total((r) => r.missed)}, legible after redaction ${total((r) => r.legible)}, redacted copies unreadable ${results.filter((r) => !r.readable).length}; OCR ${mean((r) => r.ocrMs)} s per page on average (${mean((r) => r.ocrCpuMs)} s of CPU)`,
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 1;
  const forms = await makeNoisyForms(undefined, rounds);
  const ocr = createTesseractOcr();
  // The check reads with its own worker, so nothing the scan's reader kept can help it.
  const checker = createTesseractOcr();
  const detector = createLocalPiiDetector();
  const results: FormResult[] = [];
  for (const form of forms) results.push(await evaluateNoisyForm({ detector, ocr, checker }, form));
  await Promise.all([ocr.close(), checker.close()]);
  console.log(args.includes('--json') ? JSON.stringify(results, null, 2) : table(results));
  if (results.some((r) => r.missed.length > 0 || r.legible.length > 0 || !r.readable)) process.exitCode = 1;
}
