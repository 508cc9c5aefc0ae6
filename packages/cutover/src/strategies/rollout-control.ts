import type { DeploymentSignals, SignalRecord } from '../store/deployment-signals.ts';

/** How often a running rollout looks for `cutover promote` / `cutover abort`. */
export const DEFAULT_SIGNAL_POLL_MS = 100;

/** Why a rollout is being aborted. The first cause wins; later ones are only recorded. */
export interface AbortCause {
  /** signal: cutover abort; analysis: a verdict; watch: a new instance failed; smoke: a smoke check; interrupt: Ctrl-C. */
  by: 'signal' | 'analysis' | 'watch' | 'smoke' | 'interrupt' | 'timeout';
  reason: string;
  atMs: number;
}

export type WaitOutcome<T> = { kind: 'done'; value: T } | { kind: 'promoted'; full: boolean } | { kind: 'aborted'; cause: AbortCause };

export interface RolloutControlOptions {
  deploymentId: number;
  /** Where cutover promote / abort write; null: no human input (tests, embedded use). */
  signals: DeploymentSignals | null;
  emit(type: string, data: Record<string, unknown>): void;
  pollMs?: number;
  /** Ctrl-C aborts the rollout (a second one leaves at once); set by the CLI. */
  abortOnSigint?: boolean;
}

/** A promise that never settles: a wait that only a promote or an abort can end. */
export const UNTIL_PROMOTED: Promise<never> = new Promise<never>(() => {});

/**
 * What can stop or advance a canary or blue-green rollout, kept in one place.
 *
 * States and transitions (changed only by #abort, #promoteArrived, take and finishing):
 *   running   --promote / promote --full arrives-->  running with a pending promote (a second one is a duplicate)
 *   running   --a promotable wait takes it-->         running (the signal is answered "applied")
 *   running   --promote --full taken-->               full (every later promotable wait ends at once)
 *   running | full --abort (signal, verdict, failed instance, smoke check, Ctrl-C)--> aborting
 *   running | full --finishing()-->                   retiring (the old release is going away: aborts are refused)
 *   aborting: promotes are answered "ignored", further aborts "duplicate"; abort always wins.
 */
export class RolloutControl {
  readonly #options: RolloutControlOptions;
  #cause: AbortCause | null = null;
  #abortSignalIds: number[] = [];
  #pending: SignalRecord | null = null;
  #full = false;
  #retiringNote: string | null = null;
  #lastSignalId = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<() => void>();
  #sigints = 0;
  readonly #onSigint = () => {
    this.#sigints++;
    if (this.#sigints > 1) process.exit(130);
    this.abort({ by: 'interrupt', reason: 'interrupted (Ctrl-C); a second Ctrl-C leaves without cleaning up' });
  };

  constructor(options: RolloutControlOptions) {
    this.#options = options;
  }

  get aborted(): AbortCause | null {
    return this.#cause;
  }

  /** A promote --full was taken: the remaining steps are skipped. */
  get fullPromotion(): boolean {
    return this.#full;
  }

