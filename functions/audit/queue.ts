/**
 * Steps queue their decisions; one chainer appends them. Appending in the step itself took a head read,
 * a record-exists check, a conditional transaction and an S3 write per decision, and every item of a
 * tenant raced for that tenant's head: under load the losers backed off and retried on the request path.
 * Now a step writes one queue item (no shared item, nothing to lose a race on) and the chainer
 * (functions/chain-audit, every minute; the local stack also before it signs or verifies) appends the
 * queued decisions of each tenant in the order they were taken, through the same conditional append
 * (chain.ts), and only then removes them from the queue. A crash between the two leaves the decision
 * queued and already chained: the next run finds its decision id claimed and just removes it, so a
 * decision is never chained twice, and never lost.
 */
import type { AuditQueue, QueuedAuditDecision } from '../ports.js';
import type { AuditTrail } from './chain.js';
import type { AuditDecision } from './record.js';

/** The state-table partitions the queue lives in (`<prefix><shard>`): the steps' only audit grant. */
export const AUDIT_QUEUE_PARTITION_PREFIX = 'AUDIT#QUEUE#';

/** What a step (or `mediagate redrive`) records its decision in. */
export interface DecisionLog {
  append(decision: AuditDecision): Promise<void>;
}

export function createQueuedDecisionLog(queue: AuditQueue): DecisionLog {
  return {
    append: (decision) =>
      queue.enqueue({
        tenant: decision.tenant,
        decisionId: decision.decisionId,
        at: decision.at,
        body: JSON.stringify(decision),
      }),
  };
}

export interface ChainQueuedResult {
  /** Queue entries appended (or found already appended) and removed. */
  readonly chained: number;
  readonly tenants: number;
  /** True when it stopped for time with entries possibly left: the next run goes on from there. */
  readonly stoppedEarly?: boolean;
}

function parseDecision(entry: QueuedAuditDecision): AuditDecision {
  const decision = JSON.parse(entry.body) as AuditDecision;
  if (decision.tenant !== entry.tenant || decision.decisionId !== entry.decisionId)
    throw new Error(`audit queue entry ${entry.ref} does not match its decision`);
  return decision;
}

/**
 * Appends every queued decision to its tenant's chain, oldest first, and removes it from the queue.
 * Tenants are chained side by side, each tenant's decisions in one batch: one head read for the lot, then
 * one conditional transaction and one record write per decision, and the queue entries removed together.
 */
export async function chainQueuedDecisions(deps: {
  readonly queue: AuditQueue;
  readonly trail: AuditTrail;
  /** Entries read per pass. @default 200 */
  readonly batch?: number;
  /** Asked before each pass: true stops the run (a Lambda near its timeout), the rest waits for the next. */
  readonly shouldStop?: () => boolean;
}): Promise<ChainQueuedResult> {
  const batch = deps.batch ?? 200;
  let chained = 0;
  const tenants = new Set<string>();
  for (;;) {
    if (deps.shouldStop?.()) return { chained, tenants: tenants.size, stoppedEarly: true };
    const entries = await deps.queue.oldest(batch);
    const byTenant = new Map<string, QueuedAuditDecision[]>();
    for (const entry of entries) {
      const queued = byTenant.get(entry.tenant);
      if (queued) queued.push(entry);
      else byTenant.set(entry.tenant, [entry]);
    }
    await Promise.all(
      [...byTenant].map(async ([tenant, queued]) => {
        await deps.trail.appendAll(queued.map(parseDecision));
        await deps.queue.remove(queued.map((entry) => entry.ref));
        chained += queued.length;
        tenants.add(tenant);
      }),
    );
    if (entries.length < batch) return { chained, tenants: tenants.size };
  }
}
