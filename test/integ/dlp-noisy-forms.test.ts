import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '../../functions/adapters/local-pii-detector.js';
import { createTesseractOcr } from '../../functions/adapters/tesseract-ocr.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { makeNoisyForms, type NoisyFormFixture } from '../../scripts/make-noisy-forms.js';
import { evaluateNoisyForm, stillLegible } from '../../scripts/ocr-eval.js';
import { upload } from './local-stack-client.js';

// One reader scans, another checks what the model would get, so nothing the first kept can help.
const ocr = createTesseractOcr();
const checker = createTesseractOcr();
let forms: NoisyFormFixture[];

beforeAll(async () => {
  forms = await makeNoisyForms();
});

afterAll(async () => {
  await Promise.all([ocr.close(), checker.close()]);
});

describe('DLP on noisy, coloured, skewed, faint and downscaled claim forms', () => {
  it('finds every seeded value, and OCR of the redacted copy reads none of them', async () => {
    // Prepare
    const detector = createLocalPiiDetector();
    // Act
    const results = [];
    for (const form of forms) results.push(await evaluateNoisyForm({ detector, ocr, checker }, form));
    // Assess: per form, so a failure names the conditions and the types, never a value
    expect(
      results.map((r) => ({ form: r.id, missed: r.missed, legible: r.legible, readable: r.readable })),
    ).toEqual(results.map((r) => ({ form: r.id, missed: [], legible: [], readable: true })));
  }, 300_000);
});

describe('noisy forms through the local pipeline under redact-demo', () => {
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-dlp-noisy-'));
    stack = await startLocalStack({ stateDir });
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('sends the model images (the 1024 px copies) in which OCR reads none of the seeded values', async () => {
    const leaks: { form: string; legible: string[] }[] = [];
    for (const form of forms) {
      // Prepare
      const before = stack.simulator?.requests.length ?? 0;
      // Act
      const key = await upload(stack, form.bytes, form.mime, { tenant: 'redact-demo' });
      const state = (await stack.waitForOutcome(key)).detail as PipelineState;
      // Assess
      expect(state.status).toBe('processed');
      expect(state.dlp?.decision).toBe('redact');
      const sent = (stack.simulator?.requests ?? []).slice(before).find((r) => r.imageDataUrl);
      const image = Buffer.from((sent?.imageDataUrl ?? '').split(',')[1] ?? '', 'base64');
      const read = await checker.recognize(image);
      // Readable, so "nothing found" means painted out, not illegible.
      expect(read.text).toMatch(/Claim reference/);
      leaks.push({
        form: form.id,
        legible: form.entities.filter((e) => stillLegible(read.text, e.type, e.value)).map((e) => e.type),
      });
    }
    expect(leaks).toEqual(forms.map((f) => ({ form: f.id, legible: [] })));
  }, 600_000);
});
