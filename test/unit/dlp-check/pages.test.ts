import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '../../../functions/adapters/local-pii-detector.js';
import { runDlpCheck } from '../../../functions/dlp/scan.js';
import { combinePages, parseTextLayer, textLayerInPixels } from '../../../functions/dlp-check/pages.js';
import type { Ocr } from '../../../functions/ports.js';

const detector = createLocalPiiDetector();
const SSN = '536-22-4417';
/** An OCR that reads nothing: what a text layer adds is all there is to find. */
const blindOcr: Ocr = { name: 'blind', recognize: async () => ({ text: '', words: [] }) };

const layerFile = Buffer.from(
  JSON.stringify({
    pages: [
      {
        text: 'Delivery note',
        lines: [{ text: 'Delivery note', start: 0, box: { left: 0.1, top: 0.1, width: 0.4, height: 0.05 } }],
      },
      {
        text: `Claimant\nSSN: ${SSN}`,
        lines: [
          { text: 'Claimant', start: 0, box: { left: 0.1, top: 0.1, width: 0.3, height: 0.05 } },
          { text: `SSN: ${SSN}`, start: 9, box: { left: 0.1, top: 0.5, width: 0.5, height: 0.05 } },
        ],
      },
    ],
  }),
);

async function whitePage(): Promise<Buffer> {
  return sharp({ create: { width: 200, height: 400, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
}

async function scanPages(tenant: string) {
  const layer = parseTextLayer(layerFile);
  const outcomes = [];
  for (const [index, page] of layer.pages.entries()) {
    outcomes.push(
      await runDlpCheck(
        { detector, ocr: blindOcr },
        {
          tenant,
          instructions: index === 0 ? 'describe it' : '',
          media: {
            kind: 'image',
            mime: 'image/png',
            bytes: await whitePage(),
            textLayer: textLayerInPixels(page, 200, 400),
          },
        },
      ),
    );
  }
  return outcomes;
}

describe('DlpCheck on the pages of a document', () => {
  it('maps a text layer line box from page fractions to the processed page pixels', () => {
    const page = parseTextLayer(layerFile).pages[1];
    const words = textLayerInPixels(page as NonNullable<typeof page>, 200, 400).words;
    expect(words[1]?.box).toEqual({ left: 20, top: 200, width: 100, height: 20 });
  });

  it('refuses a text layer that is not the shape ValidateAndStrip writes', () => {
    expect(() => parseTextLayer(Buffer.from('{"pages":[{"text":1}]}'))).toThrow();
  });

  it('blocks a document whose SSN is only in page 2 text layer, naming the page', async () => {
    // Act
    const combined = combinePages(await scanPages('demo'), true);
    // Assess
    expect(combined.decision).toBe('block');
    expect(combined.rejection?.reason).toBe('PII_BLOCKED');
    expect(combined.rejection?.message).toMatch(/\(page 2\)$/);
    expect(combined.findings).toContainEqual(
      expect.objectContaining({ type: 'SSN', source: 'text_layer', page: 2 }),
    );
    expect(JSON.stringify(combined)).not.toContain(SSN);
  });

  it('redacts only page 2 under a redact policy, painting the text layer line where the SSN is', async () => {
    // Act
    const outcomes = await scanPages('redact-demo');
    const combined = combinePages(outcomes, true);
    // Assess
    expect(combined.decision).toBe('redact');
    expect(outcomes[0]?.redactedImage).toBeUndefined();
    const redacted = outcomes[1]?.redactedImage;
    expect(redacted).toBeDefined();
    // The SSN line (y 200–220 on a 400 px page) is painted black; the page above it is still white.
    const { data, info } = await sharp(redacted?.bytes).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[(y * info.width + x) * info.channels] ?? -1;
    expect(at(60, 210)).toBeLessThan(40);
    expect(at(60, 100)).toBeGreaterThan(215);
  });

  it('leaves a single image outcome as it is', async () => {
    const [first] = await scanPages('demo');
    expect(combinePages([first as NonNullable<typeof first>], false)).toBe(first);
  });
});
