/**
 * Runs recognizers over a text the way Presidio's pattern recognizers do: find candidates, validate,
 * score, raise the score when a context word is near, then keep the best of overlapping candidates.
 */
import type { PiiFinding } from '../ports.js';
import { RECOGNIZERS, type Recognizer, type RecognizerMatch } from './recognizers/index.js';

/** Characters before and after a match searched for context words. */
const CONTEXT_BEFORE = 40;
const CONTEXT_AFTER = 16;

interface Candidate {
  readonly finding: PiiFinding;
  /** Characters between the match and its nearest context word; Infinity without one. */
  readonly contextDistance: number;
}

const contextRegexCache = new Map<string, RegExp>();

function contextRegex(word: string): RegExp {
  let re = contextRegexCache.get(word);
  if (!re) {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[\\s_-]+');
    re = new RegExp(`(?<![a-z0-9])${escaped}(?![a-z0-9])`, 'g');
    contextRegexCache.set(word, re);
  }
  return re;
}

/**
 * Distance from the match to the nearest context word around it. The window before the match ends at
 * the previous value (the last digit) or a semicolon, the window after it at the next digit or
 * punctuation, so in "SSN: 536224418, order 536224419" the label belongs to the first number only.
 */
function contextDistance(text: string, start: number, end: number, words: readonly string[]): number {
  if (words.length === 0) return Number.POSITIVE_INFINITY;
  const rawBefore = text.slice(Math.max(0, start - CONTEXT_BEFORE), start).toLowerCase();
  const before = rawBefore.slice(rawBefore.search(/[\d;][^\d;]*$/) + 1);
  const rawAfter = text.slice(end, end + CONTEXT_AFTER).toLowerCase();
  const stop = rawAfter.search(/[\d,;.:]/);
  const after = stop === -1 ? rawAfter : rawAfter.slice(0, stop);
  let best = Number.POSITIVE_INFINITY;
  for (const word of words) {
    const re = contextRegex(word);
    for (const m of before.matchAll(re)) best = Math.min(best, before.length - (m.index + m[0].length));
    // A label usually precedes its value: a word after the match counts as farther than any before it.
    for (const m of after.matchAll(re)) best = Math.min(best, CONTEXT_BEFORE + m.index);
  }
  return best;
}

function round(score: number): number {
  return Math.round(Math.min(1, score) * 100) / 100;
}

/** Raw spans of a recognizer: its pattern matches (the `value` group when there is one), then `find`'s. */
function* matchesOf(text: string, recognizer: Recognizer): Generator<RecognizerMatch> {
  for (const pattern of recognizer.patterns) {
    for (const m of text.matchAll(pattern.regex)) {
      const group = m.indices?.groups?.value;
      const [start, end] = group ?? [m.index, m.index + m[0].length];
      yield { start, end, score: pattern.score };
    }
  }
  if (recognizer.find) yield* recognizer.find(text);
}

function candidatesOf(text: string, recognizer: Recognizer): Candidate[] {
  const out: Candidate[] = [];
  for (const { start, end, score: matchScore } of matchesOf(text, recognizer)) {
    const value = text.slice(start, end);
    const verdict = recognizer.validate?.(value);
    if (verdict === false) continue;
    let score =
      verdict === true
        ? (recognizer.validatedScore ?? recognizer.baseScore)
        : (matchScore ?? recognizer.baseScore);
    const distance = contextDistance(text, start, end, recognizer.contextWords);
    if (Number.isFinite(distance)) score += recognizer.contextBoost;
    out.push({
      finding: { type: recognizer.type, score: round(score), start, end },
      contextDistance: distance,
    });
  }
  return out;
}

/**
 * All findings in `text`, overlaps resolved: the higher score wins, then the nearer context word
 * (so "SSN: … Passport: 123456789" makes the number a passport), then the longer span.
 */
export function analyzeText(text: string, recognizers: readonly Recognizer[] = RECOGNIZERS): PiiFinding[] {
  const candidates = recognizers.flatMap((r) => candidatesOf(text, r));
  candidates.sort(
    (a, b) =>
      b.finding.score - a.finding.score ||
      a.contextDistance - b.contextDistance ||
      b.finding.end - b.finding.start - (a.finding.end - a.finding.start),
  );
  const kept: PiiFinding[] = [];
  for (const { finding } of candidates) {
    if (kept.some((k) => finding.start < k.end && k.start < finding.end)) continue;
    kept.push(finding);
  }
  return kept.sort((a, b) => a.start - b.start);
}
