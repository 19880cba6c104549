/**
 * Offline OCR: tesseract.js with the English LSTM model shipped in `@tesseract.js-data/eng`. The model
 * is read from node_modules and never fetched (an explicit `langPath` is what stops tesseract.js from
 * going to its CDN), and no cache file is written (`cacheMethod: 'none'`).
 *
 * Each image is pre-processed first (`ocr-preprocess.ts`: flat background, contrast, deskew, ~300 dpi).
 * A second, digit-only pass re-reads the runs of a line that look like a number with letters in it
 * ("4lll 1111", "O5/12/1980"): tesseract's language model prefers words, and one letter breaks a
 * checksum. It runs only on those runs (or on the whole page when the first pass read nothing), so the
 * cost is paid where it helps. Boxes are mapped back to the input image, which is what gets painted.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import Tesseract from 'tesseract.js';
import type { Ocr, OcrResult, OcrWord, PixelBox } from '../ports.js';
import { type PreparedImage, prepareForOcr } from './ocr-preprocess.js';

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
  /** Pre-process (flatten, stretch, deskew, upscale) before reading. @default true */
  readonly preprocess?: boolean;
}

export interface TesseractOcr extends Ocr {
  /** Ends the worker now (it also ends itself when idle). */
  close(): Promise<void>;
}

interface LineWord {
  readonly text: string;
  readonly box: PixelBox;
}

const union = (boxes: readonly PixelBox[]): PixelBox => {
  const left = Math.min(...boxes.map((b) => b.left));
  const top = Math.min(...boxes.map((b) => b.top));
  const right = Math.max(...boxes.map((b) => b.left + b.width));
  const bottom = Math.max(...boxes.map((b) => b.top + b.height));
  return { left, top, width: right - left, height: bottom - top };
};

/**
 * Puts lines that share a row back together, left to right. Tesseract reads a form's label column and
 * value column as separate blocks ("Date of birth:" … "Claimant:", then the values), which would part
 * every value from its label, and labels are what several recognizers need as context.
 */
export function joinRows(lines: readonly (readonly LineWord[])[]): LineWord[][] {
  const spans = lines.map((words) => ({ words, box: union(words.map((w) => w.box)) }));
  spans.sort((a, b) => a.box.top + a.box.height / 2 - (b.box.top + b.box.height / 2));
  const middle = (box: PixelBox) => box.top + box.height / 2;
  const within = (y: number, box: PixelBox) => y > box.top && y < box.top + box.height;
  const rows: { words: LineWord[]; box: PixelBox }[] = [];
  for (const span of spans) {
    // Each the other's middle inside it: a tall line of noise (a field's border read as "SE SEL") does
    // not pull two rows together, and a row keeps the extent of the line that started it.
    const row = rows.find((r) => within(middle(span.box), r.box) && within(middle(r.box), span.box));
    if (row) row.words.push(...span.words);
    else rows.push({ words: [...span.words], box: span.box });
  }
  return rows.map((r) => r.words.sort((a, b) => a.box.left - b.box.left));
}

/**
 * Words that are only the rules of a form read as glyphs ("|" for a field's border, "_" for a line to
 * write on): they carry nothing and stand between a label and its value ("Patient: | Jo Doe").
 */
