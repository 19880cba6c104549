import { describe, expect, it } from 'vitest';
import { redactText } from '../../../functions/dlp/redact-text.js';

describe('text redaction', () => {
  it('replaces values with typed placeholders numbered per type, the same value sharing one', () => {
    // Prepare
    const text = 'a@x.io wrote to b@x.io; a@x.io again; SSN 536-22-4417';
    const spans = [
      { type: 'EMAIL' as const, start: 0, end: 6 },
      { type: 'EMAIL' as const, start: 16, end: 22 },
      { type: 'EMAIL' as const, start: 24, end: 30 },
      { type: 'SSN' as const, start: 42, end: 53 },
    ];
    // Act
    const result = redactText(text, spans);
    // Assess
    expect(result).toBe('<EMAIL_1> wrote to <EMAIL_2>; <EMAIL_1> again; SSN <SSN_1>');
  });

  it('gives one placeholder to one value written two ways', () => {
    // Prepare
    const text = '4111 1111 1111 1111 = 4111-1111-1111-1111; Jo@Example.com = jo@example.com';
    const spans = [
      { type: 'CREDIT_DEBIT_NUMBER' as const, start: 0, end: 19 },
      { type: 'CREDIT_DEBIT_NUMBER' as const, start: 22, end: 41 },
      { type: 'EMAIL' as const, start: 43, end: 57 },
      { type: 'EMAIL' as const, start: 60, end: 74 },
    ];
    // Act
    const result = redactText(text, spans);
    // Assess
    expect(result).toBe('<CREDIT_DEBIT_NUMBER_1> = <CREDIT_DEBIT_NUMBER_1>; <EMAIL_1> = <EMAIL_1>');
  });

  it('returns the text unchanged without spans', () => {
    expect(redactText('nothing here', [])).toBe('nothing here');
  });
});
