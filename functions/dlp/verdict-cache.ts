/**
 * DLP verdicts by what was scanned: the processed media's hash, the instructions' hash, the policy version
 * and the detectors that read them. The same question about the same media (another task, a redriven or
 * repeated upload that missed the result cache) then takes the verdict and the redacted copies of the
 * first scan instead of paying OCR, Comprehend and Textract again. A new policy version, detector or OCR
 * engine is a new key, so a verdict is never reused under rules or readers it was not reached with.
 */
import { sha256Hex } from '../media/content-hash.js';

/** Shorter than the processed bucket's expiry, so the copies a verdict points to still exist. */
export const DLP_VERDICT_TTL_SECONDS = 24 * 60 * 60;

/** Metadata values are ASCII-only in S3, so clients URI-encode free text. */
export function decodeInstructions(raw: string | undefined): string {
  if (!raw) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The instructions as a tenant's hash, never the text: ValidateAndStrip records it in the document (it
 * reads the original anyway), so DlpCheck asks for a verdict without reading the instructions first. It
 * says no more than the result cache's key already does.
 */
export function instructionsFingerprint(tenant: string, rawInstructions: string | undefined): string {
  return sha256Hex(`${tenant}\n${decodeInstructions(rawInstructions)}`);
}

export function dlpVerdictKey(args: {
  readonly processedSha256: string;
  /** `instructionsFingerprint` of the item's tenant and instructions. */
  readonly instructionsFingerprint: string;
  readonly policyVersion: string;
  readonly detector: string;
  readonly ocr: string;
  readonly transcriber: string;
}): string {
  return sha256Hex(
    JSON.stringify([
      'dlp-verdict/v2',
      args.processedSha256,
      args.instructionsFingerprint,
      args.policyVersion,
      args.detector,
      args.ocr,
      args.transcriber,
    ]),
  );
}
