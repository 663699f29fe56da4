/**
 * The sandbox's own notion of "now" for what Azure does on a schedule (time-bound role assignments
 * starting and ending). It runs with the wall clock, plus an offset an operator or a test can move
 * forward (POST /_sandbox/clock/advance), so a two-hour window can end in a second of test time.
 * Token lifetimes keep the wall clock: moving this one never makes a token expire.
 */
export class SandboxClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves the clock forward (never back: schedules already ended stay ended). */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the sandbox clock only moves forward');
    this.offsetMs += ms;
    return this.now();
  }

  offset(): number {
    return this.offsetMs;
  }
}
