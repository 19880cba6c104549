/**
 * Verifying a tenant's chain from the stored bytes alone. Position n (from 1) must hold a record that
 * parses, is stored in its canonical form, belongs to the tenant, says `seq: n`, names the hash of
 * position n-1 as `prevHash` (the genesis hash at 1) and whose `hash` is the hash of its other fields.
 * A record removed, moved or edited breaks one of those at the first position it touches. A removal at
 * the end breaks nothing in the records themselves, so every signed head (and the live head, when the
 * caller has it) must also land on a record with its hash; a signed head must carry a valid signature.
 */
import type { AuditHeadStore, AuditRecordStore, SignedAuditHead } from '../ports.js';
import { canonicalJson } from './canonical.js';
import { headSignatureValid } from './heads.js';
import { type AuditRecord, GENESIS_HASH, recordHash } from './record.js';

export interface ChainVerdict {
  readonly tenant: string;
  readonly ok: boolean;
  /** Records stored. */
  readonly records: number;
  /** Signed heads checked (signature and position). */
  readonly signedHeads: number;
  /** The first position (1-based) where the chain does not hold; null when it holds. */
  readonly brokenAt: number | null;
  readonly reason?: string;
}

export interface VerifyInputs {
  readonly tenant: string;
  /** Stored record bodies in position order. */
  readonly records: readonly string[];
  /** Stored signed-head bodies. */
  readonly signedHeads: readonly string[];
  /** The live head from the head store, when the verifier can read it. */
  readonly liveHead?: { readonly seq: number; readonly hash: string };
  /** The public key (DER SPKI) of a signing key id; undefined when unknown, which fails the head. */
  readonly publicKey: (keyId: string) => Promise<Buffer | undefined>;
}

function parseRecord(body: string): AuditRecord | undefined {
  try {
    const parsed = JSON.parse(body) as AuditRecord;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Why position `position` does not hold, or undefined when it does. */
function recordFault(
  tenant: string,
  body: string,
  position: number,
  prevHash: string,
): { fault: string } | { hash: string } {
  const record = parseRecord(body);
  if (!record) return { fault: 'not a JSON record' };
  let canonical: string;
  try {
    canonical = canonicalJson(record);
  } catch (error) {
    return { fault: `not canonical data: ${(error as Error).message}` };
  }
  if (canonical !== body) return { fault: 'not stored in canonical form (edited)' };
  if (record.tenant !== tenant) return { fault: `belongs to tenant ${String(record.tenant)}` };
  if (record.seq !== position) return { fault: `holds seq ${String(record.seq)} (removed or reordered)` };
  if (record.prevHash !== prevHash)
    return { fault: 'prevHash is not the previous record (removed or reordered)' };
  const { hash, ...rest } = record;
  if (recordHash(rest) !== hash) return { fault: 'hash does not match the content (edited)' };
  return { hash };
}

function parseSignedHead(body: string): SignedAuditHead | undefined {
  const head = parseRecord(body) as unknown as SignedAuditHead | undefined;
  const wellFormed =
    head &&
    typeof head.seq === 'number' &&
    typeof head.hash === 'string' &&
    typeof head.signature === 'string' &&
    typeof head.keyId === 'string';
  return wellFormed ? head : undefined;
}

export async function verifyChain(inputs: VerifyInputs): Promise<ChainVerdict> {
  const { tenant } = inputs;
  const hashes: string[] = [];
  const verdict = (brokenAt: number | null, reason?: string): ChainVerdict => ({
    tenant,
    ok: brokenAt === null,
    records: inputs.records.length,
    signedHeads: inputs.signedHeads.length,
    brokenAt,
    ...(reason ? { reason } : {}),
  });

  let prevHash = GENESIS_HASH;
  for (const [index, body] of inputs.records.entries()) {
    const position = index + 1;
    const checked = recordFault(tenant, body, position, prevHash);
    if ('fault' in checked) return verdict(position, `record ${position}: ${checked.fault}`);
    hashes.push(checked.hash);
    prevHash = checked.hash;
  }

  // Heads pin the chain's length and content up to them; the lowest failing position is reported.
  const headFaults: { position: number; reason: string }[] = [];
  const pinned = (seq: number, hash: string, what: string) => {
    if (seq > hashes.length) {
      headFaults.push({
        position: hashes.length + 1,
        reason: `${what} is at ${seq} but only ${hashes.length} records are stored (removed)`,
      });
    } else if (hashes[seq - 1] !== hash) {
      headFaults.push({ position: seq, reason: `${what} at ${seq} names another record (edited)` });
    }
  };
  for (const body of inputs.signedHeads) {
    const head = parseSignedHead(body);
    if (!head || head.tenant !== tenant) {
      headFaults.push({
        position: head?.seq ?? 1,
        reason: 'a signed head is malformed or not this tenant’s',
      });
      continue;
    }
    const publicKey = await inputs.publicKey(head.keyId);
    if (!publicKey || !headSignatureValid(head, publicKey)) {
      headFaults.push({ position: head.seq, reason: `signed head at ${head.seq}: signature invalid` });
      continue;
    }
    pinned(head.seq, head.hash, 'signed head');
  }
  if (inputs.liveHead) pinned(inputs.liveHead.seq, inputs.liveHead.hash, 'the live chain head');
  const first = headFaults.sort((a, b) => a.position - b.position)[0];
  return first ? verdict(first.position, first.reason) : verdict(null);
}

export interface TrailVerdict {
  readonly ok: boolean;
  /** Records checked, over every tenant. */
  readonly records: number;
  /** Position in the first broken tenant's chain; null when every chain holds. */
  readonly brokenAt: number | null;
  /** The tenant whose chain broke, and why. */
  readonly tenant?: string;
  readonly reason?: string;
  readonly tenants: readonly ChainVerdict[];
}

/** Verifies the chains of `tenant`, or of every tenant with stored records. */
export async function verifyTrail(deps: {
  records: AuditRecordStore;
  /** The live heads, when the verifier may read them (it checks the stored chain reaches them). */
  heads?: AuditHeadStore;
  publicKey: (keyId: string) => Promise<Buffer | undefined>;
  tenant?: string;
}): Promise<TrailVerdict> {
  const tenants = deps.tenant ? [deps.tenant] : await deps.records.tenants();
  const verdicts: ChainVerdict[] = [];
  for (const tenant of tenants) {
    const [records, signedHeads, live] = await Promise.all([
      deps.records.list(tenant),
      deps.records.signedHeads(tenant),
      deps.heads?.read(tenant),
    ]);
    verdicts.push(
      await verifyChain({
        tenant,
        records,
        signedHeads,
        ...(live ? { liveHead: { seq: live.seq, hash: live.hash } } : {}),
        publicKey: deps.publicKey,
      }),
    );
  }
  const broken = verdicts.find((verdict) => !verdict.ok);
  return {
    ok: !broken,
    records: verdicts.reduce((sum, verdict) => sum + verdict.records, 0),
    brokenAt: broken?.brokenAt ?? null,
    ...(broken ? { tenant: broken.tenant, ...(broken.reason ? { reason: broken.reason } : {}) } : {}),
    tenants: verdicts,
  };
}
