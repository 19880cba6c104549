import {
  ComprehendClient,
  DetectDominantLanguageCommand,
  DetectPiiEntitiesCommand,
} from '@aws-sdk/client-comprehend';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chunkOnSentences,
  createComprehendPiiDetector,
  mapComprehendType,
} from '../../../functions/adapters/comprehend-pii-detector.js';
import type { BilledRequest } from '../../../functions/ports.js';

const comprehend = mockClient(ComprehendClient);

afterEach(() => comprehend.reset());

describe('Comprehend PII detector', () => {
  it('cuts long text between sentences under the byte limit and keeps every character', () => {
    // Prepare
    const sentence = 'This sentence is forty-four bytes in total. ';
    const text = sentence.repeat(10);
    // Act
    const chunks = chunkOnSentences(text, 100);
    // Assess
    expect(chunks.map((c) => c.text).join('')).toBe(text);
    for (const c of chunks) {
      expect(Buffer.byteLength(c.text)).toBeLessThanOrEqual(100);
      expect(text.slice(c.start, c.start + c.text.length)).toBe(c.text);
      expect(c.text.endsWith('. ')).toBe(true);
    }
  });

  it('splits a sentence longer than the limit at whitespace, counting multi-byte characters as bytes', () => {
    // Prepare
    const text = `${'héllo '.repeat(40)}end.`;
    // Act
    const chunks = chunkOnSentences(text, 50);
    // Assess
    expect(chunks.map((c) => c.text).join('')).toBe(text);
    for (const c of chunks) expect(Buffer.byteLength(c.text)).toBeLessThanOrEqual(50);
    expect(chunks.slice(0, -1).every((c) => c.text.endsWith(' '))).toBe(true);
  });

  it('maps entity offsets of every chunk back onto the whole text', async () => {
    // Prepare
    const first = 'My mail is a@example.com. ';
    const second = 'My SSN is 536-22-4417.';
    const text = first + second;
    comprehend
      .on(DetectPiiEntitiesCommand, { Text: first })
      .resolves({ Entities: [{ Type: 'EMAIL', Score: 0.9991, BeginOffset: 11, EndOffset: 24 }] })
      .on(DetectPiiEntitiesCommand, { Text: second })
      .resolves({ Entities: [{ Type: 'SSN', Score: 0.98, BeginOffset: 10, EndOffset: 21 }] });
    const detector = createComprehendPiiDetector(new ComprehendClient({ region: 'us-east-1' }), {
      maxBytes: 30,
    });
    // Act
    const findings = await detector.detect(text);
    // Assess
    expect(comprehend.commandCalls(DetectPiiEntitiesCommand)).toHaveLength(2);
    expect(findings.map((f) => [f.type, text.slice(f.start, f.end), f.score])).toEqual([
      ['EMAIL', 'a@example.com', 0.999],
      ['SSN', '536-22-4417', 0.98],
    ]);
  });

  it('corrects offsets after characters outside the BMP, which Comprehend counts as one', async () => {
    // Prepare
    const text = '😀 mail a@example.com';
    comprehend
      .on(DetectPiiEntitiesCommand)
      .resolves({ Entities: [{ Type: 'EMAIL', Score: 0.99, BeginOffset: 7, EndOffset: 20 }] });
    const detector = createComprehendPiiDetector(new ComprehendClient({ region: 'us-east-1' }));
    // Act
    const [finding] = await detector.detect(text);
    // Assess
    expect(text.slice(finding?.start, finding?.end)).toBe('a@example.com');
  });

  it('asks for the language when told to detect it and falls back to English for unsupported ones', async () => {
    // Prepare
    comprehend
      .on(DetectDominantLanguageCommand)
      .resolvesOnce({ Languages: [{ LanguageCode: 'es', Score: 0.97 }] })
      .resolvesOnce({ Languages: [{ LanguageCode: 'fr', Score: 0.99 }] });
    comprehend.on(DetectPiiEntitiesCommand).resolves({ Entities: [] });
    const detector = createComprehendPiiDetector(new ComprehendClient({ region: 'us-east-1' }), {
      languageCode: 'auto',
    });
    // Act
    await detector.detect('Hola, me llamo Ana.');
    await detector.detect('Bonjour, je suis Anne.');
    // Assess
    const languages = comprehend
      .commandCalls(DetectPiiEntitiesCommand)
      .map((c) => c.args[0].input.LanguageCode);
    expect(languages).toEqual(['es', 'en']);
  });

  it('reports every billed request with the characters it sent, language detection included', async () => {
    // Prepare
    const first = 'Hola, me llamo Ana. ';
    const second = 'Mi correo es 😀 ana@example.com.';
    comprehend
      .on(DetectDominantLanguageCommand)
      .resolves({ Languages: [{ LanguageCode: 'es', Score: 0.97 }], $metadata: { requestId: 'lang-1' } })
      .on(DetectPiiEntitiesCommand)
      .resolves({ Entities: [], $metadata: { requestId: 'pii-n' } });
    const detector = createComprehendPiiDetector(new ComprehendClient({ region: 'us-east-1' }), {
      maxBytes: 40,
    });
    const billed: BilledRequest[] = [];
    // Act
    await detector.detect(first + second, {
      languageCode: 'auto',
      meter: { record: (request) => billed.push(request) },
    });
    // Assess: the emoji is one character to Comprehend, two UTF-16 units to JavaScript
    expect(billed).toEqual([
      { service: 'comprehend', quantity: 20, requestId: 'lang-1' },
      { service: 'comprehend', quantity: 20, requestId: 'pii-n' },
      { service: 'comprehend', quantity: 31, requestId: 'pii-n' },
    ]);
    expect(
      comprehend.commandCalls(DetectPiiEntitiesCommand).map((c) => c.args[0].input.LanguageCode),
    ).toEqual(['es', 'es']);
  });

  it('makes no call for empty text and maps unknown entity types to OTHER', async () => {
    // Prepare
    const detector = createComprehendPiiDetector(new ComprehendClient({ region: 'us-east-1' }));
    // Act
    const findings = await detector.detect('   ');
    // Assess
    expect(findings).toEqual([]);
    expect(comprehend.calls()).toHaveLength(0);
    expect(mapComprehendType('INTERNATIONAL_BANK_ACCOUNT_NUMBER')).toBe('IBAN');
    expect(mapComprehendType('PIN')).toBe('OTHER');
  });
});
