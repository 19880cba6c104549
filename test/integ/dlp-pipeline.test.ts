import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTesseractOcr } from '../../functions/adapters/tesseract-ocr.js';
import { analyzeText } from '../../functions/dlp/analyzer.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { NPM_FFMPEG } from '../../scripts/fixture-tools.js';
import { type FormFixture, makeFormFixtures } from '../../scripts/make-dlp-fixtures.js';
import { upload } from './local-stack-client.js';

const digits = (s: string) => s.replace(/\D/g, '');
const entityValue = (form: FormFixture, type: string) =>
  form.entities.find((e) => e.type === type)?.value ?? '';

describe('DLP in the pipeline on the local stack', () => {
  const ocr = createTesseractOcr();
  let stack: LocalStack;
  let stateDir: string;
  let form: FormFixture;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-dlp-integ-'));
    stack = await startLocalStack({ stateDir });
    [form] = (await makeFormFixtures(20261124, 1)) as [FormFixture];
  });

  afterAll(async () => {
    await ocr.close();
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('sends the model a form in which OCR finds neither the SSN nor the card number under a redact policy', async () => {
    // Prepare
    const before = stack.simulator?.requests.length ?? 0;
    // Act
    const key = await upload(stack, form.bytes, form.mime, { tenant: 'redact-demo' });
    const event = await stack.waitForOutcome(key);
    // Assess
    const state = event.detail as PipelineState;
    expect(state.status).toBe('processed');
    expect(state.dlp?.decision).toBe('redact');
    expect(state.dlp?.modelInputKey).not.toBe(state.processed?.key);
    const sent = (stack.simulator?.requests ?? []).slice(before).find((r) => r.imageDataUrl);
    const image = Buffer.from((sent?.imageDataUrl ?? '').split(',')[1] ?? '', 'base64');
    expect(image.length).toBeGreaterThan(0);
    const read = await ocr.recognize(image);
    // The image is readable (so "nothing found" means painted out, not illegible) and was not blanked.
    expect(read.text).toMatch(/Claim reference/);
    const types = analyzeText(read.text).map((f) => f.type);
    expect(types).not.toContain('SSN');
    expect(types).not.toContain('CREDIT_DEBIT_NUMBER');
    expect(digits(read.text)).not.toContain(digits(entityValue(form, 'SSN')));
    expect(digits(read.text)).not.toContain(digits(entityValue(form, 'CREDIT_DEBIT_NUMBER')).slice(-8));
  });

  it('rejects the same form with PII_BLOCKED under the default policy and never calls the model', async () => {
    // Prepare
    const before = stack.simulator?.requests.length ?? 0;
    // Act
    const key = await upload(stack, form.bytes, form.mime, { tenant: 'demo' });
    const event = await stack.waitForOutcome(key);
    // Assess
    const state = event.detail as PipelineState;
    expect(event.detailType).toBe('Media Rejected');
    expect(state.status).toBe('rejected');
    expect(state.reason).toBe('PII_BLOCKED');
    expect(state.model).toBeUndefined();
    expect(stack.simulator?.requests.length ?? 0).toBe(before);
    expect(JSON.stringify(event)).not.toContain(entityValue(form, 'SSN'));
  });

  it('rejects a voice note as AUDIO_NOT_SCANNED offline, unless the tenant policy lets unscanned audio through', async () => {
    // Prepare: one second of tone; offline there is no recogniser, whatever is said
    const wav = execFileSync(
      NPM_FFMPEG,
      ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-f', 'wav', '-'],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    // Act
    const blocked = (await stack.waitForOutcome(await upload(stack, wav, 'audio/wav', { tenant: 'demo' })))
      .detail as PipelineState;
    const allowed = (
      await stack.waitForOutcome(await upload(stack, wav, 'audio/wav', { tenant: 'audio-unscanned-ok' }))
    ).detail as PipelineState;
    // Assess
    expect(blocked).toMatchObject({
      status: 'rejected',
      reason: 'AUDIO_NOT_SCANNED',
      dlp: { transcriptScanned: false },
    });
    expect(allowed).toMatchObject({
      status: 'processed',
      dlp: { decision: 'allow', transcriptScanned: false },
    });
  });
});
