import { domainToASCII } from 'node:url';
import type { Recognizer } from './recognizer.js';

/**
 * E-mail addresses: an RFC 5322 dot-atom local part, or the UTF-8 one of RFC 6531 (SMTPUTF8), at a
 * domain of dotted labels (RFC 1035 letters-digits-hyphen, or internationalised labels of RFC 5890,
 * Unicode or punycode `xn--…`, top-level ones included such as `.xn--p1ai`).
 */
const ATEXT = "\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-";
const LOCAL = `[${ATEXT}]+(?:\\.[${ATEXT}]+)*`;
const LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?`;
const EMAIL = `(?<![.${ATEXT}])${LOCAL}@(?:${LABEL}\\.)+(?:\\p{L}{2,63}|xn--[a-z0-9-]{2,59})(?![\\p{L}\\p{N}-]|\\.[\\p{L}\\p{N}])`;

export const emailRecognizer: Recognizer = {
  name: 'email',
  type: 'EMAIL',
  patterns: [{ regex: new RegExp(EMAIL, 'gu') }],
  validate(match) {
    const [local = '', domain = ''] = match.split('@');
    if (local.length > 64) return false;
    // The domain must survive IDNA (UTS #46) conversion, as a mail server would do it.
    return domainToASCII(domain) !== '';
  },
  baseScore: 0.5,
  validatedScore: 0.9,
  contextWords: ['email', 'e-mail', 'mail', 'contact'],
  contextBoost: 0.05,
};
