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

interface IinRange {
  readonly network: string;
  /** Inclusive prefix range, both ends the same number of digits ("2221"–"2720"). */
  readonly from: string;
  readonly to: string;
  readonly lengths: readonly number[];
  /** Networks whose ranges are wide (UATP: any 1…) are worth less without context. */
  readonly weak?: boolean;
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const r = (
  network: string,
  from: string,
  to: string,
  lengths: readonly number[],
  weak = false,
): IinRange => ({
  network,
  from,
  to,
  lengths,
  weak,
});

/**
 * Issuer identification number ranges and lengths per network. Source: ISO/IEC 7812-1 IIN registry as
 * summarised in "Payment card number" (Wikipedia, IIN ranges table, 2024) and the networks' own
 * published BIN ranges (Mastercard 2-series 2221–2720 since 2017; Discover's 622126–622925 UnionPay
 * co-brand; JCB 3528–3589; Dankort 5019; UATP 1; Mir 2200–2204).
 */
export const IIN_RANGES: readonly IinRange[] = [
  r('amex', '34', '34', [15]),
  r('amex', '37', '37', [15]),
  r('diners', '300', '305', range(14, 19)),
  r('diners', '3095', '3095', range(14, 19)),
  r('diners', '36', '36', range(14, 19)),
  r('diners', '38', '39', range(14, 19)),
  r('discover', '6011', '6011', range(16, 19)),
  r('discover', '644', '649', range(16, 19)),
  r('discover', '65', '65', range(16, 19)),
  r('discover', '622126', '622925', range(16, 19)),
  r('jcb', '3528', '3589', range(16, 19)),
  r('mastercard', '51', '55', [16]),
  r('mastercard', '2221', '2720', [16]),
  r('mir', '2200', '2204', range(16, 19)),
  r('borica', '2205', '2205', [16]),
  r('visa', '4', '4', [13, 16, 19]),
  r('dankort', '5019', '5019', [16]),
  r('maestro', '50', '50', range(12, 19)),
  r('maestro', '56', '69', range(12, 19)),
  r('unionpay', '62', '62', range(16, 19)),
  r('unionpay', '81', '81', range(16, 19)),
  r('rupay', '60', '60', [16]),
  r('rupay', '82', '82', [16]),
  r('rupay', '508', '508', [16]),
  r('verve', '506099', '506198', [16, 18, 19]),
  r('verve', '507865', '507964', [16, 18, 19]),
  r('interpayment', '636', '636', range(16, 19)),
  r('troy', '9792', '9792', [16]),
  r('humo', '9860', '9860', [16]),
  r('uzcard', '8600', '8600', [16]),
  r('gpn', '1946', '1946', [16, 18, 19], true),
  r('uatp', '1', '1', [15], true),
];

/** The IIN range a card number falls in, or undefined. */
export function cardNetwork(digits: string): IinRange | undefined {
  return IIN_RANGES.find((iin) => {
    const prefix = digits.slice(0, iin.from.length);
    return prefix >= iin.from && prefix <= iin.to && iin.lengths.includes(digits.length);
  });
}

/**
 * Where printed card numbers break into groups: every four digits (4-4-4-4, 4-4-4-4-3, 4-4-4-1…),
 * and the networks' own layouts, Amex 4-6-5, Diners 4-6-4, UATP 4-5-6 (ISO/IEC 7812 leaves layout to
 * networks). A grouped number must break only at these places; OCR may drop a space, so a subset is
 * fine ("41111111 1111 1111"), but "4921 5797 2162 2825 45" is not a card.
 */
const EXTRA_BOUNDARIES: Readonly<Record<number, readonly number[]>> = { 14: [10], 15: [9, 10] };

function groupingValid(match: string, length: number): boolean {
  const groups = match.split(/[ -]/);
  if (groups.length === 1) return true;
  const allowed = EXTRA_BOUNDARIES[length] ?? [];
  let at = 0;
  for (const group of groups.slice(0, -1)) {
    at += group.length;
    if (at % 4 !== 0 && !allowed.includes(at)) return false;
  }
  return true;
}

/**
 * Payment card numbers of every network in `IIN_RANGES`, 12-19 digits, bare or grouped by spaces or
 * dashes; IIN range, length and Luhn decide. Candidates start at every group, so two numbers in a row
 * in different groupings are both found.
 */
export const creditCardRecognizer: Recognizer = {
  name: 'credit-card',
  type: 'CREDIT_DEBIT_NUMBER',
  patterns: [{ regex: /(?<![\w.])\d{4}(?:[ -]?\d{1,6}){1,5}(?![\w])/g }],
  splitOnFailure: true,
  validate(match) {
    const digits = digitsOf(match);
    if (digits.length < 12 || digits.length > 19) return false;
    if (/^(\d)\1+$/.test(digits) || !groupingValid(match, digits.length) || !luhnValid(digits)) return false;
    const network = cardNetwork(digits);
    if (!network) return false;
    return network.weak ? 0.6 : true;
  },
  baseScore: 0.3,
  validatedScore: 0.95,
  contextWords: ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'cc', 'pan', 'maestro', 'jcb'],
  negativeContextWords: ['order', 'invoice', 'tracking', 'reference', 'ref', 'imei', 'serial'],
  contextBoost: 0.05,
};
