import type { Recognizer } from './recognizer.js';

/** E-mail addresses with a dotted domain and an alphabetic top-level domain. */
export const emailRecognizer: Recognizer = {
  name: 'email',
  type: 'EMAIL',
  patterns: [
    {
      regex:
        /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b/g,
    },
  ],
  validate(match) {
    const [local = ''] = match.split('@');
    return !(local.includes('..') || local.endsWith('.'));
  },
  baseScore: 0.5,
  validatedScore: 0.9,
  contextWords: ['email', 'e-mail', 'mail', 'contact'],
  contextBoost: 0.05,
};
