import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../../errors/cutover-error.ts';
import { findFreePort } from '../../shared/free-port.ts';
import { ensurePrivateDir } from '../../shared/private-files.ts';
import { writeFileAtomic } from '../../shared/write-file-atomic.ts';
import type { DataPlane } from '../data-plane.ts';
import { checkReleaseWeights, unknownService } from '../data-plane-errors.ts';
import { RETIRED_COUNTERS_KEEP_MS } from '../proxy/proxy-service.ts';
import type { CountersSnapshot, DrainReport, LatencySample, RouteSpec, TargetSpec, TargetState } from '../proxy/proxy-types.ts';
import { Router } from '../proxy/router.ts';
import { HaproxyBackend, type HaTarget, type Slot } from './haproxy-backend.ts';
import { orderCommands, parseLogLine, parseServerStats, runtimeRefusal, slotCommands } from './haproxy-commands.ts';
import { DEFAULT_SLOTS_PER_BACKEND, LOG_PREFIX, renderHaproxyConfig, type SlotConfig } from './haproxy-config.ts';
import { slotIndex, slotName } from './haproxy-names.ts';
import { HaproxyProcess } from './haproxy-process.ts';
import { RUNTIME_TIMEOUT_MS, runtimeExchange, runtimeRefused, runtimeUnreachable } from './haproxy-runtime.ts';

/** How often a drain asks HAProxy whether the server still has sessions. */
export const DRAIN_POLL_MS = 25;
/** The runtime API unanswered this long is written to the agent log (CUT_ERR_AGENT_HAPROXY_RUNTIME), once until it answers again. */
export const UNREACHABLE_REPORT_MS = 2000;
/** The least time a drain's poll gets near the deadline (a hung runtime API overshoots it by at most this). */
const LAST_POLL_MS = 250;
/** How often in-flight and request counts of the targets are refreshed from `show stat` (for status and /metrics). */
export const STAT_POLL_MS = 1000;
/** Pause before HAProxy is started again after it exited on its own. */
export const RESTART_DELAY_MS = 1000;

export interface HaproxyDataPlaneOptions {
  binary: string;
  /** Where the generated config and the runtime socket live (made 0700; the files are 0600). */
  dir: string;
  httpPort: number;
  listenHost?: string;
  slotsPerBackend?: number;
  retiredCountersKeepMs?: number;
}

/**
 * The agent's data plane when `proxy.dataPlane: haproxy`: HAProxy as a supervised child process
 * with a generated config, driven over its runtime API. Instances take a pre-declared server slot
 * (`set server … addr … port …`, `set weight`, `state ready|drain|maint`), so that they join and
 * leave without a reload; only a route change (a new service, other hosts or prefix) reloads, with
 * the current slots written into the new config. Counters come from HAProxy's request log, which
 * it writes to its stdout, one line per request.
 */
export class HaproxyDataPlane implements DataPlane {
  readonly kind = 'haproxy' as const;
  readonly #options: HaproxyDataPlaneOptions;
  readonly #services = new Map<string, HaproxyBackend>();
  readonly #byBackend = new Map<string, HaproxyBackend>();
  readonly #configFile: string;
  readonly #socketPath: string;
  readonly #process: HaproxyProcess;
  readonly #slotCount: number;
  #port = 0;
  #running = false;
  #closing = false;
  /** The routing part of the config HAProxy runs (without slot state): a change of it needs a reload. */
  #appliedRouting: string | null = null;
  #dirty = false;
  #loop: Promise<void> | null = null;
  #statTimer: NodeJS.Timeout | null = null;
  /** When (performance.now()) the runtime API stopped answering; null while it answers. */
  #unreachableSinceMs: number | null = null;
  #unreachableReported = false;

