import { TextractClient } from '@aws-sdk/client-textract';
import { TranscribeClient } from '@aws-sdk/client-transcribe';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createTesseractOcr } from '../../../functions/adapters/tesseract-ocr.js';
import { createTextractOcr } from '../../../functions/adapters/textract-ocr.js';
import { createTranscribeTranscriber } from '../../../functions/adapters/transcribe-transcriber.js';
import { createOcr, createTenantTranscribers } from '../../../functions/config/adapters.js';
import { loadConfig } from '../../../functions/config/settings.js';
import { memoryBlobs } from '../../fixtures/memory-blobs.js';

// OCR and transcription are built on their first use, so DlpCheck loads their clients only for items
// that need them; the names they report before that must be the real adapters' names.
describe('adapters built on first use', () => {
  it('report the names of the adapters they stand for', async () => {
    // Act
    const textract = await createOcr(loadConfig({ MEDIAGATE_OCR: 'textract' }));
    const tesseract = await createOcr(loadConfig({ MEDIAGATE_OCR: 'tesseract' }));
    const transcribe = (await createTenantTranscribers(loadConfig({})))('acme');

    // Assess
    expect(textract?.name).toBe(createTextractOcr(new TextractClient({ region: 'us-east-1' })).name);
    expect(tesseract?.name).toBe(createTesseractOcr().name);
    expect(transcribe?.name).toBe(
      createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), { blobs: memoryBlobs() })
        .name,
    );
  });

  it('skip a smooth image and read text through the real OCR once built', async () => {
    // Prepare
    const ocr = await createOcr(loadConfig({ MEDIAGATE_OCR: 'tesseract' }));
    const smooth = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#8ac' } })
      .png()
      .toBuffer();
    const text = await sharp(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="120"><rect width="600" height="120" fill="white"/><text x="20" y="80" font-size="56" font-family="DejaVu Sans">HELLO WORLD</text></svg>',
      ),
    )
      .png()
      .toBuffer();

    // Act
    const none = await ocr?.recognize(smooth);
    const read = await ocr?.recognize(text);

    // Assess
    expect(none?.text ?? '').toBe('');
    expect(read?.text).toMatch(/HELLO\s+WORLD/);
  }, 60_000);
});
