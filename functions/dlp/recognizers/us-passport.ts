import type { Recognizer } from './recognizer.js';

/**
 * US passport numbers: nine digits (books issued before 2021) or a letter and eight digits (Next
 * Generation passport books, and passport cards, which start with C). Source: US Department of State,
 * "Next Generation Passport" (travel.state.gov, 2021) and 22 CFR 51. Any nine-digit number has that
 * shape, so the base score is tiny and only a context word ("passport", "PP#", glued or abbreviated)
 * lifts it over a policy threshold.
 */
export const usPassportRecognizer: Recognizer = {
  name: 'us-passport',
  type: 'PASSPORT_NUMBER',
  patterns: [{ regex: /(?<![\w-])[A-Za-z]\d{8}(?![\w-])|(?<![\w-])\d{9}(?![\w-])/g }],
  baseScore: 0.05,
  contextWords: [
    'passport',
    'pass no',
    'pp no',
    'pp#',
    'ppt',
    'pspt',
    'travel document',
    'passeport',
    'pasaporte',
  ],
  contextBoost: 0.6,
};
