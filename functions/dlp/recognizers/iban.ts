import { countrySpecs } from 'ibantools';
import type { Recognizer } from './recognizer.js';

/**
 * IBAN length and BBAN structure per country. Source: the SWIFT ISO 13616 IBAN registry as kept in
 * ibantools' `countrySpecs` (every registry country and the territories that use another's format,
 * e.g. GF/GP/MQ under FR, AX under FI, plus the national IBANs used in Africa that the registry lists
 * as partial).
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(countrySpecs).flatMap(([country, spec]) => (spec.chars ? [[country, spec.chars]] : [])),
);

const BBAN_FORMATS: Readonly<Record<string, RegExp>> = Object.fromEntries(
  Object.entries(countrySpecs).flatMap(([country, spec]) =>
    spec.bban_regexp ? [[country, new RegExp(spec.bban_regexp)]] : [],
  ),
);

/** ISO 13616 check: known country, its length, and mod-97 of the rearranged number equal to 1. */
export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/[ -]/g, '').toUpperCase();
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined || iban.length !== expected || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban))
    return false;
  if (BBAN_FORMATS[iban.slice(0, 2)]?.test(iban.slice(4)) === false) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/**
 * International bank account numbers, compact or in groups of four (up to 34 characters, ISO 13616).
 * A match that fails the check is split at its separators, so "… 0130 00 EUR" still yields the IBAN.
 */
export const ibanRecognizer: Recognizer = {
  name: 'iban',
  type: 'IBAN',
  patterns: [{ regex: /\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{1,4}){2,9}\b/g }],
  splitOnFailure: true,
  validate: ibanValid,
  baseScore: 0.1,
  validatedScore: 0.95,
  contextWords: ['iban', 'account', 'bank'],
  contextBoost: 0.05,
};
