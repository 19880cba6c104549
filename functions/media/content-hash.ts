/**
 * The identity of an item's media as one hash: a single image's or clip's bytes, or a document's pages in
 * order together with the text layer scanned beside them (so documents that differ only in their text
 * layer are told apart). ValidateAndStrip hashes the clean copy (the result cache's key), Preprocess the
 * model-ready pages (the DLP verdict cache's key). `sha256Hex` is the one hex digest the functions use
 * for media, keys and fingerprints (the audit chain keeps its own canonical hashing, functions/audit/).
 */
import { createHash } from 'node:crypto';

/** SHA-256 of bytes, or of a string's UTF-8, in hex. */
export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function contentSha256(
  pageSha256s: readonly string[],
  textLayer: Buffer | undefined,
  paged: boolean,
): string {
  if (!paged && pageSha256s.length === 1) return pageSha256s[0] as string;
  return createHash('sha256')
    .update(pageSha256s.join('\n'))
    .update(textLayer ? `\n${sha256Hex(textLayer)}` : '')
    .digest('hex');
}
