/**
 * The canonical serialisation the audit chain hashes and signs: JSON with object keys sorted (by UTF-16
 * code units, as RFC 8785 does), no whitespace, `undefined` members left out. For the values a record holds
 * (strings, safe integers, booleans, null, arrays, plain objects) this is RFC 8785 (JCS) output, so any
 * JCS library recomputes the same bytes. Floats, NaN and non-plain values are refused rather than guessed at.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`audit values must be safe integers; got ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`audit values must be JSON data; got ${typeof value}`);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
