/**
 * DLP verdicts by what was scanned: the processed media's hash, the instructions' hash, the policy version
 * and the detectors that read them. The same question about the same media (another task, a redriven or
 * repeated upload that missed the result cache) then takes the verdict and the redacted copies of the
 * first scan instead of paying OCR, Comprehend and Textract again. A new policy version, detector or OCR
 * engine is a new key, so a verdict is never reused under rules or readers it was not reached with.
 */
import { createHash } from 'node:crypto';

/** Shorter than the processed bucket's expiry, so the copies a verdict points to still exist. */
export const DLP_VERDICT_TTL_SECONDS = 24 * 60 * 60;

export function dlpVerdictKey(args: {
  readonly processedSha256: string;
  readonly instructions: string;
  readonly policyVersion: string;
  readonly detector: string;
  readonly ocr: string;
  readonly transcriber: string;
}): string {
  const instructionsSha256 = createHash('sha256').update(args.instructions, 'utf8').digest('hex');
  return createHash('sha256')
    .update(
      JSON.stringify([
        'dlp-verdict/v1',
        args.processedSha256,
        instructionsSha256,
        args.policyVersion,
        args.detector,
        args.ocr,
        args.transcriber,
      ]),
    )
    .digest('hex');
}
