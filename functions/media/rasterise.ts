/**
 * Formats no later step reads (PDF, HEIC) become rasters here, once, and leave ValidateAndStrip as
 * JPEG/PNG: a PDF as one image per page, at the token-aware size Preprocess would choose for it; a HEIC
 * as the upright photo. Everything after this sees ordinary images.
 */
import type { Sharp } from 'sharp';
import sharp from 'sharp';
import type { Rejection } from '../pipeline/reasons.js';
import type { ImageDetail } from '../ports.js';
import { decodeHeic } from './heic.js';
import { MODEL_IMAGE_MAX_SIDE } from './image.js';
import type { MediaLimits } from './limits.js';
import { renderPdf, type TextLayerLine } from './pdf.js';
import type { RasterisedFormat } from './sniff.js';
import { fitForTokens } from './token-fit.js';

/** Decoded pixels, tightly packed. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly pixels: Buffer;
  /** A PDF page's text layer (empty when the page is a scan), and where each line of it is. */
  readonly text?: string;
  readonly lines?: readonly TextLayerLine[];
}

export interface Rasterised {
  /** One per PDF page; one for a HEIC. */
  readonly pages: readonly Raster[];
  /** True for a PDF: the output is a set of pages, even when there is one. */
  readonly paged: boolean;
  readonly removed: string[];
}

export type RasteriseOutcome = ({ ok: true } & Rasterised) | { ok: false; rejection: Rejection };

export interface RasterisePlan {
  /** @default 1024 */
  readonly maxLongSide?: number;
  /** @default 'high' */
  readonly detail?: ImageDetail;
  /** @default 'gpt-4o' */
  readonly model?: string;
}

/**
 * A PDF page has no pixel size of its own; it is taken at 150 dpi (print quality for text), from which
 * the token-aware plan picks the size actually rendered (at most `maxLongSide`, never larger).
 */
export const PDF_SOURCE_DPI = 150;

export async function rasterise(
  input: Buffer,
  format: RasterisedFormat,
  limits: MediaLimits,
  plan: RasterisePlan = {},
): Promise<RasteriseOutcome> {
  if (format === 'heic') {
    const decoded = await decodeHeic(input, limits);
    if (!decoded.ok) return decoded;
    const { width, height, rgba, removed } = decoded.image;
    return { ok: true, paged: false, removed, pages: [{ width, height, channels: 4, pixels: rgba }] };
  }
  const rendered = await renderPdf(input, limits, {
    planPage: (widthPt, heightPt) => pdfPagePlan(widthPt, heightPt, plan),
  });
  if (!rendered.ok) return rendered;
  return {
    ok: true,
    paged: true,
    removed: rendered.pdf.removed,
    pages: rendered.pdf.pages.map((page) => ({
      width: page.width,
      height: page.height,
      channels: 3,
      pixels: page.rgb,
      text: page.text,
      lines: page.lines,
    })),
  };
}

/** Pixel size of a page of `widthPt × heightPt` points, as Preprocess would plan it for the model. */
export function pdfPagePlan(
  widthPt: number,
  heightPt: number,
  plan: RasterisePlan = {},
): { width: number; height: number } {
  const scale = PDF_SOURCE_DPI / 72;
  const fitted = fitForTokens(
    Math.max(1, Math.round(widthPt * scale)),
    Math.max(1, Math.round(heightPt * scale)),
    {
      maxLongSide: plan.maxLongSide ?? MODEL_IMAGE_MAX_SIDE,
      detail: plan.detail ?? 'high',
      model: plan.model ?? 'gpt-4o',
    },
  );
  return { width: fitted.width, height: fitted.height };
}

/** A raster as a sharp pipeline; alpha (HEIC) is flattened onto white, since the output is JPEG. */
export function rasterPipeline(raster: Raster): Sharp {
  const pipeline = sharp(raster.pixels, {
    raw: { width: raster.width, height: raster.height, channels: raster.channels },
  });
  return raster.channels === 4 ? pipeline.flatten({ background: '#ffffff' }) : pipeline;
}
