/**
 * A recognizer in the Presidio manner: patterns propose candidates, an optional validator rejects
 * (or confirms) them, a base score says how much a bare match is worth, and context words near the
 * match raise it. A recognizer proposes every plausible candidate, overlapping ones included, and
 * (with `splitOnFailure`) the shorter ones inside a match whose checksum fails; the analyzer's
 * validation and overlap rules choose. One recognizer lives in one file; `index.ts` only lists them.
 */
import type { PiiEntityType } from '../../ports.js';

export interface Recognizer {
  /** Stable name, used in tests and docs (never in findings). */
  readonly name: string;
  readonly type: PiiEntityType;
  /**
   * Global (`g`) patterns, each with its own score when it differs from `baseScore` (a formatted
   * SSN is worth more than nine bare digits). When a pattern has a named group `value`, only that
   * group is the finding (a label such as "Name:" anchors the match without being part of it); such
   * patterns need the `d` flag.
   */
  readonly patterns: readonly RecognizerPattern[];
  /**
   * Candidates that code finds rather than a regex (a part-of-speech tagger for names), each with its
   * own score; the analyzer treats them like pattern matches (validator, context, overlaps).
   */
  find?(text: string, options: AnalyzeOptions): readonly RecognizerMatch[];
  /**
   * `false` rejects the candidate; `true` confirms it (score becomes `validatedScore`); a number
   * confirms it with that score (a Luhn-valid UATP number is worth less than a Visa); `undefined`
   * leaves the base score. Checksum-backed recognizers return true/false.
   */
  validate?(match: string, options?: AnalyzeOptions): boolean | number | undefined;
  /**
   * When a pattern match fails validation, try the runs of its separator-delimited groups too, longest
   * first ("DE89 3704 0044 0532 0130 00 EUR": the IBAN without the currency; two cards in a row in
   * different groupings). Without it a failed checksum would end the search.
   */
  readonly splitOnFailure?: boolean;
  /** Lower-case words that, near a match, lower its score by `contextBoost` ("order", "invoice"). */
  readonly negativeContextWords?: readonly string[];
  readonly baseScore: number;
  /** Score when `validate` confirmed the match; defaults to the base score. */
  readonly validatedScore?: number;
  /** Lower-case words or phrases; one of them in the window around a match adds `contextBoost`. */
  readonly contextWords: readonly string[];
  readonly contextBoost: number;
}

export interface RecognizerPattern {
  readonly regex: RegExp;
  readonly score?: number;
}

/** What a tenant's policy tells the recognizers (regions whose national phone numbers to read). */
export interface AnalyzeOptions {
  /** ISO 3166 alpha-2 regions; national numbers (no country code) are read for these. @default ['US'] */
  readonly phoneRegions?: readonly string[];
}

/** A candidate span `[start, end)` found by `Recognizer.find`. */
export interface RecognizerMatch {
  readonly start: number;
  readonly end: number;
  readonly score?: number;
}

/** Digits of a string, in order. */
export function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}
