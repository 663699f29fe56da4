import { randomUUID } from 'node:crypto';

/**
 * Long-running operations (VM power actions): answered 202 with Azure-AsyncOperation and
 * Location headers; the status document reports InProgress on the first poll and Succeeded from
 * the second (or once a short timer has run, for a client that never polls), and the effect on
 * the resource lands when it succeeds.
 *
 * Held (`hold(true)`), operations stay InProgress however often they are polled: ARM takes as
 * long as it likes, so a caller can be caught mid-operation (a crash while following one).
 * Released, each completes on its next poll, or at once if its timer already ran.
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
  private readonly ops = new Map<string, { op: AsyncOperation; effect: () => void; timer: NodeJS.Timeout; due: boolean }>();
  private held = false;

  hold(held: boolean): void {
    this.held = held;
    if (held) return;
    for (const { op, due } of [...this.ops.values()]) if (due) this.complete(op.id);
  }

  start(p: Omit<AsyncOperation, 'id' | 'startTime' | 'endTime' | 'status' | 'polls'>, effect: () => void): AsyncOperation {
    const op: AsyncOperation = { ...p, id: randomUUID(), startTime: new Date().toISOString(), endTime: undefined, status: 'InProgress', polls: 0 };
    const timer = setTimeout(() => {
      const entry = this.ops.get(op.id);
      if (entry) entry.due = true;
      this.complete(op.id);
    }, COMPLETE_WITHOUT_POLLING_MS);
    timer.unref();
    this.ops.set(op.id, { op, effect, timer, due: false });
    if (this.ops.size > 5000) {
      const oldest = this.ops.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    return op;
  }

  private complete(id: string): void {
    const entry = this.ops.get(id);
    if (!entry || entry.op.status === 'Succeeded' || this.held) return;
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
    if (entry.op.status === 'InProgress' && (entry.op.polls >= 1 || entry.due)) this.complete(entry.op.id);
    entry.op.polls++;
    return { ...entry.op };
  }

  close(): void {
    for (const id of [...this.ops.keys()]) this.forget(id);
  }
}
