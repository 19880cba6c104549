import { DetectDocumentTextCommand, TextractClient } from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createTextractOcr } from '../../../../functions/shared/adapters/textract-ocr.js';

const textract = mockClient(TextractClient);

afterEach(() => textract.reset());

const box = (Left: number, Top: number, Width: number, Height: number) => ({
  BoundingBox: { Left, Top, Width, Height },
});

describe('Textract OCR', () => {
  it('builds lines from LINE blocks and turns word boxes from page fractions into pixels', async () => {
    // Prepare
    const image = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    textract.on(DetectDocumentTextCommand).resolves({
      Blocks: [
        { BlockType: 'PAGE', Id: 'p' },
        { BlockType: 'LINE', Id: 'l1', Relationships: [{ Type: 'CHILD', Ids: ['w1', 'w2'] }] },
        { BlockType: 'LINE', Id: 'l2', Relationships: [{ Type: 'CHILD', Ids: ['w3'] }] },
        { BlockType: 'WORD', Id: 'w1', Text: 'SSN:', Geometry: box(0.05, 0.1, 0.1, 0.05) },
        { BlockType: 'WORD', Id: 'w2', Text: '536-22-4417', Geometry: box(0.2, 0.1, 0.25, 0.05) },
        { BlockType: 'WORD', Id: 'w3', Text: 'Signed', Geometry: box(0.05, 0.5, 0.15, 0.06) },
      ],
    });
    const ocr = createTextractOcr(new TextractClient({ region: 'us-east-1' }));
    // Act
    const result = await ocr.recognize(image);
    // Assess
    expect(result.text).toBe('SSN: 536-22-4417\nSigned');
    expect(result.words).toEqual([
      { text: 'SSN:', start: 0, box: { left: 40, top: 40, width: 80, height: 20 } },
      { text: '536-22-4417', start: 5, box: { left: 160, top: 40, width: 200, height: 20 } },
      { text: 'Signed', start: 17, box: { left: 40, top: 200, width: 120, height: 24 } },
    ]);
  });

  it('sends WebP as PNG, a format DetectDocumentText reads', async () => {
    // Prepare
    const webp = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } })
      .webp()
      .toBuffer();
    textract.on(DetectDocumentTextCommand).resolves({ Blocks: [] });
    const ocr = createTextractOcr(new TextractClient({ region: 'us-east-1' }));
    // Act
    const result = await ocr.recognize(webp);
    // Assess
    const sent = textract.commandCalls(DetectDocumentTextCommand)[0]?.args[0].input.Document?.Bytes;
    expect((await sharp(Buffer.from(sent ?? [])).metadata()).format).toBe('png');
    expect(result).toEqual({ text: '', words: [] });
  });
});
