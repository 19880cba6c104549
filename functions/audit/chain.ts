/**
 * Appending to a tenant's chain. The head store advances the head with a conditional write that also
 * claims the decision id, so two appenders never take one position (the loser re-reads and tries the
 * next) and a retried step finds the record its first attempt appended. The record store is written
 * after the head moved; a crash in between leaves the head holding the record, and the next append (or
 * the retry) writes it before going on, so the stored chain never keeps a gap.
 */
import type { AuditHead, AuditHeadStore, AuditRecordStore, SealedAuditRecord } from '../ports.js';
import { type AuditDecision, GENESIS_HASH, sealRecord } from './record.js';

export interface AuditTrail {
  /** Appends the decision once; a repeat returns the record already in the chain. */
  append(decision: AuditDecision): Promise<SealedAuditRecord>;
  /**
   * Appends decisions of one tenant in the given order, as `append` would one by one, but reads the head
   * and checks its record once for the lot rather than once per decision (the chainer's batches).
   */
  appendAll(decisions: readonly AuditDecision[]): Promise<SealedAuditRecord[]>;
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
  const appendAll = async (decisions: readonly AuditDecision[]): Promise<SealedAuditRecord[]> => {
    const tenant = decisions[0]?.tenant;
    if (decisions.some((decision) => decision.tenant !== tenant))
      throw new Error('appendAll takes the decisions of one tenant');
    const sealed: SealedAuditRecord[] = [];
    // The head as last read or moved by us; `null` when it has to be read (first, or after a lost race).
    let head: AuditHead | undefined | null = null;
    for (const decision of decisions) {
      for (let attempt = 0; ; attempt += 1) {
        if (attempt >= maxAttempts)
          throw new Error(`audit chain of ${decision.tenant}: no position after ${maxAttempts} attempts`);
        if (head === null) {
          head = await deps.heads.read(decision.tenant);
          if (head) await ensureStored(deps.records, head.last);
        }
        const record = sealRecord(decision, (head?.seq ?? 0) + 1, head?.hash ?? GENESIS_HASH);
        const outcome = await deps.heads.advance({
          decisionId: decision.decisionId,
          expectedSeq: head?.seq ?? 0,
          record,
        });
        if (outcome === 'advanced') {
          await deps.records.put(record);
          head = { seq: record.seq, hash: record.hash, last: record };
          sealed.push(record);
          break;
        }
        if (outcome === 'duplicate') {
          const existing = await deps.heads.findDecision(decision.tenant, decision.decisionId);
          if (!existing) throw new Error(`audit decision ${decision.decisionId} claimed but not found`);
          await ensureStored(deps.records, existing);
          sealed.push(existing);
          break;
        }
        // Another appender took the position: back off a little (jittered) and read the new head.
        head = null;
        await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
      }
    }
    return sealed;
  };
  return {
    appendAll,
    async append(decision) {
      const [record] = await appendAll([decision]);
      if (!record) throw new Error(`audit decision ${decision.decisionId} was not appended`);
      return record;
    },
  };
}
