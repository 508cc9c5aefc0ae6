import { EventEmitter } from 'node:events';

/*
 * Lifecycle of one service process.
 *
 *   starting ──start() listening──▶ ready ──SIGTERM / stop()──▶ draining ──listener closed, pools closed──▶ stopped
 *   starting ──stop() or failed start──────────────────────────────────────────────────────────────────────▶ stopped
 *
 * starting: routes registered, listener not open yet; readiness and startup probes fail.
 * ready:    listening; readiness reflects the dependency checks.
 * draining: readiness fails at once so proxies stop routing here, while the listener stays open
 *           for the shutdown delay; then the listener closes and in-flight requests finish.
 * stopped:  terminal.
 *
 * Every state change goes through `transition`, which emits `service:<state>`.
 */
export type LifecycleState = 'starting' | 'ready' | 'draining' | 'stopped';

export interface LifecycleEvents {
  'service:ready': [];
  'service:draining': [{ reason: string }];
  'service:stopped': [{ reason: string }];
}

const ALLOWED: Record<LifecycleState, readonly LifecycleState[]> = {
  starting: ['ready', 'draining', 'stopped'],
  ready: ['draining'],
  draining: ['stopped'],
  stopped: [],
};

export class ServiceLifecycle extends EventEmitter<LifecycleEvents> {
  #state: LifecycleState = 'starting';
  #wasReady = false;

  get state(): LifecycleState {
    return this.#state;
  }

  /** True once the service has been ready at least once (what a startup probe asks). */
  get hasStarted(): boolean {
    return this.#wasReady;
  }

  /** Move to `to`; returns false (and changes nothing) when the move is not allowed from here. */
  transition(to: LifecycleState, reason = ''): boolean {
    if (!ALLOWED[this.#state].includes(to)) return false;
    this.#state = to;
    if (to === 'ready') {
      this.#wasReady = true;
      this.emit('service:ready');
    } else if (to === 'draining') {
      this.emit('service:draining', { reason });
    } else if (to === 'stopped') {
      this.emit('service:stopped', { reason });
    }
    return true;
  }
}