const FORM_RULE = /^[|_~`'"‘’“”—–]+$/;

/** The recognised words, line by line, without empty words, form rules or empty lines. */
function pageLines(page: Tesseract.Page): LineWord[][] {
  const lines: LineWord[][] = [];
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const words = line.words
          .filter((w) => w.text.trim() !== '' && !FORM_RULE.test(w.text))
          .map((w) => ({
            text: w.text,
            box: {
              left: w.bbox.x0,
              top: w.bbox.y0,
              width: w.bbox.x1 - w.bbox.x0,
              height: w.bbox.y1 - w.bbox.y0,
            },
          }));
        if (words.length > 0) lines.push(words);
      }
    }
  }
  return joinRows(lines);
}

/** Lays words out as lines of text (words joined by spaces, lines by `\n`) and records where each starts. */
function layoutLines(lines: readonly (readonly LineWord[])[]): OcrResult {
  const words: OcrWord[] = [];
  let text = '';
  for (const line of lines) {
    if (line.length === 0) continue;
    if (text !== '') text += '\n';
    line.forEach((w, i) => {
      if (i > 0) text += ' ';
      words.push({ text: w.text, start: text.length, box: w.box });
      text += w.text;
    });
  }
  return { text, words };
}

/** Letters tesseract reads in place of a digit on a noisy scan (O/0, l/1, S/5, B/8, …). */
const LOOKALIKE_DIGIT: Readonly<Record<string, string>> = {
  O: '0',
  o: '0',
  D: '0',
  Q: '0',
  I: '1',
  l: '1',
  '|': '1',
  i: '1',
  '!': '1',
  Z: '2',
  z: '2',
  A: '4',
  S: '5',
  s: '5',
  G: '6',
  b: '6',
  T: '7',
  B: '8',
  g: '9',
  q: '9',
};
const DIGIT_LOOKALIKES = /[OoDQIl|i!ZzASsGbTBgq]/;
const DIGIT_RUN_WORD = /^[\dOoDQIl|i!ZzASsGbTBgq().,/+-]+$/;

/**
 * Runs of adjacent words on a line that read as a number with letters in it: only digits, look-alike
 * letters and separators, at least four real digits, digits the majority, and at least one look-alike.
 * A word joins a run when it has a digit, or when it is all look-alikes between two words that do
 * ("4111 lll1 1111"), so a name after a number ("Bill") stays a word.
 */
export function misreadDigitRuns(line: readonly LineWord[]): { from: number; to: number }[] {
  const hasDigit = (i: number) => {
    const text = line[i]?.text ?? '';
    return DIGIT_RUN_WORD.test(text) && /\d/.test(text);
  };
  const inRun = (i: number) =>
    hasDigit(i) || (DIGIT_RUN_WORD.test(line[i]?.text ?? '') && hasDigit(i - 1) && hasDigit(i + 1));
  const runs: { from: number; to: number }[] = [];
  let from = -1;
  for (let i = 0; i <= line.length; i++) {
    if (i < line.length && inRun(i)) {
      if (from < 0) from = i;
      continue;
    }
    if (from >= 0) {
      const text = line
        .slice(from, i)
        .map((w) => w.text)
        .join('');
      const digits = text.replace(/\D/g, '').length;
      const lookalikes = [...text].filter((c) => DIGIT_LOOKALIKES.test(c)).length;
      if (digits >= 4 && lookalikes > 0 && digits > lookalikes * 2) runs.push({ from, to: i });
    }
    from = -1;
  }
  return runs;
}

export function createTesseractOcr(options: TesseractOcrOptions = {}): TesseractOcr {
  const idleMs = options.idleMs ?? 2000;
  const preprocess = options.preprocess ?? true;
  let worker: Promise<Tesseract.Worker> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let running = 0;
  // Passes change the worker's parameters, so one image is read at a time.
  let queue: Promise<unknown> = Promise.resolve();

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

  const read = async (
    w: Tesseract.Worker,
    image: Buffer,
    mode: Tesseract.PSM,
    whitelist = '',
  ): Promise<LineWord[][]> => {
    // Uploads carry no trustworthy resolution (sharp writes none, some JPEGs say 25 dpi); the prepared
    // image is sized as ~300 dpi print, so that is what tesseract is told instead of guessing.
    await w.setParameters({
      tessedit_pageseg_mode: mode,
      tessedit_char_whitelist: whitelist,
      user_defined_dpi: '300',
    });
    const result = await w.recognize(image, {}, { blocks: true, text: false });
    return pageLines(result.data);
  };

  /** Re-reads one run of a line, digits only, from a crop with a white border; words in page coordinates. */
  const rereadDigits = async (
    w: Tesseract.Worker,
    page: Buffer,
    run: readonly LineWord[],
  ): Promise<LineWord[]> => {
    const box = union(run.map((r) => r.box));
    const meta = await sharp(page).metadata();
    const pad = Math.round(box.height * 0.5);
    const left = Math.max(0, box.left - pad);
    const top = Math.max(0, box.top - pad);
    const width = Math.min((meta.width ?? 0) - left, box.width + 2 * pad);
    const height = Math.min((meta.height ?? 0) - top, box.height + 2 * pad);
    if (width <= 0 || height <= 0) return [...run];
    const crop = await sharp(page)
      .extract({ left, top, width, height })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#ffffff' })
      .png()
      .toBuffer();
    const words = (await read(w, crop, Tesseract.PSM.SINGLE_LINE, '0123456789-/.,()+')).flat();
    if (words.length === 0) return [...run];
    const reread = words.map((word) => word.text).join('');
    if (reread.length === run.map((word) => word.text).join('').length) {
      // As many characters as the first pass read: a correction of look-alikes, so the first pass's
      // word breaks and boxes stay (a line pass can drop spaces). Where it read a separator in place of
      // a look-alike ("1l11" as "1/11"), the look-alike's own digit is taken instead.
      let at = 0;
      return run.map((word) => {
        const text = [...word.text]
          .map((first, i) => {
            const second = reread[at + i] ?? first;
            return /\d/.test(second) ? second : (LOOKALIKE_DIGIT[first] ?? first);
          })
          .join('');
        at += word.text.length;
        return { text, box: word.box };
      });
    }
    return words.map((word) => ({
      text: word.text,
      box: { ...word.box, left: word.box.left + left - pad, top: word.box.top + top - pad },
    }));
  };

  const recognizeNow = async (image: Buffer): Promise<OcrResult> => {
    const prepared: PreparedImage | undefined = preprocess ? await prepareForOcr(image) : undefined;
    const input = prepared?.png ?? (await toTesseractInput(image));
    const w = await getWorker();
    let lines = await read(w, input, Tesseract.PSM.AUTO);
    // Page layout analysis can drop everything on a busy background; sparse text finds scattered fields.
    if (lines.length === 0 && prepared) lines = await read(w, input, Tesseract.PSM.SPARSE_TEXT);
    if (prepared) {
      for (const [i, line] of lines.entries()) {
        const runs = misreadDigitRuns(line);
        if (runs.length === 0) continue;
        const rebuilt: LineWord[] = [];
        let at = 0;
        for (const run of runs) {
          rebuilt.push(...line.slice(at, run.from));
          rebuilt.push(...(await rereadDigits(w, input, line.slice(run.from, run.to))));
          at = run.to;
        }
        rebuilt.push(...line.slice(at));
        lines[i] = rebuilt;
      }
    }
    const toInput = (box: PixelBox) => prepared?.toInputBox(box) ?? box;
    return layoutLines(
      lines.map((line) => line.map((word) => ({ text: word.text, box: toInput(word.box) }))),
    );
  };

  return {
    name: 'tesseract.js',
    recognize(image) {
      const job = queue.then(async () => {
        if (idleTimer) clearTimeout(idleTimer);
        running++;
        try {
          return await recognizeNow(image);
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
      });
      queue = job.catch(() => {});
      return job;
    },
    close,
  };
}
