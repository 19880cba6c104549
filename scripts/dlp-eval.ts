/**
 * Precision and recall of the local PII detector on the project's labelled fixture set
 * (`scripts/make-dlp-fixtures.ts`): text snippets by span, and generated form images through real OCR
 * (tesseract.js) by the value read. A finding counts at the default policy threshold (score ≥ 0.5).
 * Prints counts and ratios per type, never a value. `npx tsx scripts/dlp-eval.ts [--no-forms | --forms N] [--json]`;
 * exits 1 when a checksum-backed type falls under 0.95.
 *
 * `npx tsx scripts/dlp-eval.ts --corpus [--json]` scores the labelled corpus built from specifications
 * and public test vectors (`test/fixtures/dlp-corpus.jsonl`, see scripts/make-dlp-corpus.ts): precision,
 * recall and full-span rate per type; exits 1 when it misses the bar of issue 11 (`CORPUS_BAR`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLocalPiiDetector } from '../functions/adapters/local-pii-detector.js';
import { createTesseractOcr } from '../functions/adapters/tesseract-ocr.js';
import { runDlpCheck } from '../functions/dlp/scan.js';
import type { Ocr, PiiDetector, PiiEntityType } from '../functions/ports.js';
import type { CorpusCase } from './make-dlp-corpus.js';
import { CHECKSUM_TYPES, type FormFixture, makeDlpFixtures, type TextFixture } from './make-dlp-fixtures.js';

export const EVAL_MIN_SCORE = 0.5;
export const CHECKSUM_BAR = 0.95;

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export type CountsByType = Partial<Record<PiiEntityType, Counts>>;

function bump(counts: CountsByType, type: PiiEntityType, key: keyof Counts): void {
  const c = counts[type] ?? { tp: 0, fp: 0, fn: 0 };
  c[key]++;
  counts[type] = c;
}

function overlapRatio(a: { start: number; end: number }, b: { start: number; end: number }): number {
  const inter = Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
  const union = Math.max(a.end, b.end) - Math.min(a.start, b.start);
  return union === 0 ? 0 : inter / union;
}

/** Span-level scoring: a finding matches a label of its type that it overlaps by at least half. */
export async function evaluateTexts(
  detector: PiiDetector,
  texts: readonly TextFixture[],
): Promise<CountsByType> {
  const counts: CountsByType = {};
  for (const fixture of texts) {
    const findings = (await detector.detect(fixture.text)).filter((f) => f.score >= EVAL_MIN_SCORE);
    const matched = new Set<number>();
    for (const f of findings) {
      const i = fixture.spans.findIndex(
        (s, j) => !matched.has(j) && s.type === f.type && overlapRatio(s, f) >= 0.5,
      );
      if (i === -1) bump(counts, f.type, 'fp');
      else {
        matched.add(i);
        bump(counts, f.type, 'tp');
      }
    }
    fixture.spans.forEach((s, j) => {
      if (!matched.has(j)) bump(counts, s.type, 'fn');
    });
  }
  return counts;
}

const normalise = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').toUpperCase();

/** Value-level scoring on forms: what OCR read under a finding must be the labelled value. */
export async function evaluateForms(
  detector: PiiDetector,
  ocr: Ocr,
  forms: readonly FormFixture[],
): Promise<CountsByType> {
  const counts: CountsByType = {};
  for (const form of forms) {
    const read = await ocr.recognize(form.bytes);
    const findings = (await detector.detect(read.text)).filter((f) => f.score >= EVAL_MIN_SCORE);
    const matched = new Set<number>();
    for (const f of findings) {
      const seen = normalise(read.text.slice(f.start, f.end));
      const i = form.entities.findIndex((e, j) => {
        if (matched.has(j) || e.type !== f.type) return false;
        const want = normalise(e.value);
        if (want === seen) return true;
        const [shorter, longer] = want.length < seen.length ? [want, seen] : [seen, want];
        return longer.includes(shorter) && shorter.length / longer.length >= 0.7;
      });
      if (i === -1) bump(counts, f.type, 'fp');
      else {
        matched.add(i);
        bump(counts, f.type, 'tp');
      }
    }
    form.entities.forEach((e, j) => {
      if (!matched.has(j)) bump(counts, e.type, 'fn');
    });
  }
  return counts;
}

/**
 * End to end on forms: redact under the `redact-demo` policy, OCR the image the model would get, and
 * count labelled values still legible there (read exactly, separators ignored). Per type: [legible, total].
 */
export async function evaluateRedaction(
  detector: PiiDetector,
  ocr: Ocr,
  forms: readonly FormFixture[],
): Promise<Partial<Record<PiiEntityType, { legible: number; total: number }>>> {
  const out: Partial<Record<PiiEntityType, { legible: number; total: number }>> = {};
  for (const form of forms) {
    const outcome = await runDlpCheck(
      { detector, ocr },
      {
        tenant: 'redact-demo',
        instructions: '',
        media: { kind: 'image', mime: form.mime, bytes: form.bytes },
      },
    );
    const seen = normalise((await ocr.recognize(outcome.redactedImage?.bytes ?? form.bytes)).text);
    for (const e of form.entities) {
      const c = out[e.type] ?? { legible: 0, total: 0 };
      c.total++;
      if (seen.includes(normalise(e.value))) c.legible++;
      out[e.type] = c;
    }
  }
  return out;
}

