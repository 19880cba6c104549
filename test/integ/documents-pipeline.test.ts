import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTesseractOcr } from '../../functions/adapters/tesseract-ocr.js';
import { analyzeText } from '../../functions/dlp/analyzer.js';
import { imageTokens } from '../../functions/model/image-tokens.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { textPdfWithMetadata, twoPageClaimForm } from '../../scripts/make-documents.js';
import { iphoneHeic } from '../../scripts/make-heic.js';
import { ledgerItems, upload } from './local-stack-client.js';

const SSN = '536-22-4417';
const digits = (s: string) => s.replace(/\D/g, '');

function imagesSent(stack: LocalStack, from: number): Buffer[] {
  const sent = (stack.simulator?.requests ?? []).slice(from).find((r) => r.imageDataUrls);
  return (sent?.imageDataUrls ?? []).map((url) => Buffer.from(url.split(',')[1] ?? '', 'base64'));
}

describe('documents (PDF) and HEIC photos through the local pipeline', () => {
  const ocr = createTesseractOcr();
  let stack: LocalStack;
  let stateDir: string;
  let claimForm: Buffer;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-documents-integ-'));
    stack = await startLocalStack({ stateDir });
    claimForm = await twoPageClaimForm();
  });

  afterAll(async () => {
    await ocr.close();
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('blocks a two-page scanned claim form whose SSN is on page 2 under the default policy, without a model call', async () => {
    // Prepare
    const before = stack.simulator?.requests.length ?? 0;
    // Act
    const key = await upload(stack, claimForm, 'application/pdf', { tenant: 'demo' });
    const event = await stack.waitForOutcome(key);
    // Assess
    const state = event.detail as PipelineState;
    expect(event.detailType).toBe('Media Rejected');
    expect(state.reason).toBe('PII_BLOCKED');
    expect(state.media?.pages).toBe(2);
    expect(state.message).toMatch(/SSN.*page 2/);
    const ssnFindings = (state.dlp?.findings ?? []).filter((f) => f.type === 'SSN');
    expect(ssnFindings.length).toBeGreaterThan(0);
    expect(ssnFindings.every((f) => f.page === 2 && f.action === 'block')).toBe(true);
    expect(stack.simulator?.requests.length ?? 0).toBe(before);
    expect(JSON.stringify(event)).not.toContain(SSN);
  });

  it('redacts the SSN on page 2 only under a redact policy, sends one image per page and bills every page', async () => {
    // Prepare
    const before = stack.simulator?.requests.length ?? 0;
    // Act
    const key = await upload(stack, claimForm, 'application/pdf', { tenant: 'redact-demo' });
    const event = await stack.waitForOutcome(key);
    // Assess: the document carries its pages and the redacted copy replaces page 2 only.
    const state = event.detail as PipelineState;
    expect(state.status).toBe('processed');
    expect(state.media?.pages).toBe(2);
    expect(state.processed?.pages).toHaveLength(2);
    expect(state.dlp?.decision).toBe('redact');
    const [page1, page2] = state.dlp?.modelInputKeys ?? [];
    expect(page1).toBe(state.processed?.pages?.[0]?.key);
    expect(page2).not.toBe(state.processed?.pages?.[1]?.key);
    // The model got two images: page 1 legible as sent, page 2 legible with no SSN left to read.
    const images = imagesSent(stack, before);
    expect(images).toHaveLength(2);
    const [read1, read2] = [
      await ocr.recognize(images[0] as Buffer),
      await ocr.recognize(images[1] as Buffer),
    ];
    expect(read1.text).toMatch(/CLAIM FORM/);
    expect(read2.text).toMatch(/CLAIMANT DETAILS/);
    expect(analyzeText(read2.text).map((f) => f.type)).not.toContain('SSN');
    expect(digits(read2.text)).not.toContain(digits(SSN));
    // Tokens: the document's image tokens are every page's, by the independent tile formula.
    const pages = state.processed?.pages ?? [];
    const expected = pages.reduce(
      (sum, p) => sum + imageTokens({ width: p.width, height: p.height, detail: 'high', model: 'gpt-4o' }),
      0,
    );
    expect(state.processed?.imageTokens?.after).toBe(expected);
    // The simulator counts the images it received with its own tile formula; the ledger item is that call's.
    const requestId = state.model?.requestIds.at(-1);
    expect(stack.simulator?.bill.find((line) => line.requestId === requestId)?.imageTokens).toBe(expected);
    const items = await ledgerItems(stack, 'redact-demo');
    expect(items.some((item) => item.sk?.S === `LEDGER#${state.executionId}#InvokeModel#${requestId}`)).toBe(
      true,
    );
  });

  it('scans a PDF text layer beside the pixels and refuses what a tenant policy does not accept', async () => {
    // Act
    const textKey = await upload(stack, textPdfWithMetadata(), 'application/pdf', { tenant: 'demo' });
    const textEvent = await stack.waitForOutcome(textKey);
    // Assess: the SSN is found in the text layer, on page 1.
    const textState = textEvent.detail as PipelineState;
    expect(textState.reason).toBe('PII_BLOCKED');
    expect(
      textState.dlp?.findings.some((f) => f.type === 'SSN' && f.source === 'text_layer' && f.page === 1),
    ).toBe(true);
    // The presign endpoint refuses PDFs and HEIC for a tenant whose policy does not take them.
    const refused = await fetch(stack.endpoints.presign, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'images-only', contentType: 'application/pdf' }),
    });
    expect(refused.status).toBe(400);
  });

  it('turns an iPhone HEIC into an upright JPEG the model receives, with the document carrying no page count', async () => {
    // Prepare
    const before = stack.simulator?.requests.length ?? 0;
    // Act
    const key = await upload(stack, iphoneHeic(), 'image/heic', { tenant: 'demo' });
    const event = await stack.waitForOutcome(key);
    // Assess
    const state = event.detail as PipelineState;
    expect(state.status).toBe('processed');
    expect(state.media?.inputType).toBe('image/heic');
    expect(state.media?.pages).toBeUndefined();
    expect(state.media?.removed).toContain('EXIF');
    const [image] = imagesSent(stack, before);
    expect(image?.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(image?.toString('latin1')).not.toContain('SN-4471');
  });
});