  constructor(options: HaproxyDataPlaneOptions) {
    this.#options = options;
    this.#slotCount = options.slotsPerBackend ?? DEFAULT_SLOTS_PER_BACKEND;
    this.#configFile = join(options.dir, 'haproxy.cfg');
    this.#socketPath = join(options.dir, 'runtime.sock');
    this.#process = new HaproxyProcess({
      binary: options.binary,
      configFile: this.#configFile,
      socketPath: this.#socketPath,
      pidFile: join(options.dir, 'haproxy.pid'),
      onLine: (line) => this.#onLine(line),
      onUnexpectedExit: (code, signal) => this.#onUnexpectedExit(code, signal),
    });
  }

  /** The generated config file (for docs and debugging). */
  get configFile(): string {
    return this.#configFile;
  }

  /** The HAProxy master process. */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** The current HAProxy worker (it changes on a reload only). */
  workerPid(): Promise<number | null> {
    return this.#process.workerPid();
  }

  /** Resolves once HAProxy has every change made so far (the runtime commands are sent in the background). */
  async applied(): Promise<void> {
    await (this.#loop ?? Promise.resolve());
  }

  async listen(): Promise<{ httpPort: number }> {
    ensurePrivateDir(this.#options.dir);
    this.#port = this.#options.httpPort === 0 ? await findFreePort() : this.#options.httpPort;
    await this.#startProcess();
    this.#statTimer = setInterval(() => void this.#refreshStats().catch(() => undefined), STAT_POLL_MS);
    this.#statTimer.unref();
    return { httpPort: this.#port };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#statTimer) clearInterval(this.#statTimer);
    const drains: Promise<unknown>[] = [];
    for (const service of this.#services.values())
      for (const slot of service.slots) if (slot.target) drains.push(this.#remove(service, slot.target).catch(() => undefined));
    await Promise.all(drains);
    this.#running = false;
    await this.#process.stop();
  }

  setRoute(spec: RouteSpec): Promise<void> {
    for (const key of ['stickyCookie', 'stickyHeader', 'forceReleaseHeader'] as const) {
      if (spec[key] !== undefined) {
        throw new CutoverError(
          'CUT_ERR_AGENT_DATA_PLANE_UNSUPPORTED',
          `service ${spec.service} sets ${key}, which the HAProxy data plane cannot honour`,
          {
            where: `proxy route ${spec.service}`,
            hint: 'remove proxy.sticky / proxy.forceReleaseHeader from cutover.yml, or run the agent with proxy.dataPlane: node',
            details: { service: spec.service, key },
          },
        );
      }
    }
    const frozen: RouteSpec = Object.freeze({ ...spec, hosts: Object.freeze([...spec.hosts]) as string[] });
    // Refuses a bad or clashing route before it is taken (the same checks as the Node proxy's router).
    const specs = [...this.routes().filter((route) => route.service !== spec.service), frozen];
    new Router(specs.map((s) => ({ hosts: s.hosts, pathPrefix: s.pathPrefix, value: s.service, name: s.service })));
    const service = this.#services.get(spec.service) ?? new HaproxyBackend(frozen, this.#slotCount);
    service.setSpec(frozen);
    this.#services.set(spec.service, service);
    this.#byBackend.set(service.backend, service);
    return this.#sync();
  }

  async removeRoute(name: string): Promise<void> {
    const service = this.#service(name);
    await Promise.all(service.slots.filter((slot) => slot.target).map((slot) => this.#remove(service, slot.target!)));
    this.#services.delete(name);
    await this.#sync();
    this.#byBackend.delete(service.backend);
  }

  addTarget(name: string, spec: TargetSpec): void {
    const added = this.#service(name).add(spec);
    if (added === false) return;
    if (added === undefined) {
      throw new CutoverError('CUT_ERR_AGENT_HAPROXY_SLOTS', `service ${name} has no free HAProxy server slot (${this.#slotCount} in use)`, {
        where: `proxy service ${name}`,
        hint: 'run fewer instances of the service at once, or use proxy.dataPlane: node',
        details: { service: name, slots: this.#slotCount },
      });
    }
    void this.#sync().catch(() => undefined);
  }

  removeTarget(name: string, id: string): Promise<DrainReport> {
    try {
      const service = this.#service(name);
      return this.#remove(service, service.get(id).target!);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  requestsDrained(name: string, id: string): Promise<void> {
    const target = this.#services.get(name)?.find(id)?.target;
    if (!target?.draining) return Promise.resolve();
    return target.requestsDrained.promise;
  }

  setTargetHealthy(name: string, id: string, healthy: boolean): void {
    const target = this.#service(name).get(id).target!;
    if (target.healthy === healthy) return;
    target.healthy = healthy;
    void this.#sync().catch(() => undefined);
  }

  setReleaseWeights(name: string, weights: Record<string, number> | null): void {
    const service = this.#service(name);
    checkReleaseWeights(name, weights);
    service.weights = weights === null ? null : Object.fromEntries(Object.entries(weights).filter(([, w]) => w > 0));
    void this.#sync().catch(() => undefined);
  }

  releaseWeights(name: string): Record<string, number> | null {
    const weights = this.#service(name).weights;
    return weights === null ? null : { ...weights };
  }

  routes(): RouteSpec[] {
    return [...this.#services.values()].map((service) => service.spec);
  }

  targets(name: string): TargetState[] {
    return this.#service(name).targets();
  }

  counters(name: string): Record<string, CountersSnapshot> {
    const service = this.#service(name);
    service.forgetRetired(this.#retiredKeepMs);
    return Object.fromEntries([...service.counters].map(([release, counters]) => [release, counters.snapshot()]));
  }

  /** Finished requests only: HAProxy logs a request when it ends, so requests still in flight are not among them. */
  samples(name: string, release: string, sinceMs = 0): LatencySample[] {
    return this.#service(name).counters.get(release)?.samples(sinceMs) ?? [];
  }

  async #remove(service: HaproxyBackend, target: HaTarget): Promise<DrainReport> {
    if (target.drain !== null) return target.drain;
    target.draining = true;
    target.drain = this.#drain(service, target);
    return target.drain;
  }

  /**
   * `state drain`, then wait for evidence that nothing is left: HAProxy's `show stat` answering 0
   * current and 0 queued sessions on the server once it has the drain state. Without an answer (the
   * runtime API is unreachable, errs, or lacks the server) there is no evidence, and the drain goes
   * on until proxy.drainTimeoutMs: it never ends early. Neither does it while a worker that a reload
   * replaced still runs (its sessions are not in the current worker's answer). Then `maint`.
   */
  async #drain(service: HaproxyBackend, target: HaTarget): Promise<DrainReport> {
    const startedMs = performance.now();
    const slot = service.slots.find((s) => s.target === target)!;
    const server = slotName(service.slots.indexOf(slot));
    const where = `${service.backend}/${server}`;
    const deadline = startedMs + service.spec.drainTimeoutMs;
    let reported = false;
    let answer = await this.#drainPoll(service, slot, server, deadline);
    const inFlightAtStart = typeof answer === 'number' ? answer : 0;
    // A worker a reload replaced may still have sessions on the server, and the runtime API does not count them.
    const settled = () => answer === 0 && this.#process.oldWorkers().length === 0;
    while (!settled() && performance.now() < deadline) {
      if (!reported && answer instanceof Error && this.#unreachableForMs() >= UNREACHABLE_REPORT_MS) {
        reported = true;
        this.#log(
          `CUT_ERR_AGENT_HAPROXY_RUNTIME: drain of ${where} (${target.spec.id}) has no answer from HAProxy for ${Math.round(this.#unreachableForMs())} ms (${answer.message}); it waits for drainTimeoutMs (${service.spec.drainTimeoutMs} ms)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      answer = await this.#drainPoll(service, slot, server, deadline);
    }
    const drained = settled();
    let cancelled = 0;
    if (answer !== 0) {
      // Cut what is left (this fails too when HAProxy does not answer: nothing more can be done from here).
      const cut = await this.#runtime([`shutdown sessions server ${where}`], 1000).then(
        () => true,
        () => false,
      );
      if (typeof answer === 'number' && cut) cancelled = answer;
    }
    const drainedMs = Math.round(performance.now() - startedMs);
    target.requestsDrained.resolve();
    service.free(slot, this.#retiredKeepMs);
    await this.#sync().catch(() => undefined);
    const report: DrainReport = {
      targetId: target.spec.id,
      outcome: drained ? 'drained' : answer instanceof Error ? 'unreachable' : 'timed-out',
      drainedMs,
      inFlightAtStart,
      cancelled,
      websocketsClosed: 0,
    };
    if (answer instanceof Error) {
      report.error = answer.message;
      this.#log(
        `CUT_ERR_AGENT_HAPROXY_RUNTIME: drain of ${where} (${target.spec.id}) ended by drainTimeoutMs without an answer from HAProxy: ${answer.message}`,
      );
    }
    return report;
  }

  /** One look at a draining server: its sessions once HAProxy has the drain state, or why there is no answer. */
  async #drainPoll(service: HaproxyBackend, slot: Slot, server: string, deadline: number): Promise<number | Error> {
    try {
      if (!this.#running) throw new Error('HAProxy is not running');
      // Sessions counted before HAProxy has `state drain` are no evidence: new requests may still come.
      if (slot.applied?.state !== 'drain') await untilDeadline(this.#sync(), deadline);
      if (slot.applied?.state !== 'drain') throw new Error(`HAProxy does not have ${service.backend}/${server} in state drain`);
      const timeoutMs = Math.min(RUNTIME_TIMEOUT_MS, Math.max(LAST_POLL_MS, deadline - performance.now()));
      const stats = parseServerStats(await this.#runtime(['show stat -1 4 -1'], timeoutMs));
      const stat = stats.find((s) => s.backend === service.backend && s.server === server);
      if (stat === undefined) throw new Error(`show stat has no row for ${service.backend}/${server}`);
      return stat.inFlight;
    } catch (error) {
      return error as Error;
    }
  }

  /** A runtime API exchange that keeps track of whether HAProxy answers (unanswered for long is logged). */
  async #runtime(commands: readonly string[], timeoutMs?: number): Promise<string> {
    try {
      const output = await runtimeExchange(this.#socketPath, commands, timeoutMs);
      if (this.#unreachableSinceMs !== null) {
        if (this.#unreachableReported) this.#log(`HAProxy's runtime API answers again (after ${Math.round(this.#unreachableForMs())} ms)`);
        this.#unreachableSinceMs = null;
        this.#unreachableReported = false;
      }
      return output;
    } catch (error) {
      this.#unreachableSinceMs ??= performance.now();
      const unreachable = runtimeUnreachable(this.#socketPath, error);
      if (!this.#unreachableReported && this.#unreachableForMs() >= UNREACHABLE_REPORT_MS) {
        this.#unreachableReported = true;
        this.#log(`CUT_ERR_AGENT_HAPROXY_RUNTIME: ${unreachable.message} for ${Math.round(this.#unreachableForMs())} ms`);
      }
      throw unreachable;
    }
  }

  /** How long the runtime API has gone unanswered (0 while it answers). */
  #unreachableForMs(): number {
    return this.#unreachableSinceMs === null ? 0 : performance.now() - this.#unreachableSinceMs;
  }

  /** Since when (epoch ms) HAProxy's runtime API has not answered; null while it answers. */
  get runtimeUnreachableSince(): number | null {
    return this.#unreachableSinceMs === null ? null : Math.round(performance.timeOrigin + this.#unreachableSinceMs);
  }

  #log(message: string): void {
    process.stderr.write(`haproxy data plane: ${message}\n`);
  }

  async #refreshStats(): Promise<void> {
    if (!this.#running) return;
    const stats = parseServerStats(await this.#runtime(['show stat -1 4 -1']));
    for (const stat of stats) {
      const target = this.#byBackend.get(stat.backend)?.slots[slotIndex(stat.server)]?.target;
      if (target) {
        target.inFlight = stat.inFlight;
        target.requests = stat.total;
      }
    }
  }

  /** Brings HAProxy to the wanted state; calls made while a pass runs are covered by the next pass of the same loop. */
  #sync(): Promise<void> {
    this.#dirty = true;
    this.#loop ??= this.#runLoop().finally(() => {
      this.#loop = null;
    });
    return this.#loop;
  }

  async #runLoop(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      if (!this.#running) return;
      try {
        await this.#reconcile();
      } catch (error) {
        for (const service of this.#services.values()) for (const slot of service.slots) slot.applied = null;
        process.stderr.write(`haproxy data plane: ${(error as Error).message}\n`);
        throw error;
      }
    }
  }

  async #reconcile(): Promise<void> {
    const routing = this.#render(false);
    if (routing !== this.#appliedRouting) {
      this.#writeConfig();
      await this.#process.reload();
      this.#appliedRouting = routing;
      return;
    }
    const commands: string[] = [];
    const updates: [Slot, SlotConfig][] = [];
    for (const service of this.#services.values()) {
      service.wanted().forEach((wanted, index) => {
        const slot = service.slots[index];
        const batch = slotCommands(service.backend, slotName(index), slot.applied, wanted);
        if (batch.length === 0) return;
        commands.push(...batch);
        updates.push([slot, wanted]);
      });
    }
    if (commands.length === 0) return;
    const output = await this.#runtime(orderCommands(commands));
    const refusal = runtimeRefusal(output);
    if (refusal !== null) throw runtimeRefused(this.#socketPath, refusal, commands, output);
    for (const [slot, wanted] of updates) slot.applied = wanted;
  }

  /** The config with the current slots (`withSlots`), or its routing part alone. */
  #render(withSlots: boolean): string {
    return renderHaproxyConfig({
      listenHost: this.#options.listenHost ?? '0.0.0.0',
      listenPort: this.#port,
      socketPath: this.#socketPath,
      services: [...this.#services.values()].map((service) => ({ spec: service.spec, slots: withSlots ? service.wanted() : [] })),
    });
  }

  #writeConfig(): void {
    const services = [...this.#services.values()];
    const wanted = services.map((service) => service.wanted());
    writeFileAtomic(this.#configFile, this.#render(true));
    chmodSync(this.#configFile, 0o600);
    for (const [s, service] of services.entries()) for (const [i, slot] of service.slots.entries()) slot.applied = wanted[s][i];
  }

  async #startProcess(): Promise<void> {
    this.#writeConfig();
    await this.#process.start();
    this.#appliedRouting = this.#render(false);
    this.#running = true;
  }

  #onUnexpectedExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#running = false;
    if (this.#closing) return;
    process.stderr.write(`haproxy data plane: HAProxy exited (${signal ?? `code ${code}`}); starting it again in ${RESTART_DELAY_MS} ms\n`);
    setTimeout(() => {
      if (this.#closing) return;
      this.#startProcess().catch((error: Error) => {
        process.stderr.write(`haproxy data plane: ${error.message}\n`);
        this.#onUnexpectedExit(null, null);
      });
    }, RESTART_DELAY_MS).unref();
  }

  #onLine(line: string): void {
    const record = parseLogLine(line, LOG_PREFIX);
    // HAProxy's own notices come on stderr too (forwarded to the agent log there): stdout is read for the request log only.
    if (record === null) return;
    const service = this.#byBackend.get(record.backend);
    service?.count(record, service.slots[slotIndex(record.server)]);
  }

  get #retiredKeepMs(): number {
    return this.#options.retiredCountersKeepMs ?? RETIRED_COUNTERS_KEEP_MS;
  }

  #service(name: string): HaproxyBackend {
    const service = this.#services.get(name);
    if (!service) throw unknownService(name, this.#services.keys());
    return service;
  }
}

/** Waits for `work` (its rejection too), or until `deadline` (performance.now()) passes, whichever comes first. */
async function untilDeadline(work: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(LAST_POLL_MS, deadline - performance.now()));
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
