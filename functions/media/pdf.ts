/**
 * PDF in, pixels out. A PDF is opened with MuPDF's WebAssembly build (`mupdf`, imported on the first PDF
 * only, so functions that never see one load none of its 10 MB), checked against the limits before a
 * single page is rendered, and every page is rendered to an RGB raster at the size the model will be
 * sent. Only those pixels leave this module, with the page's text layer for DLP: JavaScript, launch and
 * open actions, embedded files, annotations, form widgets, Info and XMP metadata never reach an output,
 * because nothing of the PDF is copied, only what its page content paints.
 */
import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import type { MediaLimits } from './limits.js';

type MuPdf = typeof import('mupdf');
type MuPdfDocument = InstanceType<MuPdf['PDFDocument']>;

let mupdfModule: Promise<MuPdf> | undefined;
/** MuPDF prints warnings (repairs, broken objects) through this hook; a PDF that needs repair is CORRUPT. */
let collectLog: ((message: string) => void) | undefined;

function loadMupdf(): Promise<MuPdf> {
  mupdfModule ??= import('mupdf').then((mupdf) => {
    mupdf.setLog({
      warning: (message) => collectLog?.(message),
      error: (message) => collectLog?.(message),
    });
    return mupdf;
  });
  return mupdfModule;
}

/** The page as a raster: tightly packed RGB, `width × height × 3` bytes. */
export interface RenderedPage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Buffer;
  /** The page's own text layer (empty for a scan); PII in it is as real as PII in the pixels. */
  readonly text: string;
  /** Where each line of `text` is on the page, so DLP can paint a finding in it out. */
  readonly lines: readonly TextLayerLine[];
}

/** One line of a text layer: its offset in the page's text and its box in fractions of the page (0–1). */
export interface TextLayerLine {
  readonly text: string;
  readonly start: number;
  readonly box: {
    readonly left: number;
    readonly top: number;
    readonly width: number;
    readonly height: number;
  };
}

export interface PdfOpened {
  readonly pages: readonly RenderedPage[];
  /** Names of what was in the file and is not in the output (never values). */
  readonly removed: string[];
}

export type PdfOutcome = { ok: true; pdf: PdfOpened } | { ok: false; rejection: Rejection };

export interface PdfRenderOptions {
  /** Chooses each page's raster size from its size in points (the token-aware plan Preprocess uses). */
  readonly planPage: (widthPt: number, heightPt: number) => { width: number; height: number };
  /** Wall-clock budget for opening and rendering every page. @default 30 000 ms */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Opens, checks and renders. Order matters: encryption and structure first (no page is loaded before the
 * trailer is read), then the page count, then every page's size, and only then any rendering, so a
 * page-count or page-size bomb costs a header read. MuPDF renders synchronously, so the time budget is
 * checked between pages; the size limits are what bound any single page.
 */
export async function renderPdf(
  input: Buffer,
  limits: MediaLimits,
  options: PdfRenderOptions,
): Promise<PdfOutcome> {
  const mupdf = await loadMupdf();
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const problems: string[] = [];
  collectLog = (message) => problems.push(message);
  let doc: MuPdfDocument | undefined;
  try {
    try {
      doc = new mupdf.PDFDocument(input);
    } catch {
      return corrupt();
    }
    if (doc.getTrailer().get('Encrypt').isNull() === false || doc.needsPassword()) {
      return {
        ok: false,
        rejection: reject('ENCRYPTED', 'the PDF is encrypted; upload an unprotected copy'),
      };
    }
    // MuPDF repairs a broken cross-reference table silently and says so only in its log: a file that
    // needed repair is truncated or damaged, and what it would render is a guess.
    if (problems.length > 0) return corrupt();
    let pageCount: number;
    try {
      pageCount = doc.countPages();
    } catch {
      return corrupt();
    }
    if (pageCount <= 0) return corrupt('the PDF has no pages');
    if (pageCount > limits.maxPages) {
      return limit(`the PDF has ${pageCount} pages; the limit is ${limits.maxPages}`);
    }
    const sizes: { widthPt: number; heightPt: number }[] = [];
    for (let index = 0; index < pageCount; index++) {
      const [x0, y0, x1, y1] = doc.loadPage(index).getBounds();
      const widthPt = x1 - x0;
      const heightPt = y1 - y0;
      if (!(widthPt > 0 && heightPt > 0)) return corrupt(`page ${index + 1} has no size`);
      if (widthPt > limits.maxPagePoints || heightPt > limits.maxPagePoints) {
        return limit(
          `page ${index + 1} is ${Math.round(widthPt)}×${Math.round(heightPt)} pt; the limit is ` +
            `${limits.maxPagePoints} pt per side`,
        );
      }
      sizes.push({ widthPt, heightPt });
    }
    const plans = sizes.map((size) => options.planPage(size.widthPt, size.heightPt));
    for (const [index, plan] of plans.entries()) {
      if (plan.width > limits.maxWidthOrHeight || plan.height > limits.maxWidthOrHeight) {
        return limit(`page ${index + 1} would render wider than ${limits.maxWidthOrHeight} px`);
      }
      if (plan.width * plan.height > limits.maxPixels) {
        return limit(`page ${index + 1} would render to more than ${limits.maxPixels} pixels`);
      }
    }
    if (problems.length > 0) return corrupt();

    const removed = documentParts(doc, pageCount);
    const pages: RenderedPage[] = [];
    for (const [index, plan] of plans.entries()) {
      if (Date.now() > deadline) return limit('rendering the PDF took too long');
      const size = sizes[index] as { widthPt: number; heightPt: number };
      const page = doc.loadPage(index);
      const matrix = mupdf.Matrix.scale(plan.width / size.widthPt, plan.height / size.heightPt);
      // showExtras = false: annotations and form widgets are not painted, only the page's own content.
      const pixmap = page.toPixmap(matrix, mupdf.ColorSpace.DeviceRGB, false, false);
      const layer = textLayer(page.toStructuredText('preserve-whitespace').asJSON(), page.getBounds());
      pages.push({ ...packedRgb(pixmap), ...layer });
      pixmap.destroy();
      page.destroy();
      if (problems.length > 0) return corrupt();
    }
    return { ok: true, pdf: { pages, removed } };
  } catch {
    // A structure MuPDF could parse but not render: broken content streams, bad fonts, missing objects.
    return corrupt();
  } finally {
    collectLog = undefined;
    doc?.destroy();
  }
}

interface StructuredTextJson {
  readonly blocks?: readonly {
    readonly lines?: readonly {
      readonly text?: string;
      readonly bbox?: { x: number; y: number; w: number; h: number };
    }[];
  }[];
}

/** The page's text, one line a row, with each line's box relative to the page. */
function textLayer(json: string, bounds: readonly number[]): { text: string; lines: TextLayerLine[] } {
  const [x0 = 0, y0 = 0, x1 = 1, y1 = 1] = bounds;
  const width = x1 - x0 || 1;
  const height = y1 - y0 || 1;
  const lines: TextLayerLine[] = [];
  let text = '';
  for (const block of (JSON.parse(json) as StructuredTextJson).blocks ?? []) {
    for (const line of block.lines ?? []) {
      if (!line.text || !line.bbox) continue;
      if (text !== '') text += '\n';
      lines.push({
        text: line.text,
        start: text.length,
        box: {
          left: (line.bbox.x - x0) / width,
          top: (line.bbox.y - y0) / height,
          width: line.bbox.w / width,
          height: line.bbox.h / height,
        },
      });
      text += line.text;
    }
  }
  return { text, lines };
}

type MuPixmap = ReturnType<InstanceType<MuPdf['Page']>['toPixmap']>;

/** MuPDF rows may be padded (and carry alpha or spot colours); the next step wants `width × 3` bytes a row. */
function packedRgb(pixmap: MuPixmap): { width: number; height: number; rgb: Buffer } {
  const width = pixmap.getWidth();
  const height = pixmap.getHeight();
  const stride = pixmap.getStride();
  const components = pixmap.getNumberOfComponents();
  const pixels = pixmap.getPixels();
  const row = width * 3;
  const rgb = Buffer.alloc(row * height);
  if (components === 3) {
    // The usual case: copy row by row (the view is into wasm memory, which the next render reuses).
    for (let y = 0; y < height; y++) rgb.set(pixels.subarray(y * stride, y * stride + row), y * row);
    return { width, height, rgb };
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = y * stride + x * components;
      const to = (y * width + x) * 3;
      rgb[to] = pixels[from] ?? 0;
      rgb[to + 1] = pixels[from + 1] ?? 0;
      rgb[to + 2] = pixels[from + 2] ?? 0;
    }
  }
  return { width, height, rgb };
}

