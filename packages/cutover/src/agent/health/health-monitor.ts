import type { Probe } from './build-probe.ts';
import {
  applyClock,
  applyProbeResult,
  type HealthSnapshot,
  type HealthStep,
  type HealthTiming,
  type HealthTransition,
  initialHealth,
  nextProbeDelayMs,
  startDeadlineMs,
} from './health-state-machine.ts';

export interface HealthMonitorOptions {
  timing: HealthTiming;
  probe: Probe;
  /**
   * Called synchronously as soon as the deciding probe (or the start deadline) changes the state,
   * so a listener can route a newly healthy instance without waiting for a poll.
   */
  onTransition: (transition: HealthTransition, health: HealthSnapshot) => void;
  /** Clock in ms; default Date.now. */
  now?: () => number;
}

/**
 * Runs probes for one process on the schedule the health state machine asks for. Probes never
 * overlap: the next one is scheduled when the previous one has finished.
 */
export class HealthMonitor {
  readonly #options: HealthMonitorOptions;
  readonly #now: () => number;
  #health: HealthSnapshot;
  #probeTimer: NodeJS.Timeout | null = null;
  #deadlineTimer: NodeJS.Timeout | null = null;
  #inFlight: AbortController | null = null;
  #running = false;

  constructor(options: HealthMonitorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#health = initialHealth(this.#now());
  }

  get health(): HealthSnapshot {
    return this.#health;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#health = initialHealth(this.#now());
    const deadline = startDeadlineMs(this.#health, this.#options.timing);
    if (deadline !== null) {
      this.#deadlineTimer = setTimeout(
        () => this.#apply(applyClock(this.#health, this.#options.timing, this.#now())),
        deadline - this.#now(),
      );
    }
    this.#schedule(this.#options.timing.startIntervalMs);
  }

  stop(): void {
    this.#running = false;
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    this.#probeTimer = null;
    this.#deadlineTimer = null;
    this.#inFlight?.abort();
    this.#inFlight = null;
  }

  #schedule(delayMs: number): void {
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = null;
      void this.#probeOnce();
    }, delayMs);
  }

  async #probeOnce(): Promise<void> {
    const controller = new AbortController();
    this.#inFlight = controller;
    let result: Awaited<ReturnType<Probe>>;
    try {
      result = await this.#options.probe(controller.signal);
    } catch (error) {
      result = { ok: false, detail: `probe error: ${(error as Error).message}` };
    }
    if (!this.#running || controller.signal.aborted) return;
    this.#inFlight = null;
    this.#apply(applyProbeResult(this.#health, this.#options.timing, result, this.#now()));
    if (!this.#running) return;
    const delay = nextProbeDelayMs(this.#health, this.#options.timing);
    if (delay !== null) this.#schedule(delay);
  }

  #apply(step: HealthStep): void {
    this.#health = step.health;
    if (this.#health.state !== 'starting' && this.#deadlineTimer) {
      clearTimeout(this.#deadlineTimer);
      this.#deadlineTimer = null;
    }
    if (this.#health.state === 'failed') this.stop();
    if (step.transition) this.#options.onTransition(step.transition, this.#health);
  }
}
