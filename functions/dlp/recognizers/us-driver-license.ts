import type { Recognizer } from './recognizer.js';

/**
 * Driver licence number formats per state, written without separators. Source: AAMVA DL/ID Card
 * Design Standard (2020), Annex D, as tabulated per state by the National Traffic Safety Institute
 * ("U.S. Driver's License Format"). Several states print dashes or spaces (Florida
 * S123-456-78-901-0, Illinois A123-4567-8901, Michigan A 123 456 789 012); the validator removes them.
 */
const STATE_FORMATS: readonly RegExp[] = [
  /^\d{4,16}$/, // AL, AK, AR, DE, GA, LA, MS, NC, NM, PA, SC, SD, TN, TX, UT, WY, and others' bare forms
  /^[A-Z]\d{3,18}$/, // AZ, CA, CO, FL, HI, IL, IN, KY, MD, MA, MI, MN, MO, MT, NE, NJ, NY, OH, OK, OR, RI, VA, WI
  /^[A-Z]{2}\d{2,7}$/, // CO, OH, WV
  /^[A-Z]{2}\d{6}[A-Z]$/, // ID
  /^[A-Z]{3}\d{6}$/, // ND
  /^\d{3}[A-Z]{2}\d{4}$/, // IA
  /^\d{2}[A-Z]{3}\d{5}$/, // NH
  /^\d{7,9}[A-Z]{1,2}$/, // ME, MO, VT
  /^[A-Z]\d{6}R$/, // MO
  /^[A-Z]\d[A-Z]\d[A-Z]$/, // KS (older)
  /^[A-Z*]{5,7}[A-Z\d*]{5,7}$/, // WA (12 characters, last name first)
  /^WDL[A-Z\d]{9}$/, // WA (2018 on)
];

/** True when the number, separators removed, has the shape of some state's licence and holds digits. */
export function driverLicenseShape(match: string): boolean {
  const compact = match.replace(/[ -]/g, '').toUpperCase();
  if (compact.length < 5 || compact.length > 19 || !/\d/.test(compact)) return false;
  return STATE_FORMATS.some((format) => format.test(compact));
}

/**
 * US driver licence numbers. Each state has its own format, so the shape alone means little: the base
 * score is tiny and a context word ("driver", "licence", "DL#", "lic.", glued or not) decides.
 */
export const usDriverLicenseRecognizer: Recognizer = {
  name: 'us-driver-license',
  type: 'DRIVER_ID',
  patterns: [{ regex: /(?<![\w*-])[A-Z\d*][A-Z\d*]{0,18}(?:[ -][A-Z\d]{1,14}){0,4}(?![\w*-])/g }],
  splitOnFailure: true,
  validate: (match) => (driverLicenseShape(match) ? undefined : false),
  baseScore: 0.05,
  contextWords: [
    'driver',
    "driver's",
    'drivers',
    'driving',
    'license',
    'licence',
    'lic',
    'lic no',
    'dl',
    'dl#',
    'dl no',
    'dln',
    'dlno',
    'dmv',
    'operator',
    'permit',
  ],
  contextBoost: 0.6,
};
