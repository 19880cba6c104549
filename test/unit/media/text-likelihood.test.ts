import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { textLikelihood } from '../../../functions/media/text-likelihood.js';
import { useFixtureFonts } from '../../../scripts/fixture-fonts.js';

useFixtureFonts();

const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'samples');

function svg(body: string, background = '#c8d4e0'): Promise<Buffer> {
  return sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="768"><rect width="1024" height="768" fill="${background}"/>${body}</svg>`,
    ),
  )
    .jpeg({ quality: 85 })
    .toBuffer();
}

describe('whether an image may hold text (the gate before OCR)', () => {
  it('lets a smooth image with large shapes skip OCR', async () => {
    const image = await svg(
      '<circle cx="500" cy="380" r="160" fill="#35507a"/><rect x="80" y="80" width="200" height="120" fill="#a44"/>',
    );
    expect((await textLikelihood(image)).mayContainText).toBe(false);
  });

  it('sends the scanned claim form to OCR', async () => {
    expect((await textLikelihood(readFileSync(join(SAMPLES, 'claim-form.png')))).mayContainText).toBe(true);
  });

  it('sends one short line of small, faint text on a smooth photo to OCR', async () => {
    // 12 px grey-on-grey text: about 40 levels of contrast, as a faded label would be
    const image = await svg(
      '<circle cx="500" cy="380" r="160" fill="#35507a"/><text x="620" y="700" font-family="DejaVu Sans" font-size="12" fill="#9aa6b2">DOB 04/12/1987</text>',
    );
    expect((await textLikelihood(image)).mayContainText).toBe(true);
  });

  it('sends a textured or noisy image to OCR, since it cannot tell', async () => {
    const noise = Buffer.alloc(256 * 256 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2_654_435_761) % 251;
    const image = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } })
      .png()
      .toBuffer();
    expect((await textLikelihood(image)).mayContainText).toBe(true);
  });
});
