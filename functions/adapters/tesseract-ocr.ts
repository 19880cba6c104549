/**
 * Offline OCR: tesseract.js with the English LSTM model shipped in `@tesseract.js-data/eng`. The model
 * is read from node_modules and never fetched (an explicit `langPath` is what stops tesseract.js from
 * going to its CDN), and no cache file is written (`cacheMethod: 'none'`).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import Tesseract from 'tesseract.js';
import type { Ocr, OcrResult, OcrWord } from '../ports.js';

const require = createRequire(import.meta.url);

/** Formats Leptonica (inside tesseract.js) decodes itself; others (WebP, GIF, AVIF) go in as PNG. */
const LEPTONICA_FORMATS = new Set(['png', 'jpeg', 'tiff']);

/**
 * Checks with sharp that the bytes are an image (so a bad upload fails here with a clear error and not
 * inside the WASM module) and hands tesseract a format it reads, with the same pixels and size.
 */
async function toTesseractInput(image: Buffer): Promise<Buffer> {
  const meta = await sharp(image).metadata();
  return LEPTONICA_FORMATS.has(meta.format ?? '') ? image : sharp(image).png().toBuffer();
}

/** Folder holding `eng.traineddata.gz` (the integer "best" LSTM model, tesseract.js's own default). */
export function tesseractLangPath(): string {
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

export interface TesseractOcrOptions {
  /**
   * The worker thread keeps a process alive, so it is ended after this long without work and started
   * again on the next image. @default 2000
   */
  readonly idleMs?: number;
}

export interface TesseractOcr extends Ocr {
  /** Ends the worker now (it also ends itself when idle). */
  close(): Promise<void>;
}

/** Lays the recognised words out as lines of text and records where each word starts. */
export function layoutWords(page: Tesseract.Page): OcrResult {
  const words: OcrWord[] = [];
  let text = '';
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const lineWords = line.words.filter((w) => w.text.trim() !== '');
        if (lineWords.length === 0) continue;
        if (text !== '') text += '\n';
        lineWords.forEach((w, i) => {
          if (i > 0) text += ' ';
          const { x0, y0, x1, y1 } = w.bbox;
          words.push({
            text: w.text,
            start: text.length,
            box: { left: x0, top: y0, width: x1 - x0, height: y1 - y0 },
          });
          text += w.text;
        });
      }
    }
  }
  return { text, words };
}

export function createTesseractOcr(options: TesseractOcrOptions = {}): TesseractOcr {
  const idleMs = options.idleMs ?? 2000;
  let worker: Promise<Tesseract.Worker> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let running = 0;

  const close = async (): Promise<void> => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    const current = worker;
    worker = undefined;
    if (current) await (await current).terminate();
  };

  const getWorker = (): Promise<Tesseract.Worker> => {
    worker ??= Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
      langPath: tesseractLangPath(),
      gzip: true,
      cacheMethod: 'none',
      logger: () => {},
      errorHandler: () => {},
    });
    return worker;
  };

  return {
    name: 'tesseract.js',
    async recognize(image) {
      const input = await toTesseractInput(image);
      if (idleTimer) clearTimeout(idleTimer);
      running++;
      try {
        const w = await getWorker();
        const result = await w.recognize(input, {}, { blocks: true, text: false });
        return layoutWords(result.data);
      } catch (error) {
        // A worker that failed once (bad image, crashed thread) is not trusted with the next image.
        await close().catch(() => {});
        throw error;
      } finally {
        running--;
        if (running === 0) {
          idleTimer = setTimeout(() => void close(), idleMs);
          idleTimer.unref();
        }
      }
    },
    close,
  };
}
