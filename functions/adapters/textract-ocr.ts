/**
 * OCR with Amazon Textract DetectDocumentText (synchronous, one image per call). Textract gives word
 * boxes as fractions of the page; they are turned into pixels with the image size sharp reads.
 */
import type { Block, TextractClient } from '@aws-sdk/client-textract';
import sharp from 'sharp';
import type { Ocr, OcrResult, OcrWord } from '../ports.js';

/** Formats DetectDocumentText reads from bytes; others (WebP, GIF) are sent as PNG, same pixels. */
const TEXTRACT_FORMATS = new Set(['jpeg', 'png', 'tiff']);

/** Lines of text from LINE blocks (words from their CHILD relationships) with pixel boxes per word. */
export function layoutTextractBlocks(blocks: readonly Block[], width: number, height: number): OcrResult {
  const byId = new Map(blocks.filter((b) => b.Id).map((b) => [b.Id as string, b]));
  const lines = blocks.filter((b) => b.BlockType === 'LINE');
  const wordsOfLine = (line: Block): Block[] =>
    (line.Relationships ?? [])
      .filter((r) => r.Type === 'CHILD')
      .flatMap((r) => r.Ids ?? [])
      .map((id) => byId.get(id))
      .filter((b): b is Block => b?.BlockType === 'WORD');
  const grouped = lines.length > 0 ? lines.map(wordsOfLine) : [blocks.filter((b) => b.BlockType === 'WORD')];

  const words: OcrWord[] = [];
  let text = '';
  for (const lineWords of grouped) {
    const present = lineWords.filter((w) => (w.Text ?? '') !== '');
    if (present.length === 0) continue;
    if (text !== '') text += '\n';
    present.forEach((w, i) => {
      if (i > 0) text += ' ';
      const bb = w.Geometry?.BoundingBox;
      const left = Math.round((bb?.Left ?? 0) * width);
      const top = Math.round((bb?.Top ?? 0) * height);
      words.push({
        text: w.Text as string,
        start: text.length,
        box: {
          left,
          top,
          width: Math.round(((bb?.Left ?? 0) + (bb?.Width ?? 0)) * width) - left,
          height: Math.round(((bb?.Top ?? 0) + (bb?.Height ?? 0)) * height) - top,
        },
      });
      text += w.Text;
    });
  }
  return { text, words };
}

export function createTextractOcr(client: TextractClient): Ocr {
  return {
    name: 'textract',
    async recognize(image, options) {
      const meta = await sharp(image).metadata();
      const width = meta.width ?? 0;
      const height = meta.height ?? 0;
      const bytes = TEXTRACT_FORMATS.has(meta.format ?? '') ? image : await sharp(image).png().toBuffer();
      // Imported here, not at the top: only items the text gate lets through load Textract's SDK.
      const { DetectDocumentTextCommand } = await import('@aws-sdk/client-textract');
      const out = await client.send(new DetectDocumentTextCommand({ Document: { Bytes: bytes } }));
      // An image is one page; DetectDocumentText bills per page.
      options?.meter?.record({ service: 'textract', quantity: 1, requestId: out.$metadata?.requestId });
      return layoutTextractBlocks(out.Blocks ?? [], width, height);
    },
  };
}
