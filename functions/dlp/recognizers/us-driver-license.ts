import type { Recognizer } from './recognizer.js';

/**
 * US driver licence numbers. Each state has its own format (one or two letters and 4-14 digits,
 * 7-12 bare digits, Florida's dashed L###-###-##-###-#...), so the shape alone means little: the
 * base score is tiny and a context word ("driver", "licence", "DL") decides.
 */
export const usDriverLicenseRecognizer: Recognizer = {
  name: 'us-driver-license',
  type: 'DRIVER_ID',
  patterns: [
    {
      regex: /(?<![\w-])(?:[A-Z]{1,2}[- ]?\d{4,14}|\d{7,12}|[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d)(?![\w-])/g,
    },
  ],
  baseScore: 0.05,
  contextWords: ['driver', "driver's", 'drivers', 'license', 'licence', 'dl', 'dl#', 'dln', 'dmv'],
  contextBoost: 0.6,
};
