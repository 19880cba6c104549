import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { AnalyzeOptions, Recognizer } from './recognizer.js';

/** Regions whose national numbers are read when the policy names none. */
export const DEFAULT_PHONE_REGIONS: readonly string[] = ['US'];

const FORMATTED_SCORE = 0.6;
/** Ten bare digits are as often an order or account number as a phone number: context decides. */
const BARE_SCORE = 0.4;
/**
 * A number that is only *possible* (the right length for its country code), or valid only in a region
 * the policy does not name: a phone number when a word says so ("mobile", "Tel.", "携帯"), else nothing.
 */
const LABELLED_ONLY_SCORE = 0.3;
/**
 * Regions tried for a national number the policy's regions do not explain, so that a labelled UK, German,
 * French, Japanese or Australian number is still found (with LABELLED_ONLY_SCORE).
 */
const OTHER_REGIONS = [
  'GB',
  'DE',
  'FR',
  'ES',
  'IT',
  'NL',
  'IE',
  'JP',
  'AU',
  'NZ',
  'IN',
  'BR',
  'MX',
  'CA',
  'ZA',
  'SG',
  'KR',
  'CN',
];

/** A dotted quad is an IPv4 address, however valid its digits are as a phone number. */
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Validity by libphonenumber-js with full metadata (Google libphonenumber's numbering plans per
 * region, ITU-T E.164: at most 15 digits). A number with a country code (+ or 00) is read in its own
 * region, whatever its grouping (+33 1 23 45 67 89); a national number is read in each region the
 * tenant's policy names (US by default).
 */
function phoneScore(match: string, options: AnalyzeOptions = {}): number | false {
  if (DOTTED_QUAD.test(match)) return false;
  const digits = match.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return false;
  const formatted = /[\s().-]/.test(match);
  if (/^(?:\+|00)/.test(match)) {
    const international = parsePhoneNumberFromString(match.replace(/^00/, '+'));
    if (international?.isValid()) return FORMATTED_SCORE;
    return international?.isPossible() ? LABELLED_ONLY_SCORE : false;
  }
  if (digits.length < 8) return false;
  const regions = options.phoneRegions?.length ? options.phoneRegions : DEFAULT_PHONE_REGIONS;
  for (const region of regions) {
    if (parsePhoneNumberFromString(match, region as never)?.isValid())
      return formatted ? FORMATTED_SCORE : BARE_SCORE;
  }
  // National numbers start with a trunk prefix (0 in most of the world): read them elsewhere too.
  if (!/^0/.test(digits) || !formatted) return false;
  for (const region of OTHER_REGIONS) {
    const parsed = parsePhoneNumberFromString(match, region as never);
    if (parsed?.isValid() || parsed?.isPossible()) return LABELLED_ONLY_SCORE;
  }
  return false;
}

/**
 * Phone numbers: a loose pattern proposes runs of digits, spaces, dots, dashes and parentheses,
 * optionally after + or 00; libphonenumber-js decides. A run that is not a valid number is split at
 * its separators, so two numbers in a row, or a number followed by other digits, are still found.
 */
export const phoneRecognizer: Recognizer = {
  name: 'phone',
  type: 'PHONE',
  patterns: [
    {
      regex: /(?<![\w+.\-/])(?:\+|\b00)?(?:\(\d{1,5}\)|\d)(?:[ .-]?(?:\(\d{1,5}\)|\d)){5,19}(?![\w/-]|\.\d)/g,
    },
  ],
  splitOnFailure: true,
  validate: phoneScore,
  baseScore: 0.2,
  contextWords: [
    'phone',
    'tel',
    'telephone',
    'mobile',
    'cell',
    'call',
    'fax',
    'contact',
    'ph',
    'mob',
    'whatsapp',
    'sms',
    // Other languages' labels on the forms and chats we see.
    'portable',
    'téléphone',
    'tél',
    'handy',
    'telefon',
    'móvil',
    'movil',
    'celular',
    'telefone',
    '携帯',
    '電話',
  ],
  negativeContextWords: ['order', 'invoice', 'account', 'acct', 'tracking', 'ref', 'serial', 'isbn'],
  contextBoost: 0.25,
};