export function precision(c: Counts): number {
  return c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
}

export function recall(c: Counts): number {
  return c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
}

/** Counts of several sets added up per type. */
export function combine(...sets: CountsByType[]): CountsByType {
  const out: CountsByType = {};
  for (const set of sets) {
    for (const [type, c] of Object.entries(set) as [PiiEntityType, Counts][]) {
      const t = out[type] ?? { tp: 0, fp: 0, fn: 0 };
      out[type] = { tp: t.tp + c.tp, fp: t.fp + c.fp, fn: t.fn + c.fn };
    }
  }
  return out;
}

/** Checksum-backed types under the bar, as "set/TYPE precision 0.93". */
export function belowBar(sets: Readonly<Record<string, CountsByType>>): string[] {
  const out: string[] = [];
  for (const [set, counts] of Object.entries(sets)) {
    for (const type of CHECKSUM_TYPES) {
      const c = counts[type];
      if (!c) continue;
      if (precision(c) < CHECKSUM_BAR) out.push(`${set}/${type} precision ${precision(c).toFixed(3)}`);
      if (recall(c) < CHECKSUM_BAR) out.push(`${set}/${type} recall ${recall(c).toFixed(3)}`);
    }
  }
  return out;
}

function table(title: string, counts: CountsByType): string {
  const rows = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, c]) => {
      const mark = CHECKSUM_TYPES.includes(type as PiiEntityType) ? '*' : ' ';
      return `| ${`${type}${mark}`.padEnd(21)} | ${String(c.tp).padStart(4)} | ${String(c.fp).padStart(4)} | ${String(c.fn).padStart(4)} | ${precision(c).toFixed(3)} | ${recall(c).toFixed(3)} |`;
    });
  return [
    `${title}`,
    '| type                  |   TP |   FP |   FN | precision | recall |',
    '| --------------------- | ---: | ---: | ---: | --------: | -----: |',
    ...rows.map((r) => r.replace(/\| (\d\.\d{3}) \| (\d\.\d{3}) \|$/, '|     $1 |  $2 |')),
  ].join('\n');
}

export const CORPUS_FILE = resolve(import.meta.dirname, '../test/fixtures/dlp-corpus.jsonl');

/** The bar of issue 11 on the project's own corpus. */
export const CORPUS_BAR = { precision: 0.98, recall: 0.97, typeRecall: 0.9, fullSpan: 1 };

export interface CorpusCounts extends Counts {
  /** True positives whose finding covers the whole labelled value. */
  full: number;
}

export function readCorpus(file = CORPUS_FILE): CorpusCase[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusCase);
}

/** Span-level scoring as `evaluateTexts`, plus whether each true positive covers the whole value. */
export async function evaluateCorpus(
  detector: PiiDetector,
  corpus: readonly CorpusCase[],
): Promise<Partial<Record<PiiEntityType, CorpusCounts>>> {
  const counts: Partial<Record<PiiEntityType, CorpusCounts>> = {};
  const of = (type: PiiEntityType) => (counts[type] ??= { tp: 0, fp: 0, fn: 0, full: 0 });
  for (const c of corpus) {
    const findings = (await detector.detect(c.text)).filter((f) => f.score >= EVAL_MIN_SCORE);
    const matched = new Set<number>();
    for (const f of findings) {
      const i = c.spans.findIndex(
        (s, j) => !matched.has(j) && s.type === f.type && overlapRatio(s, f) >= 0.5,
      );
      const span = c.spans[i];
      if (!span) {
        of(f.type).fp++;
        continue;
      }
      matched.add(i);
      of(f.type).tp++;
      if (f.start <= span.start && f.end >= span.end) of(f.type).full++;
    }
    c.spans.forEach((s, j) => {
      if (!matched.has(j)) of(s.type).fn++;
    });
  }
  return counts;
}

export function corpusTotals(counts: Partial<Record<PiiEntityType, CorpusCounts>>): CorpusCounts {
  const total = { tp: 0, fp: 0, fn: 0, full: 0 };
  for (const c of Object.values(counts)) {
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn += c.fn;
    total.full += c.full;
  }
  return total;
}

export const fullSpanRate = (c: CorpusCounts) => (c.tp === 0 ? 1 : c.full / c.tp);

