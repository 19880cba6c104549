/**
 * Runs recognizers over a text the way Presidio's pattern recognizers do: collect every candidate
 * (overlapping ones, and shorter ones inside a match whose checksum fails), validate, score, raise the
 * score when a context word is near, then keep the best of overlapping candidates.
 */
import type { PiiFinding } from '../ports.js';
import {
  type AnalyzeOptions,
  RECOGNIZERS,
  type Recognizer,
  type RecognizerMatch,
} from './recognizers/index.js';

/** Characters before and after a match searched for context words. */
const CONTEXT_BEFORE = 40;
const CONTEXT_AFTER = 16;

interface Candidate {
  readonly finding: PiiFinding;
  /** Characters between the match and its nearest context word; Infinity without one. */
  readonly contextDistance: number;
  /**
   * Found by a recognizer that reads runs of groups (`splitOnFailure`), so it may be a piece of a
   * longer value that failed its own check.
   */
  readonly fragment: boolean;
}

const contextRegexCache = new Map<string, RegExp>();

/**
 * Long context words match inside a glued or run-on word too ("passportnumber", "driverslicense");
 * short ones ("dl", "ip", "tel") only on their own, or they would fire inside any word.
 */
const GLUED_CONTEXT_MIN_LENGTH = 6;

function contextRegex(word: string): RegExp {
  let re = contextRegexCache.get(word);
  if (!re) {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[\\s_.-]*');
    re =
      word.length >= GLUED_CONTEXT_MIN_LENGTH
        ? new RegExp(escaped, 'g')
        : new RegExp(`(?<![a-z0-9])${escaped}(?![a-z])`, 'g');
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
function* matchesOf(
  text: string,
  recognizer: Recognizer,
  options: AnalyzeOptions,
): Generator<RecognizerMatch> {
  for (const pattern of recognizer.patterns) {
    // A recognizer that splits failed matches also tries a match at every later start, so a value
    // that begins inside a greedy match (the second of two cards in a row) is a candidate too.
    const regex = new RegExp(pattern.regex.source, pattern.regex.flags);
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      const group = m.indices?.groups?.value;
      const [start, end] = group ?? [m.index, m.index + m[0].length];
      yield { start, end, score: pattern.score };
      if (recognizer.splitOnFailure || m[0].length === 0) regex.lastIndex = m.index + 1;
    }
  }
  if (recognizer.find) yield* recognizer.find(text, options);
}

/** Start and end of each group of a match, groups being split by spaces, dashes, dots or slashes. */
function groupsOf(text: string, start: number, end: number): [number, number][] {
  const groups: [number, number][] = [];
  for (const m of text.slice(start, end).matchAll(/[^\s./-]+/g))
    groups.push([start + m.index, start + m.index + m[0].length]);
  return groups;
}

/**
 * Runs of whole groups inside a failed match that the validator accepts, longest first and not
 * overlapping each other: what a greedy match swallowed around a real value is left out.
 */
function confirmedRuns(
  text: string,
  start: number,
  end: number,
  recognizer: Recognizer,
  options: AnalyzeOptions,
): RecognizerMatch[] {
  const groups = groupsOf(text, start, end);
  const runs: [number, number][] = [];
  for (let i = 0; i < groups.length; i++)
    for (let j = groups.length - 1; j >= i; j--) {
      if (i === 0 && j === groups.length - 1) continue;
      runs.push([groups[i]?.[0] ?? 0, groups[j]?.[1] ?? 0]);
    }
  runs.sort((a, b) => b[1] - b[0] - (a[1] - a[0]));
  const kept: RecognizerMatch[] = [];
  for (const [s, e] of runs) {
    if (kept.some((k) => s < k.end && k.start < e)) continue;
    if (recognizer.validate?.(text.slice(s, e), options) !== false) kept.push({ start: s, end: e });
  }
  return kept;
}

function scoreOf(recognizer: Recognizer, verdict: boolean | number | undefined, matchScore?: number): number {
  if (typeof verdict === 'number') return verdict;
  if (verdict === true) return recognizer.validatedScore ?? recognizer.baseScore;
  return matchScore ?? recognizer.baseScore;
}

function candidatesOf(text: string, recognizer: Recognizer, options: AnalyzeOptions): Candidate[] {
  const out: Candidate[] = [];
  const push = (start: number, end: number, base: number, fragment: boolean) => {
    let score = base;
    const distance = contextDistance(text, start, end, recognizer.contextWords);
    if (Number.isFinite(distance)) score += recognizer.contextBoost;
    else if (
      recognizer.negativeContextWords &&
      Number.isFinite(contextDistance(text, start, end, recognizer.negativeContextWords))
    )
      score -= recognizer.contextBoost;
    out.push({
      finding: { type: recognizer.type, score: round(Math.max(0, score)), start, end },
      contextDistance: distance,
      fragment,
    });
  };
  const fragment = recognizer.splitOnFailure === true;
  for (const { start, end, score: matchScore } of matchesOf(text, recognizer, options)) {
    const verdict = recognizer.validate?.(text.slice(start, end), options);
    if (verdict !== false) {
      push(start, end, scoreOf(recognizer, verdict, matchScore), fragment);
      continue;
    }
    if (!recognizer.splitOnFailure) continue;
    for (const run of confirmedRuns(text, start, end, recognizer, options))
      push(
        run.start,
        run.end,
        scoreOf(recognizer, recognizer.validate?.(text.slice(run.start, run.end), options)),
        fragment,
      );
  }
  return out;
}

/**
 * All findings in `text`, overlaps resolved: the higher score wins, then the nearer context word
 * (so "SSN: … Passport: 123456789" makes the number a passport), then the longer span.
 */
export function analyzeText(
  text: string,
  recognizers: readonly Recognizer[] = RECOGNIZERS,
  options: AnalyzeOptions = {},
): PiiFinding[] {
  const candidates = recognizers.flatMap((r) => candidatesOf(text, r, options));
  candidates.sort(
    (a, b) =>
      b.finding.score - a.finding.score ||
      a.contextDistance - b.contextDistance ||
      b.finding.end - b.finding.start - (a.finding.end - a.finding.start),
  );
  const kept: Candidate[] = [];
  for (const candidate of candidates) {
    const { finding } = candidate;
    if (kept.some((k) => finding.start < k.finding.end && k.finding.start < finding.end)) continue;
    kept.push(candidate);
  }
  const findings = kept.map((k) => k.finding);
  return kept
    .filter((k) => !k.fragment || !orphanGroupBefore(text, k.finding, findings))
    .map((k) => k.finding)
    .sort((a, b) => a.start - b.start);
}

/**
 * True when a run follows a digit-bearing group that no finding explains ("AO85 6071 2832…" of an
 * IBAN that failed its check): the run is then part of another value, not a value of its own.
 * Two cards in a row pass, because the group before the second belongs to the first.
 */
const EXPLAINING_SCORE = 0.5;

function orphanGroupBefore(text: string, finding: PiiFinding, findings: readonly PiiFinding[]): boolean {
  const before = /([A-Za-z0-9]*\d[A-Za-z0-9]*)[ -]$/.exec(
    text.slice(Math.max(0, finding.start - 40), finding.start),
  );
  if (!before) return false;
  const groupEnd = finding.start - 1;
  // Only a finding that stands on its own explains the group, not a shape-only guess (score < 0.5).
  return !findings.some(
    (f) => f !== finding && f.score >= EXPLAINING_SCORE && f.start < groupEnd && groupEnd <= f.end,
  );
}
