/**
 * PII detection with Amazon Comprehend DetectPiiEntities. One call takes at most 100 KB of UTF-8,
 * so longer texts are cut on sentence boundaries (a whitespace or, failing that, a character
 * boundary for a sentence that alone is too long) and the offsets of each chunk are mapped back.
 * Every request is reported to the caller's meter with the characters sent, which is what AWS bills.
 */
import type { ComprehendClient, LanguageCode } from '@aws-sdk/client-comprehend';
import type { PiiDetector, PiiEntityType, PiiFinding, UsageMeter } from '../ports.js';

/** Comprehend's limit is 100 KB; a little is kept back so a limit counted in KiB or KB both hold. */
export const COMPREHEND_MAX_BYTES = 99_000;

/** The detector's name in DLP verdicts (and the verdict cache key). */
export const COMPREHEND_DETECTOR_NAME = 'comprehend';

/** Loaded on the first detection: an item with no text to scan never loads Comprehend's SDK. */
const comprehendSdk = () => import('@aws-sdk/client-comprehend');
/** DetectPiiEntities reads English and Spanish only. */
const PII_LANGUAGES = new Set(['en', 'es']);

const TYPE_MAP: Readonly<Record<string, PiiEntityType>> = {
  CREDIT_DEBIT_NUMBER: 'CREDIT_DEBIT_NUMBER',
  SSN: 'SSN',
  US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER: 'SSN',
  INTERNATIONAL_BANK_ACCOUNT_NUMBER: 'IBAN',
  EMAIL: 'EMAIL',
  PHONE: 'PHONE',
  IP_ADDRESS: 'IP_ADDRESS',
  PASSPORT_NUMBER: 'PASSPORT_NUMBER',
  DRIVER_ID: 'DRIVER_ID',
  BANK_ROUTING: 'BANK_ROUTING',
  AWS_ACCESS_KEY: 'AWS_ACCESS_KEY',
  AWS_SECRET_KEY: 'AWS_SECRET_KEY',
  NAME: 'NAME',
  ADDRESS: 'ADDRESS',
};

/** Our type for a Comprehend entity type; the ones we have no name for are OTHER. */
export function mapComprehendType(type: string | undefined): PiiEntityType {
  return TYPE_MAP[type ?? ''] ?? 'OTHER';
}

export interface TextChunk {
  readonly start: number;
  readonly text: string;
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
/** Comprehend bills characters (code points), not UTF-16 units. */
const characters = (s: string): number => [...s].length;

/** Splits a piece that is too long on its own: at the last whitespace that fits, else mid-word. */
function splitLong(piece: TextChunk, maxBytes: number): TextChunk[] {
  const out: TextChunk[] = [];
  let rest = piece;
  while (utf8Length(rest.text) > maxBytes) {
    let cut = 0;
    let bytes = 0;
    for (const ch of rest.text) {
      const b = utf8Length(ch);
      if (bytes + b > maxBytes) break;
      bytes += b;
      cut += ch.length;
    }
    const space = rest.text.slice(0, cut).search(/\s\S*$/);
    if (space > 0) cut = space + 1;
    out.push({ start: rest.start, text: rest.text.slice(0, cut) });
    rest = { start: rest.start + cut, text: rest.text.slice(cut) };
  }
  if (rest.text !== '') out.push(rest);
  return out;
}

/** Chunks of at most `maxBytes` UTF-8 bytes, cut between sentences wherever a sentence fits whole. */
export function chunkOnSentences(text: string, maxBytes = COMPREHEND_MAX_BYTES): TextChunk[] {
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  const chunks: TextChunk[] = [];
  let current: TextChunk | undefined;
  let currentBytes = 0;
  for (const s of segmenter.segment(text)) {
    const pieces = splitLong({ start: s.index, text: s.segment }, maxBytes);
    for (const piece of pieces) {
      const bytes = utf8Length(piece.text);
      if (current && currentBytes + bytes <= maxBytes) {
        current = { start: current.start, text: current.text + piece.text };
        currentBytes += bytes;
      } else {
        if (current) chunks.push(current);
        current = piece;
        currentBytes = bytes;
      }
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

/**
 * Comprehend counts offsets in characters (code points); JavaScript strings index UTF-16 units.
 * The two agree unless the text holds characters outside the BMP (emoji), which this corrects.
 */
function codePointToUtf16(text: string, offset: number): number {
  let units = 0;
  let points = 0;
  for (const ch of text) {
    if (points >= offset) break;
    units += ch.length;
    points++;
  }
  return units;
}

export interface ComprehendPiiDetectorOptions {
  /** `en`, `es`, or `auto` to ask DetectDominantLanguage (other languages fall back to `en`). @default 'en' */
  readonly languageCode?: string;
  /** @default COMPREHEND_MAX_BYTES */
  readonly maxBytes?: number;
}

export function createComprehendPiiDetector(
  client: ComprehendClient,
  options: ComprehendPiiDetectorOptions = {},
): PiiDetector {
  const maxBytes = options.maxBytes ?? COMPREHEND_MAX_BYTES;

  const language = async (
    requested: string,
    sample: string,
    meter: UsageMeter | undefined,
  ): Promise<LanguageCode> => {
    let code = requested;
    if (code === 'auto') {
      const { DetectDominantLanguageCommand } = await comprehendSdk();
      const out = await client.send(new DetectDominantLanguageCommand({ Text: sample }));
      // Language detection is billed like PII detection: 100-character units, 3-unit minimum.
      meter?.record({
        service: 'comprehend',
        quantity: characters(sample),
        requestId: out.$metadata?.requestId,
      });
      const top = [...(out.Languages ?? [])].sort((a, b) => (b.Score ?? 0) - (a.Score ?? 0))[0];
      code = top?.LanguageCode ?? 'en';
    }
    const base = code.toLowerCase().split('-')[0] ?? 'en';
    return (PII_LANGUAGES.has(base) ? base : 'en') as LanguageCode;
  };

  return {
    name: COMPREHEND_DETECTOR_NAME,
    async detect(text, detectOptions) {
      const chunks = chunkOnSentences(text, maxBytes).filter((c) => c.text.trim() !== '');
      const first = chunks[0];
      if (!first) return [];
      const meter = detectOptions?.meter;
      const languageCode = await language(
        detectOptions?.languageCode ?? options.languageCode ?? 'en',
        first.text,
        meter,
      );
      const findings: PiiFinding[] = [];
      const { DetectPiiEntitiesCommand } = await comprehendSdk();
      for (const chunk of chunks) {
        const out = await client.send(
          new DetectPiiEntitiesCommand({ Text: chunk.text, LanguageCode: languageCode }),
        );
        meter?.record({
          service: 'comprehend',
          quantity: characters(chunk.text),
          requestId: out.$metadata?.requestId,
        });
        for (const entity of out.Entities ?? []) {
          if (entity.BeginOffset === undefined || entity.EndOffset === undefined) continue;
          findings.push({
            type: mapComprehendType(entity.Type),
            score: Math.round((entity.Score ?? 0) * 1000) / 1000,
            start: chunk.start + codePointToUtf16(chunk.text, entity.BeginOffset),
            end: chunk.start + codePointToUtf16(chunk.text, entity.EndOffset),
          });
        }
      }
      return findings.sort((a, b) => a.start - b.start);
    },
  };
}
