import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Recognizer } from './recognizer.js';

/**
 * Phone numbers: a loose pattern finds digit runs shaped like numbers, libphonenumber-js (full
 * metadata) decides whether one is a valid number; numbers without a country code are read as US.
 */
export const phoneRecognizer: Recognizer = {
  name: 'phone',
  type: 'PHONE',
  patterns: [
    {
      regex:
        /(?<![\w+./-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,5}){1,4}(?![\w/-]|\.\d)/g,
    },
  ],
  validate(match) {
    // A dotted quad is an IPv4 address, however valid its digits are as a phone number.
    if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(match)) return false;
    const digits = match.replace(/\D/g, '');
    if (digits.length < 10 || digits.length > 15) return false;
    return parsePhoneNumberFromString(match, 'US')?.isValid() === true;
  },
  baseScore: 0.2,
  validatedScore: 0.6,
  contextWords: ['phone', 'tel', 'telephone', 'mobile', 'cell', 'call', 'fax', 'contact'],
  contextBoost: 0.25,
};
