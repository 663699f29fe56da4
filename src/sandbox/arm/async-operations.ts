import { randomUUID } from 'node:crypto';

/**
 * Long-running operations (VM power actions): answered 202 with Azure-AsyncOperation and
 * Location headers; the status document reports InProgress on the first poll and Succeeded from
 * the second (or once a short timer has run, for a client that never polls), and the effect on
 * the resource lands when it succeeds.
 */
export interface AsyncOperation {
  id: string;
  subscriptionId: string;
  namespace: string;
  location: string;
  principalId: string;
  resourceId: string;
  startTime: string;
  endTime: string | undefined;
  status: 'InProgress' | 'Succeeded';
  polls: number;
}

export const COMPLETE_WITHOUT_POLLING_MS = 3000;

export class AsyncOperations {
  private readonly ops = new Map<string, { op: AsyncOperation; effect: () => void; timer: NodeJS.Timeout }>();

  start(p: Omit<AsyncOperation, 'id' | 'startTime' | 'endTime' | 'status' | 'polls'>, effect: () => void): AsyncOperation {
    const op: AsyncOperation = { ...p, id: randomUUID(), startTime: new Date().toISOString(), endTime: undefined, status: 'InProgress', polls: 0 };
    const timer = setTimeout(() => this.complete(op.id), COMPLETE_WITHOUT_POLLING_MS);
    timer.unref();
    this.ops.set(op.id, { op, effect, timer });
    if (this.ops.size > 5000) {
      const oldest = this.ops.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    return op;
  }

  private complete(id: string): void {
    const entry = this.ops.get(id);
    if (!entry || entry.op.status === 'Succeeded') return;
    clearTimeout(entry.timer);
    entry.op.status = 'Succeeded';
    entry.op.endTime = new Date().toISOString();
    entry.effect();
  }

  private forget(id: string): void {
    const entry = this.ops.get(id);
    if (entry) clearTimeout(entry.timer);
    this.ops.delete(id);
  }

  /** One poll: the operation's state as this poll sees it. */
  poll(id: string): AsyncOperation | undefined {
    const entry = this.ops.get(id.toLowerCase());
    if (!entry) return undefined;
    if (entry.op.status === 'InProgress' && entry.op.polls >= 1) this.complete(entry.op.id);
    entry.op.polls++;
    return { ...entry.op };
  }

  close(): void {
    for (const id of [...this.ops.keys()]) this.forget(id);
  }
}
