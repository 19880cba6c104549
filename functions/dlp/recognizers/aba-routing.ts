import { digitsOf, type Recognizer } from './recognizer.js';

/**
 * ABA checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10), with a Federal Reserve prefix
 * (00-12 banks, 21-32 thrifts, 61-72 electronic, 80 traveller's cheques). Source: ABA Routing Number
 * Policy (American Bankers Association / Accuity, "Routing Number Policy and Procedures", 2023).
 */
export function abaValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const prefix = Number(digits.slice(0, 2));
  const prefixOk =
    prefix <= 12 || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix === 80;
  if (!prefixOk || digits === '000000000') return false;
  const d = [...digits].map(Number);
  const [d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0, d8 = 0, d9 = 0] = d;
  return (3 * (d1 + d4 + d7) + 7 * (d2 + d5 + d8) + (d3 + d6 + d9)) % 10 === 0;
}

/**
 * US bank routing (ABA transit) numbers: nine digits, bare, 4-4-1 or 3-3-3, or between MICR transit
 * symbols (⑆). One random nine-digit number in about 26 passes prefix and checksum, so a valid number
 * alone just reaches the policy threshold, a context word ("routing", "ABA", "RTN") makes it
 * certain, and a word that marks another kind of number ("order", "invoice") takes it below.
 */
export const abaRoutingRecognizer: Recognizer = {
  name: 'aba-routing',
  type: 'BANK_ROUTING',
  patterns: [
    {
      regex: /(?<![\d-])(?:\d{9}|\d{4}-\d{4}-\d|\d{3}([- ])\d{3}\1\d{3})(?![\d-])|(?<=⑆)\d{9}(?=⑆)/g,
    },
  ],
  validate: (match) => abaValid(digitsOf(match)),
  baseScore: 0.05,
  validatedScore: 0.5,
  contextWords: ['routing', 'aba', 'rtn', 'transit', 'routing number', 'bank', 'r/t', 'rt#', 'wire', 'ach'],
  negativeContextWords: [
    'account',
    'acct',
    'order',
    'invoice',
    'tracking',
    'ref',
    'reference',
    'phone',
    'tel',
    'zip',
    'isbn',
    'serial',
    'case',
    'ticket',
  ],
  contextBoost: 0.4,
};
