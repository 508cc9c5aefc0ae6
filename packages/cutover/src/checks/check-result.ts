/** What evaluating one check found. A failed check is a value, never an exception. */
export interface CheckOutcome {
  outcome: 'pass' | 'fail' | 'skipped';
  /** What was measured (free bytes, latency, status, error rate...). */
  measured?: unknown;
  /** What it was compared with. */
  threshold?: unknown;
  /** One sentence for humans; says what to do when it failed. */
  message: string;
}

/** One check's entry in a report or a deployment record. */
export interface CheckResult {
  name: string;
  kind: string;
  outcome: CheckOutcome['outcome'];
  measured: unknown;
  threshold: unknown;
  durationMs: number;
  message: string;
}

export function pass(message: string, measured?: unknown, threshold?: unknown): CheckOutcome {
  return { outcome: 'pass', message, measured, threshold };
}

export function fail(message: string, measured?: unknown, threshold?: unknown): CheckOutcome {
  return { outcome: 'fail', message, measured, threshold };
}

/** Counts by outcome, and the one-line summary used as a step's reason. */
export function summarizeResults(results: readonly CheckResult[]): { passed: number; failed: number; skipped: number; summary: string } {
  const failed = results.filter((r) => r.outcome === 'fail');
  const passed = results.filter((r) => r.outcome === 'pass').length;
  const skipped = results.filter((r) => r.outcome === 'skipped').length;
  const summary =
    failed.length === 0
      ? `${passed} passed, ${skipped} skipped`
      : `${failed.length} of ${results.length} checks failed: ${failed.map((r) => `${r.name} (${r.message})`).join('; ')}`;
  return { passed, failed: failed.length, skipped, summary };
}

/** Formats bytes for messages: 1.5 GB, 200 MB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
