import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createTesseractOcr, tesseractLangPath } from '../../../functions/adapters/tesseract-ocr.js';

const ocr = createTesseractOcr();

afterAll(() => ocr.close());

async function renderLines(lines: string[]): Promise<Buffer> {
  const text = lines
    .map((l, i) => `<text x="30" y="${60 + i * 60}" font-family="DejaVu Sans" font-size="26">${l}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="700" height="${60 * lines.length + 40}"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe('tesseract OCR (real model from node_modules)', () => {
  it('reads rendered text and gives every word a box inside the image at its offset', async () => {
    // Prepare
    const image = await renderLines(['Policy number 778812', 'Signed by the insured']);
    // Act
    const result = await ocr.recognize(image);
    // Assess
    expect(result.text).toContain('Policy number 778812');
    expect(result.text).toContain('Signed by the insured');
    for (const w of result.words) {
      expect(result.text.slice(w.start, w.start + w.text.length)).toBe(w.text);
      expect(w.box.left).toBeGreaterThanOrEqual(0);
      expect(w.box.left + w.box.width).toBeLessThanOrEqual(700);
      expect(w.box.height).toBeGreaterThan(10);
    }
    const signed = result.words.find((w) => w.text === 'Signed');
    expect(signed?.box.top).toBeGreaterThan(80);
  });

  it('loads the model from node_modules, where the package put it', () => {
    expect(existsSync(join(tesseractLangPath(), 'eng.traineddata.gz'))).toBe(true);
    expect(tesseractLangPath()).toContain('node_modules');
  });

  it('fails on bytes that are not an image and still reads the next image', async () => {
    // Prepare
    const image = await renderLines(['Second attempt 4242']);
    // Act
    const failed = await ocr.recognize(Buffer.from('not an image')).then(
      () => false,
      () => true,
    );
    const result = await ocr.recognize(image);
    // Assess
    expect(failed).toBe(true);
    expect(result.text).toContain('Second attempt 4242');
  });

  it('reads WebP, which it hands to tesseract as PNG of the same size', async () => {
    // Prepare
    const webp = await sharp(await renderLines(['Invoice total 1234']))
      .webp({ lossless: true })
      .toBuffer();
    // Act
    const result = await ocr.recognize(webp);
    // Assess
    expect(result.text).toContain('Invoice total 1234');
    expect(result.words[0]?.box.top).toBeGreaterThan(30);
  });

  it('re-reads a number printed with look-alike letters digits-only, and keeps the words around it', async () => {
    // Prepare: a letter S and a letter O where digits belong, as a noisy scan makes OCR read them
    const image = await renderLines(['Card number: 4111 1S11 1O11 1111', 'Signed by Bill']);
    // Act
    const result = await ocr.recognize(image);
    // Assess
    expect(result.text).toContain('Card number: 4111 1511 1011 1111');
    expect(result.text).toContain('Signed by Bill');
    const group = result.words.find((w) => w.text === '1011');
    expect(group?.box.left).toBeGreaterThan(300);
    expect(group?.box.left).toBeLessThan(600);
  });

  it('returns no words for a blank image', async () => {
    // Prepare
    const blank = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    // Act
    const result = await ocr.recognize(blank);
    // Assess
    expect(result.words).toEqual([]);
  });
});
