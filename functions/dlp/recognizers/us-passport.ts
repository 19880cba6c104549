import type { Recognizer } from './recognizer.js';

/**
 * US passport numbers: nine digits (older books) or a letter and eight digits (next-generation
 * books). Any nine-digit number has that shape, so the base score is tiny and only a context word
 * ("passport") lifts it over a policy threshold.
 */
export const usPassportRecognizer: Recognizer = {
  name: 'us-passport',
  type: 'PASSPORT_NUMBER',
  patterns: [{ regex: /(?<![\w-])[A-Z]?\d{8}(?![\w-])|(?<![\w-])\d{9}(?![\w-])/g }],
  baseScore: 0.05,
  contextWords: ['passport', 'passport no', 'passport number', 'passport #'],
  contextBoost: 0.6,
};
