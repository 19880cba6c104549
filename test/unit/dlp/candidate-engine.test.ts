import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../../functions/dlp/analyzer.js';

const found = (text: string, options = {}) =>
  analyzeText(text, undefined, options)
    .filter((f) => f.score >= 0.5)
    .map((f) => [f.type, text.slice(f.start, f.end)]);

describe('candidate engine', () => {
  it('finds an IBAN whose greedy match ran into a currency code', () => {
    expect(found('Send to DE89 3704 0044 0532 0130 00 EUR today')).toEqual([
      ['IBAN', 'DE89 3704 0044 0532 0130 00'],
    ]);
  });

  it('finds two cards in a row written in different groupings', () => {
    expect(found('cards 4111 1111 1111 1111 5500-0000-0000-0004')).toEqual([
      ['CREDIT_DEBIT_NUMBER', '4111 1111 1111 1111'],
      ['CREDIT_DEBIT_NUMBER', '5500-0000-0000-0004'],
    ]);
  });

  it('reports no card inside an IBAN that fails its check', () => {
    expect(found('IBAN AO85 6071 2832 4347 8628 7912 3 rejected')).toEqual([]);
  });

  it('covers the whole of an IPv6 address with an embedded IPv4 or a zone id', () => {
    expect(found('host ::ffff:192.0.2.128 and fe80::1%eth0')).toEqual([
      ['IP_ADDRESS', '::ffff:192.0.2.128'],
      ['IP_ADDRESS', 'fe80::1%eth0'],
    ]);
  });

  it('reads context glued to a word or abbreviated', () => {
    expect(found('passportnumber A12345678; lic. A123-4567-8901; DL#D1234567')).toEqual([
      ['PASSPORT_NUMBER', 'A12345678'],
      ['DRIVER_ID', 'A123-4567-8901'],
      ['DRIVER_ID', 'D1234567'],
    ]);
  });

  it("reads a national number of another region when a word says it is a phone, and any in the policy's regions", () => {
    expect(found('Tel: 020 7946 0958')).toEqual([['PHONE', '020 7946 0958']]);
    expect(found('携帯 090-1234-5678 までご連絡ください。')).toEqual([['PHONE', '090-1234-5678']]);
    expect(found('Quote 020 7946 0958 in the subject.')).toEqual([]);
    expect(found('Quote 020 7946 0958 in the subject.', { phoneRegions: ['GB'] })).toEqual([
      ['PHONE', '020 7946 0958'],
    ]);
  });

  it('keeps a name whole across accents, apostrophes and inner capitals', () => {
    expect(found("Ms. Siobhán O'Connell and Mr. Tomasz Wiśniewski met Dr. Ian McDonald.")).toEqual([
      ['NAME', "Siobhán O'Connell"],
      ['NAME', 'Tomasz Wiśniewski'],
      ['NAME', 'Ian McDonald'],
    ]);
  });

  it('reads a birth date with a two-digit year or a month name between dashes, next to a birth-date word', () => {
    expect(found('dob 4/9/77')).toEqual([['DATE_OF_BIRTH', '4/9/77']]);
    expect(found('Birth date: 22-Aug-1958')).toEqual([['DATE_OF_BIRTH', '22-Aug-1958']]);
    expect(found('Invoice 4/9/77 paid.')).toEqual([]);
  });

  it('finds a name after a cue word whose surname is in no lexicon, and no name in "Customer Service"', () => {
    expect(found('Customer Jordan Quillfeather called. Customer Service replied.')).toEqual([
      ['NAME', 'Jordan Quillfeather'],
    ]);
  });
});
