// Node clamps setTimeout delays above 2^31-1 ms (about 24.8 days) to 1 ms, which would turn
// a state machine's "TimeoutSeconds": 99999999 into an immediate timeout. Long delays are
// therefore chained in chunks. Every timer is tracked so that stop() leaves nothing behind.
const MAX_TIMER_MS = 2_147_483_647;

export type CancelTimer = () => void;

export class TimerSet {
  private readonly active = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Runs fn after ms (any size, Infinity never fires). Returns a cancel function. */
  after(ms: number, fn: () => void): CancelTimer {
    // After close() nothing new is armed: the owner is shutting down.
    if (this.closed) return () => undefined;
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const deadline = Date.now() + ms;
    const arm = (remaining: number) => {
      if (!Number.isFinite(remaining)) return;
      handle = setTimeout(
        () => {
          this.active.delete(handle!);
          if (cancelled) return;
          const left = deadline - Date.now();
          if (left > 0 && remaining > MAX_TIMER_MS) arm(left);
          else fn();
        },
        Math.max(0, Math.min(remaining, MAX_TIMER_MS)),
      );
      this.active.add(handle);
    };
    arm(ms);
    return () => {
      cancelled = true;
      if (handle) {
        clearTimeout(handle);
        this.active.delete(handle);
      }
    };
  }

  /** Resolves after ms; rejects with signal.reason as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (this.closed) return reject(new Error('timer set is closed'));
      const onAbort = () => {
        cancel();
        reject(signal!.reason);
      };
      const cancel = this.after(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get size(): number {
    return this.active.size;
  }

  clearAll(): void {
    for (const handle of this.active) clearTimeout(handle);
    this.active.clear();
  }

  close(): void {
    this.clearAll();
    this.closed = true;
  }
}
