import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { prepareForOcr } from '../../../functions/adapters/ocr-preprocess.js';
import { joinRows, misreadDigitRuns } from '../../../functions/adapters/tesseract-ocr.js';

/** A page of ruled lines (what the skew search looks for) on coloured paper, tilted `degrees` clockwise. */
async function ruledPage(degrees: number, paper = '#e3d9b8', ink = '#222', extra = ''): Promise<Buffer> {
  const rules =
    extra +
    Array.from(
      { length: 12 },
      (_, i) => `<rect x="80" y="${100 + i * 60}" width="840" height="6" fill="${ink}"/>`,
    ).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="900"><rect width="100%" height="100%" fill="${paper}"/>${rules}</svg>`;
  return sharp(Buffer.from(svg)).rotate(degrees, { background: paper }).png().toBuffer();
}

async function gray(png: Buffer, x: number, y: number): Promise<number> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  return data[Math.round(y) * info.width + Math.round(x)] ?? -1;
}

describe('OCR pre-processing', () => {
  it.each([3, -2.5, 0])('finds a skew of %s° and levels the page', async (degrees) => {
    // Act
    const prepared = await prepareForOcr(await ruledPage(degrees));
    // Assess
    expect(Math.abs(prepared.skewDegrees - degrees)).toBeLessThanOrEqual(0.2);
  });

  it.each([
    [16, 2.2, 3],
    [56, 1, 1],
  ])('upscales text of %i px so its lines are about 40 px tall (×%s–%s)', async (size, low, high) => {
    // Prepare
    const text = Array.from(
      { length: 8 },
      (_, i) =>
        `<text x="40" y="${80 + i * size * 2}" font-family="DejaVu Sans" font-size="${size}">Policy 4111 1111 Claimant Jordan</text>`,
    ).join('');
    const page = await sharp(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`,
      ),
    )
      .png()
      .toBuffer();
    // Act
    const prepared = await prepareForOcr(page);
    // Assess
    expect(prepared.width / 1000).toBeGreaterThanOrEqual(low);
    expect(prepared.width / 1000).toBeLessThanOrEqual(high);
  });

  it('levels a tilted page that has axis-aligned painted boxes on it (a redacted copy read again)', async () => {
    // Prepare: the page is tilted 3°, the boxes painted on it afterwards are not
    const tilted = await ruledPage(3);
    const meta = await sharp(tilted).metadata();
    const boxes = Array.from({ length: 5 }, (_, i) => ({
      input: { create: { width: 420, height: 40, channels: 3 as const, background: '#000' } },
      left: 400,
      top: 150 + i * 60,
    }));
    const redacted = await sharp(tilted).composite(boxes).png().toBuffer();
    // Act
    const prepared = await prepareForOcr(redacted);
    // Assess
    expect(meta.width).toBeGreaterThan(1000);
    expect(Math.abs(prepared.skewDegrees - 3)).toBeLessThanOrEqual(0.3);
  });

  it('maps boxes on the upscaled page back to the input', async () => {
    // Prepare
    const prepared = await prepareForOcr(await ruledPage(0));
    // Act
    const scale = prepared.width / 1000;
    const box = prepared.toInputBox({
      left: 80 * scale,
      top: 100 * scale,
      width: 840 * scale,
      height: 6 * scale,
    });
    // Assess
    expect(box).toEqual({ left: 80, top: 100, width: 840, height: 6 });
  });

  it('maps a box on the levelled page back onto the tilted input, where the ink is', async () => {
    // Prepare: after levelling, rules are horizontal; the middle of one must land on ink in the input
    const input = await ruledPage(3);
    const prepared = await prepareForOcr(input);
    const { data, info } = await sharp(prepared.png).raw().toBuffer({ resolveWithObject: true });
    const x = Math.round(prepared.width / 2);
    let y = 0;
    while (y < info.height && (data[y * info.width * info.channels + x * info.channels] ?? 255) > 100) y++;
    // Act
    const box = prepared.toInputBox({ left: x - 2, top: y, width: 4, height: 4 });
    // Assess
    expect(await gray(input, box.left + box.width / 2, box.top + box.height / 2)).toBeLessThan(100);
  });

  it('turns coloured paper white and faint print black', async () => {
    // Prepare
    const prepared = await prepareForOcr(await ruledPage(0, '#cfe0f0', '#8a96a0'));
    const scale = prepared.width / 1000;
    // Assess
    expect(await gray(prepared.png, 500 * scale, 130 * scale)).toBeGreaterThan(240);
    expect(await gray(prepared.png, 500 * scale, 103 * scale)).toBeLessThan(60);
  });

  it('still turns faint print black on a page with painted-out boxes (a redacted copy read again)', async () => {
    // Prepare
    const boxes = '<rect x="300" y="400" width="600" height="300" fill="#000"/>';
    const prepared = await prepareForOcr(await ruledPage(0, '#f4f4f4', '#9a9a9a', boxes));
    const scale = prepared.width / 1000;
    // Assess
    expect(await gray(prepared.png, 150 * scale, 103 * scale)).toBeLessThan(60);
    expect(await gray(prepared.png, 150 * scale, 130 * scale)).toBeGreaterThan(240);
  });
});

const word = (text: string, left: number, top = 10) => ({ text, box: { left, top, width: 40, height: 20 } });

describe('digit runs for the second, digit-only pass', () => {
  it('picks a number read with look-alike letters, with the separators of its groups', () => {
    const line = [
      word('Card:', 0),
      word('4lll', 50),
      word('1111', 100),
      word('1111', 150),
      word('1l11', 200),
    ];
    expect(misreadDigitRuns(line)).toEqual([{ from: 1, to: 5 }]);
    expect(misreadDigitRuns([word('DOB:', 0), word('O5/12/198O', 50)])).toEqual([{ from: 1, to: 2 }]);
  });

  it('leaves clean numbers, words, IBAN country codes and a name after a number alone', () => {
    expect(misreadDigitRuns([word('SSN:', 0), word('536-22-4417', 50)])).toEqual([]);
    expect(misreadDigitRuns([word('IBAN', 0), word('GB32', 50), word('HJBC', 100)])).toEqual([]);
    expect(misreadDigitRuns([word('Call', 0), word('Bill', 50), word('is', 100)])).toEqual([]);
    expect(misreadDigitRuns([word('4111', 0), word('1111', 50), word('Bill', 100)])).toEqual([]);
  });
});

describe('rows of a form', () => {
  it('puts a value read in a separate block back on the row of its label', () => {
    // Prepare: tesseract's label column, then its value column
    const labels = [[word('Claimant:', 0, 10)], [word('DOB:', 0, 60)]];
    const values = [[word('Jo', 300, 12), word('Doe', 350, 12)], [word('1980-01-02', 300, 58)]];
    // Act
    const rows = joinRows([...labels, ...values]);
    // Assess
    expect(rows.map((r) => r.map((w) => w.text).join(' '))).toEqual(['Claimant: Jo Doe', 'DOB: 1980-01-02']);
  });
});
