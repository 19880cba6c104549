import { DetectDocumentTextCommand, TextractClient } from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createTextractOcr } from '../../../functions/adapters/textract-ocr.js';
import { analyzeText } from '../../../functions/dlp/analyzer.js';
import { boxesForSpan } from '../../../functions/dlp/scan.js';
import type { BilledRequest } from '../../../functions/ports.js';

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

  it('takes a card number found in the text Textract read to the pixel boxes of its four words', async () => {
    // Prepare: a 1000×500 page; the card number is four WORD blocks on the second line
    const image = await sharp({ create: { width: 1000, height: 500, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const group = (id: string, text: string, left: number) => ({
      BlockType: 'WORD' as const,
      Id: id,
      Text: text,
      Geometry: box(left, 0.3, 0.05, 0.04),
    });
    textract.on(DetectDocumentTextCommand).resolves({
      Blocks: [
        { BlockType: 'LINE', Id: 'l1', Relationships: [{ Type: 'CHILD', Ids: ['t1', 't2'] }] },
        {
          BlockType: 'LINE',
          Id: 'l2',
          Relationships: [{ Type: 'CHILD', Ids: ['c0', 'c1', 'c2', 'c3', 'c4'] }],
        },
        { BlockType: 'WORD', Id: 't1', Text: 'Claim', Geometry: box(0.1, 0.1, 0.08, 0.04) },
        { BlockType: 'WORD', Id: 't2', Text: 'form', Geometry: box(0.2, 0.1, 0.06, 0.04) },
        { BlockType: 'WORD', Id: 'c0', Text: 'Card:', Geometry: box(0.1, 0.3, 0.06, 0.04) },
        group('c1', '4111', 0.2),
        group('c2', '1111', 0.26),
        group('c3', '1111', 0.32),
        group('c4', '1111', 0.38),
      ],
      $metadata: { requestId: 'textract-1' },
    });
    const ocr = createTextractOcr(new TextractClient({ region: 'us-east-1' }));
    const billed: BilledRequest[] = [];
    // Act
    const result = await ocr.recognize(image, { meter: { record: (r) => billed.push(r) } });
    const card = analyzeText(result.text).find((f) => f.type === 'CREDIT_DEBIT_NUMBER');
    const boxes = card ? boxesForSpan(result.words, card.start, card.end) : [];
    // Assess
    expect(result.text).toBe('Claim form\nCard: 4111 1111 1111 1111');
    expect(card && result.text.slice(card.start, card.end)).toBe('4111 1111 1111 1111');
    // The four words of one row make one box, so the gaps between the groups are painted too.
    expect(boxes).toEqual([{ left: 200, top: 150, width: 230, height: 20 }]);
    // A span that only touches part of a word still paints that word whole.
    expect(
      boxesForSpan(result.words, result.text.indexOf('Card') + 2, result.text.indexOf('Card') + 3),
    ).toEqual([{ left: 100, top: 150, width: 60, height: 20 }]);
    expect(billed).toEqual([{ service: 'textract', quantity: 1, requestId: 'textract-1' }]);
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
