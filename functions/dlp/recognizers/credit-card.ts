import { digitsOf, type Recognizer } from './recognizer.js';

/** Luhn (mod 10) check over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Where printed card numbers break into groups, by length (16: 4-4-4-4, Amex 15: 4-6-5, Diners 14:
 * 4-6-4, 19: 4-4-4-4-3). A grouped number must break only at these places; OCR may drop a space, so a
 * subset is fine ("41111111 1111 1111"), but "4921 5797 2162 2825 45" is not a card.
 */
const GROUP_BOUNDARIES: Readonly<Record<number, readonly number[]>> = {
  13: [4, 8, 12],
  14: [4, 10],
  15: [4, 10],
  16: [4, 8, 12],
  19: [4, 8, 12, 16],
};

function groupingValid(match: string, length: number): boolean {
  const groups = match.split(/[ -]/);
  if (groups.length === 1) return true;
  const allowed = GROUP_BOUNDARIES[length];
  if (!allowed) return false;
  let at = 0;
  for (const group of groups.slice(0, -1)) {
    at += group.length;
    if (!allowed.includes(at)) return false;
  }
  return true;
}

/**
 * Card numbers of the major networks (Visa 4, Mastercard 51-55/22-27, Amex 34/37, Discover 6011/64/65,
 * Diners 30/36/38), 13-19 digits, grouped by spaces or dashes; Luhn decides.
 */
export const creditCardRecognizer: Recognizer = {
  name: 'credit-card',
  type: 'CREDIT_DEBIT_NUMBER',
  patterns: [
    {
      regex:
        /(?<![\w-])(?:4\d{3}|5[1-5]\d{2}|2[2-7]\d{2}|3[47]\d{2}|3(?:0[0-5]|[68]\d)\d|6(?:011|5\d{2}|4[4-9]\d))(?:[ -]?\d{2,6}){2,4}(?![\w-])/g,
    },
  ],
  validate(match) {
    const digits = digitsOf(match);
    if (digits.length < 13 || digits.length > 19) return false;
    if (/^(\d)\1+$/.test(digits) || !groupingValid(match, digits.length)) return false;
    return luhnValid(digits);
  },
  baseScore: 0.3,
  validatedScore: 0.95,
  contextWords: ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'cc', 'pan'],
  contextBoost: 0.05,
};
