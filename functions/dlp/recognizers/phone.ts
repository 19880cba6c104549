import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { AnalyzeOptions, Recognizer } from './recognizer.js';

/** Regions whose national numbers are read when the policy names none. */
export const DEFAULT_PHONE_REGIONS: readonly string[] = ['US'];

const FORMATTED_SCORE = 0.6;
/** Ten bare digits are as often an order or account number as a phone number: context decides. */
const BARE_SCORE = 0.4;

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
    const international = match.replace(/^00/, '+');
    return parsePhoneNumberFromString(international)?.isValid() ? FORMATTED_SCORE : false;
  }
  if (digits.length < 8) return false;
  const regions = options.phoneRegions?.length ? options.phoneRegions : DEFAULT_PHONE_REGIONS;
  for (const region of regions) {
    if (parsePhoneNumberFromString(match, region as never)?.isValid())
      return formatted ? FORMATTED_SCORE : BARE_SCORE;
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
  ],
  negativeContextWords: ['order', 'invoice', 'account', 'acct', 'tracking', 'ref', 'serial', 'isbn'],
  contextBoost: 0.25,
};
