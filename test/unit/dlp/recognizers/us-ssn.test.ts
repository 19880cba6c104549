import { describe, expect, it } from 'vitest';
import { ssnPlausible, usSsnRecognizer } from '../../../../functions/dlp/recognizers/us-ssn.js';
import { found, reported } from './helpers.js';

describe('US SSN recognizer', () => {
  it('reports a dashed SSN without context and a bare one only with context', () => {
    // Prepare
    const text = 'ref 536-22-4417. SSN: 536224418. order 536224419';
    // Act
    const result = reported(usSsnRecognizer, text);
    // Assess
    expect(result).toEqual(['536-22-4417', '536224418']);
  });

  it('raises the score when a context word precedes the number', () => {
    // Prepare
    const bare = found(usSsnRecognizer, 'number 536-22-4417')[0]?.score ?? 0;
    // Act
    const labelled = found(usSsnRecognizer, 'Social Security Number: 536-22-4417')[0]?.score ?? 0;
    // Assess
    expect(labelled).toBeGreaterThan(bare);
  });

  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 9xx (ITIN range)', '912-34-5678'],
    ['group 00', '536-00-4417'],
    ['serial 0000', '536-22-0000'],
    ['the Woolworth wallet number', '078-05-1120'],
    ['the textbook example', '123-45-6789'],
    ['one repeated digit', '555-55-5555'],
  ])('rejects %s', (_label, value) => {
    // Prepare
    const text = `SSN: ${value}`;
    // Act
    const result = reported(usSsnRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });

  it('does not take mixed separators or longer digit runs for an SSN', () => {
    // Prepare
    const text = 'SSN 536-22 4417, SSN 536-22-44171, SSN 1536-22-4417';
    // Act
    const result = reported(usSsnRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });

  it('accepts the issued ranges', () => {
    expect(ssnPlausible('001010001')).toBe(true);
    expect(ssnPlausible('899999999')).toBe(true);
  });
});
