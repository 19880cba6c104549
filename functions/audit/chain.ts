/**
 * Appending to a tenant's chain. The head store advances the head with a conditional write that also
 * claims the decision id, so two appenders never take one position (the loser re-reads and tries the
 * next) and a retried step finds the record its first attempt appended. The record store is written
 * after the head moved; a crash in between leaves the head holding the record, and the next append (or
 * the retry) writes it before going on, so the stored chain never keeps a gap.
 */
import type { AuditHeadStore, AuditRecordStore, SealedAuditRecord } from '../ports.js';
import { type AuditDecision, GENESIS_HASH, sealRecord } from './record.js';

export interface AuditTrail {
  /** Appends the decision once; a repeat returns the record already in the chain. */
  append(decision: AuditDecision): Promise<SealedAuditRecord>;
}

export interface AuditTrailDeps {
  readonly heads: AuditHeadStore;
  readonly records: AuditRecordStore;
  /** How many lost races to take before giving up (the step's own retry then tries again). @default 50 */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function ensureStored(records: AuditRecordStore, record: SealedAuditRecord): Promise<void> {
  if (!(await records.exists(record.tenant, record.seq))) await records.put(record);
}

export function createAuditTrail(deps: AuditTrailDeps): AuditTrail {
  const maxAttempts = deps.maxAttempts ?? 50;
  const sleep = deps.sleep ?? pause;
  return {
    async append(decision) {
      for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
        const head = await deps.heads.read(decision.tenant);
        if (head) await ensureStored(deps.records, head.last);
        const record = sealRecord(decision, (head?.seq ?? 0) + 1, head?.hash ?? GENESIS_HASH);
        const outcome = await deps.heads.advance({
          decisionId: decision.decisionId,
          expectedSeq: head?.seq ?? 0,
          record,
        });
        if (outcome === 'advanced') {
          await deps.records.put(record);
          return record;
        }
        if (outcome === 'duplicate') {
          const existing = await deps.heads.findDecision(decision.tenant, decision.decisionId);
          if (!existing) throw new Error(`audit decision ${decision.decisionId} claimed but not found`);
          await ensureStored(deps.records, existing);
          return existing;
        }
        // Another appender took the position: back off a little (jittered) and read the new head.
        await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
      }
      throw new Error(`audit chain of ${decision.tenant}: no position after ${maxAttempts} attempts`);
    },
  };
}