/** Where the corpus misses the bar, as "SSN recall 0.880"; empty when it meets it. */
export function corpusBelowBar(counts: Partial<Record<PiiEntityType, CorpusCounts>>): string[] {
  const total = corpusTotals(counts);
  const out: string[] = [];
  if (precision(total) < CORPUS_BAR.precision) out.push(`overall precision ${precision(total).toFixed(3)}`);
  if (recall(total) < CORPUS_BAR.recall) out.push(`overall recall ${recall(total).toFixed(3)}`);
  if (fullSpanRate(total) < CORPUS_BAR.fullSpan) out.push(`full spans ${fullSpanRate(total).toFixed(3)}`);
  for (const [type, c] of Object.entries(counts))
    if (recall(c) < CORPUS_BAR.typeRecall) out.push(`${type} recall ${recall(c).toFixed(3)}`);
  return out;
}

function corpusTable(counts: Partial<Record<PiiEntityType, CorpusCounts>>): string {
  const row = (name: string, c: CorpusCounts) =>
    `| ${name.padEnd(21)} | ${String(c.tp).padStart(4)} | ${String(c.fp).padStart(4)} | ${String(c.fn).padStart(4)} | ${precision(c).toFixed(3).padStart(9)} | ${recall(c).toFixed(3).padStart(6)} | ${fullSpanRate(c).toFixed(3).padStart(9)} |`;
  const types = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  const meanRecall = types.reduce((sum, [, c]) => sum + recall(c), 0) / Math.max(1, types.length);
  return [
    '| type                  |   TP |   FP |   FN | precision | recall | full span |',
    '| --------------------- | ---: | ---: | ---: | --------: | -----: | --------: |',
    ...types.map(([type, c]) => row(type, c)),
    row('overall', corpusTotals(counts)),
    `\nmean per-type recall ${meanRecall.toFixed(3)}`,
  ].join('\n');
}

async function runCorpus(args: readonly string[]): Promise<void> {
  const corpus = readCorpus();
  const counts = await evaluateCorpus(createLocalPiiDetector(), corpus);
  const failing = corpusBelowBar(counts);
  if (args.includes('--json'))
    console.log(JSON.stringify({ minScore: EVAL_MIN_SCORE, counts, belowBar: failing }, null, 2));
  else {
    console.log(
      `Local detector on the labelled corpus (${corpus.length} cases, ${CORPUS_FILE.split('/').slice(-2).join('/')}), score >= ${EVAL_MIN_SCORE}\n`,
    );
    console.log(corpusTable(counts));
    console.log(failing.length === 0 ? '\nmeets the bar' : `\nbelow the bar: ${failing.join(', ')}`);
  }
  process.exitCode = failing.length === 0 ? 0 : 1;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain && process.argv.includes('--corpus')) await runCorpus(process.argv.slice(2));
else if (isMain) {
  const args = process.argv.slice(2);
  const withForms = !args.includes('--no-forms');
  const formsArg = args.indexOf('--forms');
  const formCount = formsArg === -1 ? undefined : Number(args[formsArg + 1]);
  const fixtures = await makeDlpFixtures(formCount === undefined ? {} : { forms: formCount });
  const detector = createLocalPiiDetector();
  const sets: Record<string, CountsByType> = { text: await evaluateTexts(detector, fixtures.texts) };
  let redaction: Awaited<ReturnType<typeof evaluateRedaction>> | undefined;
  if (withForms) {
    const ocr = createTesseractOcr();
    try {
      sets.forms = await evaluateForms(detector, ocr, fixtures.forms);
      redaction = await evaluateRedaction(detector, ocr, fixtures.forms);
    } finally {
      await ocr.close();
    }
  }
  const all = combine(...Object.values(sets));
  // The bar is on the whole fixture set (text and forms); the per-set tables show where misses come from.
  const failing = belowBar({ all });
  if (args.includes('--json')) {
    console.log(
      JSON.stringify({ minScore: EVAL_MIN_SCORE, sets: { ...sets, all }, belowBar: failing }, null, 2),
    );
  } else {
    console.log(
      `Local detector, findings with score >= ${EVAL_MIN_SCORE}; * = checksum-backed (bar ${CHECKSUM_BAR})\n`,
    );
    console.log(table(`Text snippets (${fixtures.texts.length}, span overlap >= 50%)`, sets.text ?? {}));
    if (sets.forms) {
      console.log(
        `\n${table(`Form images (${fixtures.forms.length}, tesseract.js OCR, value read)`, sets.forms)}`,
      );
      console.log(`\n${table('Whole set (text + forms)', all)}`);
    }
    if (redaction) {
      const rows = Object.entries(redaction)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([type, c]) =>
            `| ${type.padEnd(21)} | ${String(c.legible).padStart(7)} | ${String(c.total).padStart(5)} |`,
        );
      console.log(
        [
          '\nValues still legible to OCR in the redacted form (tenant redact-demo)',
          '| type                  | legible | total |',
          '| --------------------- | ------: | ----: |',
          ...rows,
        ].join('\n'),
      );
    }
    console.log(
      failing.length === 0
        ? '\nall checksum-backed types meet the bar'
        : `\nbelow the bar: ${failing.join(', ')}`,
    );
  }
  process.exitCode = failing.length === 0 ? 0 : 1;
}
