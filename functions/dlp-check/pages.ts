/**
 * Documents in DlpCheck: each page is scanned on its own (its pixels by OCR, its text layer beside), and
 * the pages' outcomes become the item's: every finding tagged with its page, the strictest decision, and
 * every billed request.
 */
import * as z from 'zod/mini';
import type { DlpOutcome } from '../dlp/scan.js';
import { reject } from '../pipeline/reasons.js';
import type { OcrResult } from '../ports.js';

const fraction = z.number().check(z.gte(-0.01), z.lte(1.01));
const textLayerFile = z.object({
  pages: z.array(
    z.object({
      text: z.string(),
      lines: z.array(
        z.object({
          text: z.string(),
          start: z.int().check(z.gte(0)),
          box: z.object({ left: fraction, top: fraction, width: fraction, height: fraction }),
        }),
      ),
    }),
  ),
});

/** The text layer ValidateAndStrip wrote (validate-and-strip/handler.ts): per page, text and line boxes. */
export type TextLayerFile = z.infer<typeof textLayerFile>;

export function parseTextLayer(bytes: Buffer): TextLayerFile {
  return textLayerFile.parse(JSON.parse(bytes.toString('utf8')));
}

/** A page's text layer as OCR output over the processed page: each line a "word" boxed in pixels. */
export function textLayerInPixels(
  page: TextLayerFile['pages'][number],
  width: number,
  height: number,
): OcrResult {
  return {
    text: page.text,
    words: page.lines.map((line) => ({
      text: line.text,
      start: line.start,
      box: {
        left: Math.floor(line.box.left * width),
        top: Math.floor(line.box.top * height),
        width: Math.ceil(line.box.width * width),
        height: Math.ceil(line.box.height * height),
      },
    })),
  };
}

const ACTION_RANK = { allow: 0, redact: 1, block: 2 } as const;

/** The item's outcome from its pages' (a single image is a one-page item and comes back unchanged). */
export function combinePages(outcomes: readonly DlpOutcome[], paged: boolean): DlpOutcome {
  const first = outcomes[0];
  if (!first) throw new Error('DlpCheck scanned no page');
  if (!paged) return first;
  const decision = outcomes.reduce<DlpOutcome['decision']>(
    (worst, o) => (ACTION_RANK[o.decision] > ACTION_RANK[worst] ? o.decision : worst),
    'allow',
  );
  const blockedPages = outcomes.flatMap((o, index) => (o.rejection ? [index + 1] : []));
  const firstRejection = outcomes.find((o) => o.rejection)?.rejection;
  return {
    ...first,
    decision,
    findings: outcomes.flatMap((o, index) => o.findings.map((f) => ({ ...f, page: index + 1 }))),
    billed: outcomes.flatMap((o) => o.billed),
    ocrScanned: outcomes.every((o) => o.ocrScanned),
    ...(firstRejection
      ? {
          rejection: reject(
            firstRejection.reason,
            `${firstRejection.message} (page${blockedPages.length > 1 ? 's' : ''} ${blockedPages.join(', ')})`,
          ),
        }
      : {}),
  };
}
