/**
 * HEIC/HEIF in, pixels out, with libheif's WebAssembly build (`libheif-js`, imported on the first HEIC
 * only). The primary image's size is read from the container (`ispe`, with `irot` already applied by
 * libheif) and checked against the same limits as every other image before anything is decoded; the
 * decode applies the HEIF transformations (irot, imir, clap), so the raster is upright as displayed.
 * The Exif and XMP items are never read into the output: only the decoded pixels leave.
 */
import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import type { MediaLimits } from './limits.js';

/** The embind functions of libheif-js we call (its own `HeifDecoder` wrapper logs to stdout and never frees). */
type Handle = number & { readonly brand: 'heif_image_handle' };
type Context = number & { readonly brand: 'heif_context' };
interface HeifError {
  readonly code?: unknown;
}
interface DecodedChannel {
  readonly id: unknown;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly data: Uint8Array;
}
interface LibHeif {
  heif_context_alloc(): Context;
  heif_context_free(context: Context): void;
  heif_context_read_from_memory(context: Context, data: Uint8Array): HeifError;
  heif_js_context_get_list_of_top_level_image_IDs(context: Context): number[] & HeifError;
  heif_js_context_get_image_handle(context: Context, id: number): Handle & HeifError;
  heif_image_handle_get_width(handle: Handle): number;
  heif_image_handle_get_height(handle: Handle): number;
  heif_image_handle_is_primary_image(handle: Handle): number;
  heif_image_handle_release(handle: Handle): void;
  heif_js_decode_image2(
    handle: Handle,
    colorspace: unknown,
    chroma: unknown,
  ): Promise<(HeifError & { channels: DecodedChannel[]; image: unknown }) | null>;
  heif_image_release(image: unknown): void;
  readonly heif_error_code: { readonly heif_error_Ok: unknown };
  readonly heif_colorspace: { readonly heif_colorspace_RGB: unknown };
  readonly heif_chroma: { readonly heif_chroma_interleaved_RGBA: unknown };
  readonly heif_channel: { readonly heif_channel_interleaved: unknown };
}

let libheifModule: Promise<LibHeif> | undefined;

function loadLibheif(): Promise<LibHeif> {
  // The bundle variant carries its wasm inline: nothing to locate on disk in a layer.
  libheifModule ??= import('libheif-js/wasm-bundle.js').then(
    (module) => ((module as { default?: LibHeif }).default ?? module) as LibHeif,
  );
  return libheifModule;
}

/** Tightly packed RGBA, `width × height × 4` bytes, upright. */
export interface DecodedHeic {
  readonly width: number;
  readonly height: number;
  readonly rgba: Buffer;
  readonly removed: string[];
}

export type HeicOutcome = { ok: true; image: DecodedHeic } | { ok: false; rejection: Rejection };

export async function decodeHeic(input: Buffer, limits: MediaLimits): Promise<HeicOutcome> {
  const heif = await loadLibheif();
  const context = heif.heif_context_alloc();
  const handles: Handle[] = [];
  try {
    // Parses the boxes (ftyp, meta, iloc, iprp…) only; no pixel is decoded here.
    const read = heif.heif_context_read_from_memory(context, new Uint8Array(input));
    if (read.code !== heif.heif_error_code.heif_error_Ok) return corrupt();
    const ids = heif.heif_js_context_get_list_of_top_level_image_IDs(context);
    if (!Array.isArray(ids) || ids.length === 0) return corrupt('the HEIF file holds no image');
    if (ids.length > limits.maxFrames) {
      return limitExceeded(`the file has ${ids.length} images; the limit is ${limits.maxFrames}`);
    }
    for (const id of ids) {
      const handle = heif.heif_js_context_get_image_handle(context, id);
      if (!handle || handle.code) return corrupt();
      handles.push(handle);
    }
    const primary = handles.find((h) => heif.heif_image_handle_is_primary_image(h)) ?? (handles[0] as Handle);
    // The size as displayed: libheif applies irot to the ispe size here.
    const width = heif.heif_image_handle_get_width(primary);
    const height = heif.heif_image_handle_get_height(primary);
    if (!(width > 0 && height > 0)) return corrupt('the HEIF image declares no size');
    if (width > limits.maxWidthOrHeight || height > limits.maxWidthOrHeight) {
      return limitExceeded(
        `the image is ${width}×${height} px; the limit is ${limits.maxWidthOrHeight} px per side`,
      );
    }
    if (width * height > limits.maxPixels) {
      const mp = (width * height) / 1e6;
      return limitExceeded(
        `the image has ${mp.toFixed(1)} megapixels; the limit is ${(limits.maxPixels / 1e6).toFixed(1)}`,
      );
    }
    // Decoding applies the transformations (irot, imir, clap) unless told not to, so this is upright.
    const decoded = await heif.heif_js_decode_image2(
      primary,
      heif.heif_colorspace.heif_colorspace_RGB,
      heif.heif_chroma.heif_chroma_interleaved_RGBA,
    );
    if (!decoded || decoded.code) return corrupt();
    try {
      const channel = decoded.channels.find((c) => c.id === heif.heif_channel.heif_channel_interleaved);
      if (!channel || channel.width !== width || channel.height !== height) return corrupt();
      const rgba = Buffer.alloc(width * height * 4);
      for (let y = 0; y < height; y++) {
        rgba.set(channel.data.subarray(y * channel.stride, y * channel.stride + width * 4), y * width * 4);
      }
      return { ok: true, image: { width, height, rgba, removed: heifMetadataItems(input) } };
    } finally {
      heif.heif_image_release(decoded.image);
    }
  } catch {
    return corrupt();
  } finally {
    for (const handle of handles) heif.heif_image_handle_release(handle);
    heif.heif_context_free(context);
  }
}

/**
 * Names of the metadata items in the `meta` box's item info (`infe` entries: `Exif`, or `mime` with an
 * XMP content type). Only the four-character types are read, never the items' content.
 */
export function heifMetadataItems(input: Buffer): string[] {
  const names = new Set<string>();
  const head = input.subarray(0, Math.min(input.length, 64 * 1024));
  for (let at = head.indexOf('infe'); at >= 0; at = head.indexOf('infe', at + 4)) {
    // infe v2/v3: version(1) flags(3) item_ID(2|4) protection_index(2) item_type(4)
    const version = head[at + 4];
    const typeAt = at + 4 + 4 + (version === 3 ? 4 : 2) + 2;
    const itemType = head.subarray(typeAt, typeAt + 4).toString('latin1');
    if (itemType === 'Exif') names.add('EXIF');
    if (itemType === 'mime' && head.subarray(typeAt, typeAt + 80).includes('rdf+xml')) names.add('XMP');
  }
  return [...names].sort();
}

function corrupt(message = 'the HEIF image is truncated or corrupt'): HeicOutcome {
  return { ok: false, rejection: reject('CORRUPT', message) };
}

function limitExceeded(message: string): HeicOutcome {
  return { ok: false, rejection: reject('LIMIT_EXCEEDED', message) };
}