type MuPdfObject = ReturnType<MuPdfDocument['getTrailer']>;

/** `dict[key]`, resolved; undefined when `dict` is not a dictionary or the entry is null. */
function entry(dict: MuPdfObject | undefined, key: string): MuPdfObject | undefined {
  if (!dict?.isDictionary()) return undefined;
  const value = dict.get(key);
  return value.isNull() ? undefined : value.resolve();
}

/** The document information dictionary's standard entries (PDF 32000-1, 14.3.3). */
const INFO_KEYS = [
  'Title',
  'Author',
  'Subject',
  'Keywords',
  'Creator',
  'Producer',
  'CreationDate',
  'ModDate',
];

/** What the PDF carried besides its pages' content, by name (for `removed`). */
function documentParts(doc: MuPdfDocument, pageCount: number): string[] {
  const names = new Set<string>();
  const trailer = doc.getTrailer();
  const info = entry(trailer, 'Info');
  if (INFO_KEYS.some((key) => entry(info, key))) names.add('PDF:Info');
  const root = entry(trailer, 'Root');
  if (entry(root, 'Metadata')) names.add('XMP');
  const openAction = entry(root, 'OpenAction');
  if (openAction) names.add('PDF:OpenAction');
  if (entry(root, 'AA')) names.add('PDF:AdditionalActions');
  const nameTree = entry(root, 'Names');
  if (entry(nameTree, 'JavaScript') || actionIs(openAction, 'JavaScript')) names.add('PDF:JavaScript');
  if (actionIs(openAction, 'Launch')) names.add('PDF:Launch');
  if (entry(nameTree, 'EmbeddedFiles')) names.add('PDF:EmbeddedFile');
  if (entry(root, 'AcroForm')) names.add('PDF:AcroForm');
  for (let index = 0; index < pageCount; index++) {
    const page = doc.findPage(index);
    const annots = entry(page, 'Annots');
    if (annots?.isArray() && annots.length > 0) names.add('PDF:Annotations');
    if (entry(page, 'AA')) names.add('PDF:AdditionalActions');
  }
  return [...names].sort();
}

function actionIs(action: MuPdfObject | undefined, type: string): boolean {
  const subtype = entry(action, 'S');
  return subtype?.isName() === true && subtype.asName() === type;
}

function corrupt(message = 'the PDF is truncated or corrupt'): PdfOutcome {
  return { ok: false, rejection: reject('CORRUPT', message) };
}

function limit(message: string): PdfOutcome {
  return { ok: false, rejection: reject('LIMIT_EXCEEDED', message) };
}
