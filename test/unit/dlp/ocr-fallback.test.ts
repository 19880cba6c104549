import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../../functions/dlp/analyzer.js';
import {
  FALLBACK_SCORE,
  labelledValueFallback,
  widenOverSplitWords,
} from '../../../functions/dlp/ocr-fallback.js';

const fallback = (text: string) =>
  labelledValueFallback(text, analyzeText(text)).map((f) => [f.type, text.slice(f.start, f.end), f.score]);

describe('OCR fallback for labelled values that fail their checksum', () => {
  it('reports a misread IBAN and a misread card number after their labels', () => {
    // Prepare: OCR inserted an I into the bank code and read a space as a slash
    const text = 'Patient Intake\nIBAN: GB32 HJIBC 9212 1401 0966 25\nCard (void): 5414 8698 9886 3369/7';
    // Act
    const result = fallback(text);
    // Assess
    expect(result).toEqual([
      ['IBAN', 'GB32 HJIBC 9212 1401 0966 25', FALLBACK_SCORE],
      ['CREDIT_DEBIT_NUMBER', '5414 8698 9886 3369/7', FALLBACK_SCORE],
    ]);
  });

  it('catches an IBAN-shaped run and an e-mail split by OCR even when the label was misread', () => {
    // Prepare: "IBAN" read as "BAN", a space read as a slash, the e-mail's dot followed by a space
    const text = 'BAN: FR25 4089 0459 4846 6738 5133/322\nEmall: jo.doe@example. com';
    // Act
    const result = fallback(text);
    // Assess
    expect(result).toEqual([
      ['IBAN', 'FR25 4089 0459 4846 6738 5133/322', FALLBACK_SCORE],
      ['EMAIL', 'jo.doe@example. com', FALLBACK_SCORE],
    ]);
  });

  it('does not take codes of the wrong length or unknown countries for IBANs', () => {
    expect(fallback('Ref AB12 3456 7890 1234 5678 and DE12 3456')).toEqual([]);
  });

  it('adds nothing where a recognizer already found the value', () => {
    // Prepare
    const text =
      'SSN: 536-22-4417\nCard number: 4111 1111 1111 1111\nIBAN: DE89 3704 0044 0532 0130 00\njo@example.com';
    // Act
    const result = fallback(text);
    // Assess
    expect(result).toEqual([]);
  });

  it('ignores labels followed by words, short codes or nothing', () => {
    // Prepare
    const text = 'Card holder signature required\nSSN: pending\nIBAN: DE12\nRouting number:';
    // Act
    const result = fallback(text);
    // Assess
    expect(result).toEqual([]);
  });
});

describe('OCR findings widened over a value that OCR split into words', () => {
  const widen = (text: string, value: string) => {
    const start = text.indexOf(value);
    const [f] = widenOverSplitWords(text, [{ type: 'EMAIL', score: 0.9, start, end: start + value.length }]);
    return f ? text.slice(f.start, f.end) : '';
  };

  it('takes in the piece before a dot and the piece after an @ or a dot', () => {
    expect(widen('Email: fatima. kowalski99@claims.example.net', 'kowalski99@claims.example.net')).toBe(
      'fatima. kowalski99@claims.example.net',
    );
    expect(widen('Email: jo.doe@example. com now', 'jo.doe@example.')).toBe('jo.doe@example. com');
    expect(widen('Mail jo.doe @example.com', 'jo.doe')).toBe('jo.doe @example.com');
    expect(widen('Email: robert. patel96@claims. example. net', 'robert. patel96@claims. example')).toBe(
      'robert. patel96@claims. example. net',
    );
  });

  it('leaves a label, a plus sign and unrelated words outside the value', () => {
    expect(widen('Phone: +1 206 737 6721 today', '+1 206 737 6721')).toBe('+1 206 737 6721');
    expect(widen('Email: jo@example.com please', 'jo@example.com')).toBe('jo@example.com');
  });
});

describe('OCR fallback for an e-mail address whose @ OCR lost', () => {
  it('paints the run after an e-mail label, and leaves a label followed by words alone', () => {
    expect(fallback('Email: robert. patel96eclains. example. net\nPhone: none')).toEqual([
      ['EMAIL', 'robert. patel96eclains. example. net', FALLBACK_SCORE],
    ]);
    expect(fallback('Email: please send it to us')).toEqual([]);
  });
});

describe('OCR fallback for a date of birth OCR read without separators', () => {
  it('paints the labelled run and not a date the recognizer found', () => {
    expect(fallback('DOB: 051771990\nDate of birth: 05/17/1990')).toEqual([
      ['DATE_OF_BIRTH', '051771990', FALLBACK_SCORE],
    ]);
  });
});
