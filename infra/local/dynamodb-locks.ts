/**
 * Named locks for the local DynamoDB front (infra/local/dynamodb.ts): one lock per item (table + key) and
 * one per table, created when first wanted and dropped when idle.
 *
 * A lock is held in one *mode* at a time. Requests in the same shareable mode run together; `exclusive`
 * is alone. So the same class gives a reader-writer lock on an item (`shared` / `exclusive`) and a
 * two-group lock on a table (`transaction` / `multi-item`: many transactions may write a table at once,
 * many Queries may read it at once, but never both). Grants are FIFO, so a waiting request is not
 * starved by a stream of compatible ones.
 *
 * Deadlock freedom: `acquireAll` takes its locks one after another in one global order (by name, and the
 * names are prefixed so that token locks sort before table locks, and those before item locks). A request waits only for locks
 * that sort after every lock it already holds, so no cycle of waits can form.
 */

export type LockMode = 'shared' | 'exclusive' | 'transaction' | 'multi-item';

export interface LockRequest {
  readonly name: string;
  readonly mode: LockMode;
}

class ModeLock {
  private holders = 0;
  private mode: LockMode | undefined;
  private readonly queue: { mode: LockMode; grant: () => void }[] = [];

  get idle(): boolean {
    return this.holders === 0 && this.queue.length === 0;
  }

  acquire(mode: LockMode): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ mode, grant: resolve });
      this.pump();
    });
  }

  release(): void {
    this.holders -= 1;
    if (this.holders === 0) this.mode = undefined;
    this.pump();
  }

  private pump(): void {
    for (let next = this.queue[0]; next; next = this.queue[0]) {
      const compatible = this.holders === 0 || (next.mode === this.mode && next.mode !== 'exclusive');
      if (!compatible) return;
      this.holders += 1;
      this.mode = next.mode;
      this.queue.shift();
      next.grant();
    }
  }
}

export class LockTable {
  private readonly locks = new Map<string, ModeLock>();

  /** Takes every lock in the canonical order; the answer releases them all (once). */
  async acquireAll(requests: readonly LockRequest[]): Promise<() => void> {
    const wanted = new Map<string, LockMode>();
    for (const request of requests) {
      const previous = wanted.get(request.name);
      // The same name twice (two actions on one table) is one lock; exclusive wins over shared.
      if (!previous || request.mode === 'exclusive') wanted.set(request.name, request.mode);
    }
    const names = [...wanted.keys()].sort();
    const held: string[] = [];
    for (const name of names) {
      await this.lockFor(name).acquire(wanted.get(name) as LockMode);
      held.push(name);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const name of held.reverse()) {
        const lock = this.locks.get(name);
        lock?.release();
        if (lock?.idle) this.locks.delete(name);
      }
    };
  }

  private lockFor(name: string): ModeLock {
    let lock = this.locks.get(name);
    if (!lock) {
      lock = new ModeLock();
      this.locks.set(name, lock);
    }
    return lock;
  }
}

/**
 * Lock names sort by level: `0…` a ClientRequestToken, `1…` a table, `2…` an item. The deadlock argument
 * needs every request to take its levels in this order.
 */
export function tokenLockName(token: string): string {
  return `0 ${token}`;
}

export function tableLockName(table: string): string {
  return `1 ${table}`;
}

/** A stable name for an item's key, whatever order its attributes came in. */
export function itemLockName(table: string, key: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(key).sort();
  return `2 ${JSON.stringify([table, ...names.map((n) => [n, key[n]])])}`;
}
