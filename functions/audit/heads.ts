/**
 * Signing chain heads. Once a day (a scheduled Lambda in AWS; each stop of the local stack stands in for
 * the schedule) every tenant's current head is signed and stored next to the records. A signed head pins
 * the chain up to its position: records removed or changed below it, or the chain cut short, no longer
 * match it, and only the holder of the signing key can make a new one.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { AuditHeadStore, AuditRecordStore, HeadSigner, SignedAuditHead } from '../ports.js';
import { canonicalJson } from './canonical.js';

export const HEAD_SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/** The bytes a head signature covers: the canonical JSON of every field but the signature. */
export function signedHeadMessage(head: Omit<SignedAuditHead, 'signature'>): Buffer {
  const { tenant, seq, hash, signedAt, keyId, algorithm } = head;
  return Buffer.from(canonicalJson({ tenant, seq, hash, signedAt, keyId, algorithm }), 'utf8');
}

export interface SignHeadsResult {
  readonly signed: readonly { readonly tenant: string; readonly seq: number }[];
  /** Tenants whose head was signed already at its current position. */
  readonly unchanged: number;
}

/** Signs the head of every tenant that has records and a head not signed at its current position. */
export async function signHeads(deps: {
  heads: AuditHeadStore;
  records: AuditRecordStore;
  signer: HeadSigner;
  now: () => string;
}): Promise<SignHeadsResult> {
  const signed: { tenant: string; seq: number }[] = [];
  let unchanged = 0;
  for (const tenant of await deps.records.tenants()) {
    const head = await deps.heads.read(tenant);
    if (!head) continue;
    if (await deps.records.signedHeadExists(tenant, head.seq)) {
      unchanged += 1;
      continue;
    }
    // The head's record may still be only in the head store (a crash after the head moved).
    if (!(await deps.records.exists(tenant, head.seq))) await deps.records.put(head.last);
    const statement = {
      tenant,
      seq: head.seq,
      hash: head.hash,
      signedAt: deps.now(),
      keyId: deps.signer.keyId,
      algorithm: HEAD_SIGNING_ALGORITHM,
    } as const;
    const signature = await deps.signer.sign(signedHeadMessage(statement));
    await deps.records.putSignedHead({ ...statement, signature: signature.toString('base64') });
    signed.push({ tenant, seq: head.seq });
  }
  return { signed, unchanged };
}

/** Checks a head signature with the signer's public key (DER SubjectPublicKeyInfo). */
export function headSignatureValid(head: SignedAuditHead, publicKeyDer: Buffer): boolean {
  const key = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
  return verify('sha256', signedHeadMessage(head), key, Buffer.from(head.signature, 'base64'));
}
