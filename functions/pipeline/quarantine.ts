import type { BlobStore } from '../ports.js';
import type { PipelineState } from './document.js';
import type { Rejection } from './reasons.js';
import { objectKeys, rejected } from './step.js';

/**
 * A rejected upload's original is kept for investigation but never passed on: a server-side copy of the
 * exact version that was uploaded into quarantine, under the reason. Every step that can reject media
 * (ValidateAndStrip, Preprocess) ends the same way.
 */
export async function quarantineAndReject(
  blobs: BlobStore,
  buckets: { readonly ingest: string; readonly quarantine: string },
  state: PipelineState,
  rejection: Rejection,
): Promise<PipelineState> {
  await blobs.copy(
    { bucket: buckets.ingest, key: state.key, versionId: state.versionId },
    { bucket: buckets.quarantine, key: objectKeys.quarantine(state, rejection.reason) },
  );
  return rejected(state, rejection);
}
