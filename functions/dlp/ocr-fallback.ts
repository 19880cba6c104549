/**
 * A safety net for OCR text. Checksums make the recognizers precise, but OCR misreads one character of a
 * long number often enough ("HJBC" read as "HJIBC"), and a value that fails its checksum is not found and
 * so would stay legible in the image the model gets. On OCR text only, a number-like run that follows a
 * field label ("IBAN:", "SSN:", "Card number:") on the same line is reported as that type when no
 * recognizer found anything there. These findings are only ever painted out, never a reason to block:
 * they are guesses, and a guess should cost the user a black box, not the whole item. Two shapes are
 * caught without a label, because OCR garbles labels too ("IBAN" read as "BAN"): an IBAN-shaped run (known
 * country, check digits, about the country's length) and a word with an "@" between letters (an e-mail
 * address whose dot OCR read as ". ").
 */
import type { PiiEntityType, PiiFinding } from '../ports.js';
import { IBAN_LENGTHS } from './recognizers/iban.js';

/** Score of a fallback finding: the default policy threshold, so a stricter tenant can opt out. */
export const FALLBACK_SCORE = 0.5;

const LABELS: readonly { readonly type: PiiEntityType; readonly label: RegExp }[] = [
  { type: 'IBAN', label: /\biban\b/i },
  { type: 'SSN', label: /\b(?:ssn|social security(?: number)?)\b/i },
  { type: 'CREDIT_DEBIT_NUMBER', label: /\b(?:card(?: number| no\.?)?|credit card|debit card)\b/i },
  { type: 'BANK_ROUTING', label: /\b(?:routing(?: number)?|aba|rtn)\b/i },
  { type: 'PASSPORT_NUMBER', label: /\bpassport(?: number| no\.?)?\b/i },
  { type: 'DRIVER_ID', label: /\b(?:driver'?s? licen[cs]e|dl#?)\b/i },
  // A date that lost its separators ("05/17/1990" read as "051771990") is no date to the recognizer.
  { type: 'DATE_OF_BIRTH', label: /\b(?:dob|d\.o\.b\.?|date of birth|birth ?date)\b/i },
];

/** Tokens that can be part of a misread number: digits, upper-case groups, OCR's stray separators. */
const VALUE_TOKEN = /^[A-Z0-9][A-Z0-9/.,|-]*$/;

function ibanShaped(text: string): { type: PiiEntityType; start: number; end: number }[] {
  const out: { type: PiiEntityType; start: number; end: number }[] = [];
  for (const m of text.matchAll(
    /(?<![A-Za-z0-9])([A-Z]{2})\d{2}(?:[ /.-]?[A-Z0-9]{1,5}){2,9}(?![A-Za-z0-9])/g,
  )) {
    const expected = IBAN_LENGTHS[m[1] ?? ''];
    const length = m[0].replace(/[^A-Z0-9]/g, '').length;
    if (expected !== undefined && Math.abs(length - expected) <= 3)
      out.push({ type: 'IBAN', start: m.index, end: m.index + m[0].length });
  }
  return out;
}

function emailShaped(text: string): { type: PiiEntityType; start: number; end: number }[] {
  const out: { type: PiiEntityType; start: number; end: number }[] = [];
  for (const m of text.matchAll(
    /[A-Za-z0-9._%+-]*[A-Za-z0-9]@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?:\. ?[A-Za-z]{2,})?/g,
  )) {
    out.push({ type: 'EMAIL', start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/**
 * The run after an e-mail label whose "@" OCR lost ("robert. patel96eclains. example. net"): words of
 * letters, digits and `._+-` up to the end of the line, with a dot before the last word.
 */
function labelledEmail(text: string): { type: PiiEntityType; start: number; end: number }[] {
  const out: { type: PiiEntityType; start: number; end: number }[] = [];
  for (const m of text.matchAll(/\be-?mail(?: address)?\s*[:#-]?[ \t]*((?:[\w.+-]+ ?)+)$/gim)) {
    const value = (m[1] ?? '').trimEnd();
    if (!/\.\s?[A-Za-z]{2,}$/.test(value) || value.replace(/[^A-Za-z0-9]/g, '').length < 6) continue;
    const start = m.index + m[0].length - (m[1] ?? '').length;
    out.push({ type: 'EMAIL', start, end: start + value.length });
  }
  return out;
}

export function labelledValueFallback(text: string, found: readonly PiiFinding[]): PiiFinding[] {
  const out: PiiFinding[] = [];
  const confident = found.filter((f) => f.score >= FALLBACK_SCORE);
  const free = (span: { start: number; end: number }) =>
    ![...confident, ...out].some((f) => f.start < span.end && span.start < f.end);
  for (const shaped of [...ibanShaped(text), ...emailShaped(text), ...labelledEmail(text)]) {
    if (free(shaped)) out.push({ ...shaped, score: FALLBACK_SCORE });
  }
  let lineStart = 0;
  for (const line of text.split('\n')) {
    for (const { type, label } of LABELS) {
      const m = label.exec(line);
      if (!m) continue;
      // Skip the label's punctuation and any parenthesised note, e.g. "Card (void): ".
      const after = /^(?:\s*\([^)]*\))?[\s:#.-]*/.exec(line.slice(m.index + m[0].length));
      let cursor = m.index + m[0].length + (after?.[0].length ?? 0);
      const start = cursor;
      let end = start;
      for (const token of line.slice(start).split(' ')) {
        if (!VALUE_TOKEN.test(token)) break;
        cursor += token.length;
        end = cursor;
        cursor += 1;
      }
      const value = line.slice(start, end);
      const alnum = value.replace(/[^A-Za-z0-9]/g, '');
      if (alnum.length < 6 || value.replace(/\D/g, '').length < 4) continue;
      const span = { start: lineStart + start, end: lineStart + end };
      if (free(span)) out.push({ type, score: FALLBACK_SCORE, ...span });
    }
    lineStart += line.length + 1;
  }
  return out;
}

/**
 * Characters inside a value that OCR often reads with a space next to them ("jo. doe@x.com"). Not "+"
 * or "/", which also start a value or end a label ("Phone: +1 …").
 */
const JOINERS = '.@_-';

/**
 * Widens each finding over the neighbouring OCR words that a joiner ties to it: OCR often reads a space
 * after a dot or around an "@", and a recognizer then reports only the piece it can validate, so the
 * rest of the value would be left unpainted. Works on the OCR text only; offsets stay those of `text`.
 */
export function widenOverSplitWords(text: string, findings: readonly PiiFinding[]): PiiFinding[] {
  const isJoiner = (c: string | undefined) => c !== undefined && c !== '' && JOINERS.includes(c);
  return findings.map((f) => {
    let { start, end } = f;
    for (let step = 0; step < 6; step++) {
      const piece = /(\S+) $/.exec(text.slice(0, start));
      if (isJoiner(text[start - 1])) start -= 1;
      else if (piece && (isJoiner(piece[1]?.at(-1)) || isJoiner(text[start]))) start -= piece[0].length;
      else break;
    }
    for (let step = 0; step < 6; step++) {
      const piece = /^ (\S+)/.exec(text.slice(end));
      if (isJoiner(text[end])) end += 1;
      else if (piece && (isJoiner(text[end - 1]) || isJoiner(piece[1]?.[0]))) end += piece[0].length;
      else break;
    }
    return start === f.start && end === f.end ? f : { ...f, start, end };
  });
}
