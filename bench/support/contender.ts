/** One way of running the demo app behind a front that owns the listening port, and of switching it to a new release. */
export interface Contender {
  readonly name: string;
  /** Where the load goes: the front (a proxy, or PM2's cluster master). Valid once started. */
  readonly url: string;
  /** Starts `release` behind the front; resolves once it answers. */
  start(release: string): Promise<void>;
  /** Switches to `release`; resolves when the tool says it is done; throws when the tool reports a failure. */
  deploy(release: string): Promise<DeployNote | undefined>;
  /** Tool-specific facts gathered after the load has stopped (so their cost does not land in the measurement). */
  details(): Promise<Record<string, unknown>>;
  /** The process that takes the load's connections (cutover's agent, PM2's daemon, nginx's worker), for its scheduler figures. */
  frontPid?(): number | undefined;
  /** Stops everything it started; safe after a failed start and when called twice. */
  stop(): Promise<void>;
}

/** How every contender runs the demo app. */
export interface AppShape {
  instances: number;
  /** How long an instance takes to become ready after it starts. */
  bootDelayMs: number;
  /** Every release the bench will deploy, created up front. */
  releases: string[];
  /** Spawn → ready of one instance measured in this run (app-boot.ts): Node's start and imports on top of bootDelayMs. */
  measuredBootMs?: number;
}

/** What a deploy may add to its timing: when the tool reported the end, if not when deploy() resolved, and anything odd. */
export interface DeployNote {
  /** performance.now() when the tool reported the end of the deploy. */
  endedAt?: number;
  warning?: string;
}
