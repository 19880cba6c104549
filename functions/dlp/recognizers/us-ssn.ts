import { digitsOf, type Recognizer } from './recognizer.js';

/**
 * Numbers the SSA never issues or has voided, beyond the range rules: the Woolworth wallet card
 * (078-05-1120), the 1940s advertising number (219-09-9999) and the textbook example 123-45-6789.
 * They appear in samples and documentation, not on people, so flagging them would only add noise.
 */
const KNOWN_INVALID = new Set(['078051120', '219099999', '123456789']);

/**
 * True when the nine digits can be an issued SSN: area not 000, 666 or 900-999, group not 00, serial
 * not 0000. Source: SSA, "Social Security Number Randomization" (ssa.gov/employer/randomization.html)
 * and POMS RM 10201.035, which keep these invalid after randomization (June 2011).
 */
export function ssnPlausible(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area.startsWith('9')) return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  if (/^(\d)\1{8}$/.test(digits)) return false;
  return !KNOWN_INVALID.has(digits);
}

/**
 * US Social Security numbers in the 3-2-4 layout with dashes, spaces or dots (the same separator
 * twice, or a dash with spaces around it), a medium-strength match; nine bare digits are weak and
 * need a context word. There is no checksum: the validator only rejects ranges the SSA never issues,
 * so `validate` never *confirms* a match.
 */
export const usSsnRecognizer: Recognizer = {
  name: 'us-ssn',
  type: 'SSN',
  patterns: [
    { regex: /(?<![\d-])\d{3}(-| - )\d{2}\1\d{4}(?![\d-])/g, score: 0.6 },
    { regex: /(?<![\d-])\d{3}( )\d{2}\1\d{4}(?![\d-]| \d)/g, score: 0.55 },
    // Dots are also version numbers and IP-like strings: a dotted run longer than 3.2.4 is not an SSN.
    { regex: /(?<![\d.-])\d{3}\.\d{2}\.\d{4}(?![\d-]|\.\d)/g, score: 0.5 },
    { regex: /(?<![\d-])\d{9}(?![\d-])/g },
  ],
  validate(match) {
    return ssnPlausible(digitsOf(match)) ? undefined : false;
  },
  baseScore: 0.3,
  contextWords: [
    'ssn',
    'ss#',
    'ssn#',
    'ss no',
    'soc sec',
    'social security',
    'social',
    'security number',
    'ssa',
    'tin',
    'taxpayer',
  ],
  contextBoost: 0.35,
};
