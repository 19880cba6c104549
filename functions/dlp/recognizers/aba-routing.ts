import { digitsOf, type Recognizer } from './recognizer.js';

/** ABA checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10), with a Federal Reserve prefix. */
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
 * US bank routing (ABA transit) numbers. One random nine-digit number in ten passes the checksum,
 * so a valid one is still weak without a context word ("routing", "ABA", "RTN").
 */
export const abaRoutingRecognizer: Recognizer = {
  name: 'aba-routing',
  type: 'BANK_ROUTING',
  patterns: [{ regex: /(?<![\d-])\d{9}(?![\d-])|(?<![\d-])\d{4}-\d{4}-\d(?![\d-])/g }],
  validate: (match) => abaValid(digitsOf(match)),
  baseScore: 0.05,
  validatedScore: 0.3,
  contextWords: ['routing', 'aba', 'rtn', 'transit', 'routing number', 'bank'],
  contextBoost: 0.5,
};
