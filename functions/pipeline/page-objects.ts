import type { BlobStore } from '../ports.js';

/**
 * An item's pages (one for an image or a clip) and, for a document, the text layer scanned beside them,
 * written into one bucket side by side: ValidateAndStrip's clean copy and Preprocess's model-ready pages.
 */
export async function putPages(
  blobs: BlobStore,
  bucket: string,
  pages: readonly { readonly key: string; readonly bytes: Buffer; readonly mime: string }[],
  textLayer: { readonly key: string; readonly body: Buffer } | undefined,
): Promise<void> {
  await Promise.all([
    ...pages.map((page) => blobs.put(bucket, page.key, page.bytes, { contentType: page.mime })),
    textLayer
      ? blobs.put(bucket, textLayer.key, textLayer.body, { contentType: 'application/json' })
      : undefined,
  ]);
}
