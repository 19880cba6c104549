import type { Recognizer } from './recognizer.js';

const SUFFIX =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq)';
const UNIT = '(?:,?[ ]+(?:Apt|Suite|Ste|Unit|#)\\.?[ ]*[A-Za-z0-9-]+)?';
const CITY_STATE_ZIP = '(?:,?[ ]+[A-Z][a-z]+(?:[ ][A-Z][a-z]+)*,[ ]*[A-Z]{2}[ ]+\\d{5}(?:-\\d{4})?)?';

/**
 * US street addresses: house number, one to four capitalised words, a street suffix, optionally a
 * unit and "City, ST 12345". Post-office boxes and addresses without a suffix are not found.
 */
export const usAddressRecognizer: Recognizer = {
  name: 'us-address',
  type: 'ADDRESS',
  patterns: [
    {
      regex: new RegExp(
        `(?<![\\w-])\\d{1,6}(?:[ ]+[A-Z][A-Za-z0-9'-]*){1,4}?[ ]+${SUFFIX}\\b\\.?(?:[ ]+(?:N|S|E|W|NE|NW|SE|SW)\\b\\.?)?${UNIT}${CITY_STATE_ZIP}`,
        'g',
      ),
    },
  ],
  baseScore: 0.6,
  contextWords: ['address', 'addr', 'street', 'residence', 'mailing', 'lives at'],
  contextBoost: 0.2,
};
