// The one clock of the accountability capability. API handlers read it; the daily job runs at the
// time its scheduled event carries (EventBridge's `time`), so a test moves time by handing the job
// a later event, and in-process tests may also replace this clock. Nothing here waits for time.
let override: (() => Date) | undefined;

export function now(): Date {
  return override ? override() : new Date();
}

/** Tests only: replaces the clock (undefined restores the real one). */
export function useClock(fn: (() => Date) | undefined): void {
  override = fn;
}
