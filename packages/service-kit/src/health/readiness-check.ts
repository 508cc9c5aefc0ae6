export type HealthStatus = 'pass' | 'warn' | 'fail';

/** What a check function may return; `undefined`/`true` mean pass, `false` means fail. */
export interface CheckOutcome {
  status?: HealthStatus;
  output?: string;
  observedValue?: unknown;
  observedUnit?: string;
}

/** Default time limit for one readiness check. Below the 1 s default probe timeout of Kubernetes. */
export const DEFAULT_CHECK_TIMEOUT_MS = 800;

export interface ReadinessCheck {
  /** Component name: the prefix of the key in `checks` (`postgres` gives `postgres:responseTime`). */
  name: string;
  /** `component`, `datastore`, `system` or a URI; default `component`. */
  componentType?: string;
  /** Time limit for this check; default `DEFAULT_CHECK_TIMEOUT_MS` (800). */
  timeoutMs?: number;
  /** When false, a failure of this check makes the service `warn` instead of `fail`; default true. */
  critical?: boolean;
  /** A passing check slower than this reports `warn`; default: no latency warning. */
  warnAboveMs?: number;
  /** Perform the check. Throwing or timing out fails it; `signal` aborts at the time limit. */
  check(signal: AbortSignal): Promise<CheckOutcome | boolean | undefined> | CheckOutcome | boolean | undefined;
}

/** One reading of one check, as reported under `checks`. */
export interface CheckReading {
  name: string;
  componentType: string;
  critical: boolean;
  status: HealthStatus;
  latencyMs: number;
  /** ISO 8601 time the reading was taken. */
  time: string;
  output?: string;
  observedValue?: unknown;
  observedUnit?: string;
}

/** Run one check under its time limit. Never throws: a failure is a reading with status `fail`. */
export async function runReadinessCheck(check: ReadinessCheck): Promise<CheckReading> {
  const timeoutMs = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const controller = new AbortController();
  const startedAt = performance.now();
  const time = new Date().toISOString();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  let outcome: CheckOutcome;
  try {
    const result = await Promise.race([Promise.resolve().then(() => check.check(controller.signal)), timedOut]);
    if (result === 'timeout') {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      outcome = { status: 'fail', output: `timed out after ${timeoutMs} ms` };
    } else if (result === undefined || result === true) {
      outcome = { status: 'pass' };
    } else if (result === false) {
      outcome = { status: 'fail', output: 'check reported failure' };
    } else {
      outcome = { status: result.status ?? 'pass', ...result };
    }
  } catch (error) {
    outcome = { status: 'fail', output: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
  const latencyMs = Math.round((performance.now() - startedAt) * 100) / 100;
  let status = outcome.status ?? 'pass';
  let output = outcome.output;
  if (status === 'pass' && check.warnAboveMs !== undefined && latencyMs > check.warnAboveMs) {
    status = 'warn';
    output ??= `slow: ${latencyMs} ms > ${check.warnAboveMs} ms`;
  }
  const reading: CheckReading = {
    name: check.name,
    componentType: check.componentType ?? 'component',
    critical: check.critical ?? true,
    status,
    latencyMs,
    time,
  };
  if (output !== undefined) reading.output = output;
  if (outcome.observedValue !== undefined) reading.observedValue = outcome.observedValue;
  if (outcome.observedUnit !== undefined) reading.observedUnit = outcome.observedUnit;
  return reading;
}