  start(): void {
    this.poll();
    const tick = () => {
      this.poll();
      this.#timer = setTimeout(tick, this.#options.pollMs ?? DEFAULT_SIGNAL_POLL_MS);
    };
    this.#timer = setTimeout(tick, this.#options.pollMs ?? DEFAULT_SIGNAL_POLL_MS);
    // Only when nothing else in this process owns Ctrl-C (an in-process agent does).
    if (this.#options.abortOnSigint && process.listenerCount('SIGINT') === 0) process.on('SIGINT', this.#onSigint);
  }

  /** Stops polling and answers every signal still open with `note` (the rollout is over). */
  stop(note: string): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    process.off('SIGINT', this.#onSigint);
    this.#retiringNote ??= note;
    this.poll();
    if (this.#pending) this.#answer(this.#pending, 'ignored', note);
    this.#pending = null;
    this.#options.signals?.handleAll(this.#options.deploymentId, 'ignored', note);
  }

  /** Reads new signals now (the timer does it every pollMs). */
  poll(): void {
    const signals = this.#options.signals;
    if (!signals) return;
    for (const signal of signals.after(this.#options.deploymentId, this.#lastSignalId)) {
      this.#lastSignalId = signal.id;
      this.#options.emit('signal:received', { id: signal.id, kind: signal.kind, actor: signal.actor });
      if (signal.kind === 'abort') this.#abortArrived(signal);
      else this.#promoteArrived(signal);
    }
  }

  /** An abort from inside (a verdict, a failed instance, a smoke check). Ignored once aborting or retiring. */
  abort(cause: Omit<AbortCause, 'atMs'>): void {
    if (this.#cause !== null || this.#retiringNote !== null) return;
    this.#cause = { ...cause, atMs: Date.now() };
    this.#options.emit('rollout:aborting', { by: cause.by, reason: cause.reason });
    if (this.#pending) this.#answer(this.#pending, 'ignored', `the rollout is aborting (${cause.reason})`);
    this.#pending = null;
    this.#notify();
  }

  /** The abort is done (traffic is back on the stable release): answers the abort signals. */
  settleAbort(note: string): void {
    for (const id of this.#abortSignalIds) this.#options.signals?.handle(id, 'applied', note);
    for (const id of this.#abortSignalIds) this.#options.emit('signal:handled', { id, kind: 'abort', outcome: 'applied', note });
    this.#abortSignalIds = [];
  }

  /** The old release is being retired: from now on an abort can no longer switch back instantly and is refused. */
  finishing(note: string): void {
    this.poll();
    this.#retiringNote = note;
  }

  /**
   * Waits for `work`. Ends early when the rollout aborts, and, when `promotable` is given (what a
   * promote does here, for the record), when a promote arrives or is pending.
   */
  wait<T>(work: Promise<T>, promotable?: string): Promise<WaitOutcome<T>> {
    const now = this.#check(promotable);
    if (now) return Promise.resolve(now);
    return new Promise<WaitOutcome<T>>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: WaitOutcome<T>) => {
        if (settled) return;
        settled = true;
        this.#listeners.delete(listener);
        resolve(outcome);
      };
      const listener = () => {
        const outcome = this.#check(promotable);
        if (outcome) finish(outcome);
      };
      this.#listeners.add(listener);
      work.then(
        (value) => finish({ kind: 'done', value }),
        (error: unknown) => {
          if (settled) return;
          settled = true;
          this.#listeners.delete(listener);
          reject(error);
        },
      );
    });
  }

  #check(promotable: string | undefined): WaitOutcome<never> | null {
    if (this.#cause) return { kind: 'aborted', cause: this.#cause };
    if (promotable === undefined) return null;
    if (this.#pending) {
      const signal = this.#pending;
      this.#pending = null;
      const full = signal.kind === 'promote-full';
      if (full) this.#full = true;
      this.#answer(signal, 'applied', full ? `${promotable}; every remaining step skipped` : promotable);
      return { kind: 'promoted', full };
    }
    return this.#full ? { kind: 'promoted', full: true } : null;
  }

  #abortArrived(signal: SignalRecord): void {
    if (this.#retiringNote !== null && this.#cause === null) {
      this.#answer(signal, 'ignored', `too late to abort: ${this.#retiringNote}; use "cutover rollback"`);
      return;
    }
    if (this.#cause !== null) {
      this.#answer(signal, 'duplicate', `already aborting: ${this.#cause.reason}`);
      return;
    }
    this.#abortSignalIds.push(signal.id);
    this.abort({ by: 'signal', reason: `aborted by ${signal.actor} (cutover abort)` });
  }

  #promoteArrived(signal: SignalRecord): void {
    if (this.#cause !== null) {
      this.#answer(signal, 'ignored', `the rollout is aborting (${this.#cause.reason}); a promote does nothing after an abort`);
      return;
    }
    if (this.#retiringNote !== null) {
      this.#answer(signal, 'ignored', `nothing left to promote: ${this.#retiringNote}`);
      return;
    }
    if (this.#full) {
      this.#answer(signal, 'duplicate', 'already promoting fully');
      return;
    }
    if (this.#pending) {
      const upgrade = signal.kind === 'promote-full' && this.#pending.kind === 'promote';
      const [kept, dropped] = upgrade ? [signal, this.#pending] : [this.#pending, signal];
      this.#answer(dropped, 'duplicate', `a promote is already waiting to apply (signal ${kept.id})`);
      this.#pending = kept;
    } else {
      this.#pending = signal;
    }
    this.#notify();
  }

  #answer(signal: SignalRecord, outcome: 'applied' | 'duplicate' | 'ignored', note: string): void {
    this.#options.signals?.handle(signal.id, outcome, note);
    this.#options.emit('signal:handled', { id: signal.id, kind: signal.kind, outcome, note });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
