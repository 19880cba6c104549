import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../../functions/dlp/analyzer.js';

const typesIn = (text: string) =>
  analyzeText(text)
    .filter((f) => f.score >= 0.5)
    .map((f) => `${f.type}:${text.slice(f.start, f.end)}`);

describe('analyzer', () => {
  it('lets the nearest label decide what a bare nine-digit number is', () => {
    // Prepare
    const text = 'SSN: 536224418\nPassport: 512345678\nRouting: 021000021';
    // Act
    const result = typesIn(text);
    // Assess
    expect(result).toEqual(['SSN:536224418', 'PASSPORT_NUMBER:512345678', 'BANK_ROUTING:021000021']);
  });

  it('keeps one finding per span when recognizers overlap', () => {
    // Prepare
    const text = 'Card 4111 1111 1111 1111 and SSN 536-22-4417';
    // Act
    const findings = analyzeText(text);
    // Assess
    for (const [i, a] of findings.entries()) {
      for (const b of findings.slice(i + 1)) expect(a.end <= b.start || b.end <= a.start).toBe(true);
    }
    expect(typesIn(text)).toEqual(['CREDIT_DEBIT_NUMBER:4111 1111 1111 1111', 'SSN:536-22-4417']);
  });

  it('returns spans in text order with scores between 0 and 1', () => {
    // Prepare
    const text = 'Email a@example.com, SSN: 536-22-4417, card 4111111111111111, ip 10.0.0.1';
    // Act
    const findings = analyzeText(text);
    // Assess
    expect(findings.map((f) => f.start)).toEqual([...findings.map((f) => f.start)].sort((a, b) => a - b));
    for (const f of findings) expect(f.score).toBeGreaterThan(0);
    for (const f of findings) expect(f.score).toBeLessThanOrEqual(1);
  });

  it('finds nothing in text without personal data', () => {
    expect(typesIn('Please summarise the attached receipt and list the items bought.')).toEqual([]);
  });
});
