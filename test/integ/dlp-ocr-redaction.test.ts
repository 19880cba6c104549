import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '../../functions/adapters/local-pii-detector.js';
import { createTesseractOcr } from '../../functions/adapters/tesseract-ocr.js';
import { analyzeText } from '../../functions/dlp/analyzer.js';
import { runDlpCheck } from '../../functions/dlp/scan.js';
import { type FormFixture, makeFormFixtures } from '../../scripts/make-dlp-fixtures.js';

const ocr = createTesseractOcr();
const detector = createLocalPiiDetector();
let forms: FormFixture[];

beforeAll(async () => {
  forms = await makeFormFixtures(20261124, 3);
});

afterAll(() => ocr.close());

const digits = (s: string) => s.replace(/\D/g, '');
const entityValue = (form: FormFixture, type: string) =>
  form.entities.find((e) => e.type === type)?.value ?? '';

describe('DLP on generated claim forms with real OCR', () => {
  it('finds the SSN and the card number the form shows before anything is painted', async () => {
    for (const form of forms) {
      // Act
      const read = await ocr.recognize(form.bytes);
      // Assess
      const types = analyzeText(read.text)
        .filter((f) => f.score >= 0.5)
        .map((f) => f.type);
      expect(types).toEqual(expect.arrayContaining(['SSN', 'CREDIT_DEBIT_NUMBER']));
    }
  });

  it('under a redact policy hands over an image in which OCR finds neither number', async () => {
    for (const form of forms) {
      // Act
      const outcome = await runDlpCheck(
        { detector, ocr },
        {
          tenant: 'redact-demo',
          instructions: 'Summarise this claim',
          media: { kind: 'image', mime: form.mime, bytes: form.bytes },
        },
      );
      // Assess
      expect(outcome.decision).toBe('redact');
      expect(outcome.redactedImage?.mime).toBe(form.mime);
      const reread = await ocr.recognize(outcome.redactedImage?.bytes ?? Buffer.alloc(0));
      const found = analyzeText(reread.text).map((f) => f.type);
      expect(found).not.toContain('SSN');
      expect(found).not.toContain('CREDIT_DEBIT_NUMBER');
      const readDigits = digits(reread.text);
      expect(readDigits).not.toContain(digits(entityValue(form, 'SSN')));
      expect(readDigits).not.toContain(digits(entityValue(form, 'CREDIT_DEBIT_NUMBER')).slice(-8));
      // Only the findings are painted: the rest of the form is still there for the model.
      expect(reread.text).toMatch(/Claim reference/);
    }
  });

  it('under the default policy blocks the form with PII_BLOCKED and produces no image for the model', async () => {
    // Prepare
    const form = forms[0] as FormFixture;
    // Act
    const outcome = await runDlpCheck(
      { detector, ocr },
      {
        tenant: 'demo',
        instructions: 'Summarise this claim',
        media: { kind: 'image', mime: form.mime, bytes: form.bytes },
      },
    );
    // Assess
    expect(outcome.decision).toBe('block');
    expect(outcome.rejection?.reason).toBe('PII_BLOCKED');
    expect(outcome.redactedImage).toBeUndefined();
    expect(outcome.findings.filter((f) => f.action === 'block').map((f) => f.type)).toEqual(
      expect.arrayContaining(['SSN', 'CREDIT_DEBIT_NUMBER']),
    );
  });
});
