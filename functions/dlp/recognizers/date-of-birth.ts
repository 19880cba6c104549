import type { Recognizer } from './recognizer.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = String.raw`(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)`;

function realDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day && d.getTime() <= Date.now();
}

function twoDigitYear(yy: number): number {
  const thisYear = new Date().getUTCFullYear();
  return 2000 + yy <= thisYear ? 2000 + yy : 1900 + yy;
}

/** True when some reading of the date (M/D/Y, D/M/Y, Y-M-D, month names) is a real past date. */
export function plausibleBirthDate(text: string): boolean {
  const named = /([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})|(\d{1,2})[\s-]+([A-Za-z]+)\.?,?[\s-]+(\d{4})/.exec(
    text,
  );
  if (named) {
    const monthName = (named[1] ?? named[5] ?? '').slice(0, 3).toLowerCase();
    const day = Number(named[2] ?? named[4]);
    const year = Number(named[3] ?? named[6]);
    return realDate(year, MONTHS.indexOf(monthName) + 1, day) && year >= 1900;
  }
  const parts = text.split(/[/.-]/);
  const [a = 0, b = 0, c = 0] = parts.map(Number);
  if (a >= 1900) return realDate(a, b, c);
  // A two-digit year is the latest past year it can be (4/9/77 is 1977; 4/9/05 is 2005).
  const year = parts[2]?.length === 2 ? twoDigitYear(c) : c;
  if (year < 1900) return false;
  return realDate(year, a, b) || realDate(year, b, a);
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
    // 22-Aug-1958, as forms and mainframes print it.
    { regex: new RegExp(String.raw`\b\d{1,2}-${MONTH}-(?:19|20)\d{2}\b`, 'g') },
    // Two-digit years (4/9/77): any such date is only a birth date next to a birth-date word.
    { regex: /(?<![\d/.-])\d{1,2}([/.-])\d{1,2}\1\d{2}(?![\d/-]|\.\d)/g },
  ],
  validate(match) {
    return plausibleBirthDate(match) ? undefined : false;
  },
  baseScore: 0.05,
  contextWords: ['dob', 'd.o.b', 'date of birth', 'birth', 'birthdate', 'birthday', 'born'],
  contextBoost: 0.6,
};
