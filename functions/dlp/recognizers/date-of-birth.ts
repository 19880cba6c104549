import type { Recognizer } from './recognizer.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = String.raw`(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)`;

function realDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day && d.getTime() <= Date.now();
}

/** True when some reading of the date (M/D/Y, D/M/Y, Y-M-D, month names) is a real past date. */
export function plausibleBirthDate(text: string): boolean {
  const named = /([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})|(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})/.exec(text);
  if (named) {
    const monthName = (named[1] ?? named[5] ?? '').slice(0, 3).toLowerCase();
    const day = Number(named[2] ?? named[4]);
    const year = Number(named[3] ?? named[6]);
    return realDate(year, MONTHS.indexOf(monthName) + 1, day) && year >= 1900;
  }
  const parts = text.split(/[/.-]/).map(Number);
  const [a = 0, b = 0, c = 0] = parts;
  if (a >= 1900) return realDate(a, b, c);
  if (c < 1900) return false;
  return realDate(c, a, b) || realDate(c, b, a);
}

/**
 * Dates of birth: any date shape is only a date, so the base score is tiny and a context word
 * ("DOB", "date of birth", "born") makes it a birth date.
 */
export const dateOfBirthRecognizer: Recognizer = {
  name: 'date-of-birth',
  type: 'DATE_OF_BIRTH',
  patterns: [
    { regex: /(?<![\d/.-])\d{1,2}([/.-])\d{1,2}\1(?:19|20)\d{2}(?![\d/-]|\.\d)/g },
    { regex: /(?<![\d/.-])(?:19|20)\d{2}-\d{2}-\d{2}(?![\d/-]|\.\d)/g },
    { regex: new RegExp(String.raw`\b${MONTH}\.?\s+\d{1,2},?\s+(?:19|20)\d{2}\b`, 'g') },
    { regex: new RegExp(String.raw`\b\d{1,2}\s+${MONTH}\.?,?\s+(?:19|20)\d{2}\b`, 'g') },
  ],
  validate(match) {
    return plausibleBirthDate(match) ? undefined : false;
  },
  baseScore: 0.05,
  contextWords: ['dob', 'd.o.b', 'date of birth', 'birth', 'birthdate', 'birthday', 'born'],
  contextBoost: 0.6,
};
