import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { type AgentPaths, agentPaths } from '../agent/agent-paths.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { ErrorCode } from '../errors/registry.ts';
import { request } from '../shared/http-request.ts';
import type { DeploymentRecord } from '../store/deployment-store.ts';
import type { FollowLine } from './api/deployment-routes.ts';
import type { TaskRunLine } from './api/task-routes.ts';
import type { Submission } from './deployment-submission.ts';
import type { TaskRunRecord } from './tasks/task-run-store.ts';

/** How long the CLI waits for a controller that the agent is (re)starting. */
export const CONTROLLER_WAIT_MS = 10_000;
/** Every plain request to the controller ends within this (a follow stream lasts as long as the deployment). */
export const CONTROLLER_REQUEST_TIMEOUT_MS = 60_000;

/** Talks to the controller over its unix socket with the data directory's admin token. */
export class ControllerClient {
  readonly paths: AgentPaths;

  constructor(dataDir: string) {
    this.paths = agentPaths(dataDir);
  }

  health() {
    return this.#call<{ ok: boolean; pid: number }>('GET', '/v1/health');
  }

  /** Waits until the controller answers (the agent starts it a moment after itself). */
  async waitUntilUp(timeoutMs = CONTROLLER_WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.health();
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async deployment(id: number): Promise<DeploymentRecord> {
    return (await this.#call<{ deployment: DeploymentRecord }>('GET', `/v1/deployments/${id}`)).deployment;
  }

  /** Starts the dashboard in the controller (or finds it running): where it listens, with its token in the URL. */
  openDashboard(options: { host?: string; port?: number }) {
    return this.#call<{ url: string; host: string; port: number }>('POST', '/v1/dashboard', options);
  }

  async submit(submission: Submission): Promise<number> {
    return (await this.#call<{ deploymentId: number }>('POST', '/v1/deployments', submission)).deploymentId;
  }

  /**
   * Follows a deployment: every step and event from afterEvent on, as they happen, until it ends.
   * Resolves with its final state, or null when the stream broke first (the controller restarted:
   * follow again from the last event seen).
   */
  follow(id: number, afterEvent: number, onLine: (line: FollowLine) => void): Promise<string | null> {
    const token = this.#token();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.paths.controllerSocket,
          method: 'GET',
          path: `/v1/deployments/${id}/follow?afterEvent=${afterEvent}`,
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          if (rejectedAnswer(res, reject)) return;
          let end: string | null = null;
          onNdjsonLines<FollowLine>(res, (line) => {
            if (line.kind === 'end') end = line.state;
            onLine(line);
          });
          res.on('end', () => resolve(end));
          res.on('error', () => resolve(end));
          res.on('aborted', () => resolve(end));
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve(null);
        else reject(connectError(this.paths, error));
      });
      req.end();
    });
  }

  /**
   * Runs a task now in the controller's scheduler of `service` (under the task's overlap rule),
   * streaming its output to onOutput; resolves with the finished run.
   */
  runTask(
    service: string,
    task: string,
    options: { actor?: string; onOutput?: (text: string, stream: 'stdout' | 'stderr') => void } = {},
  ): Promise<TaskRunRecord> {
    let token: string;
    try {
      token = this.#token();
    } catch (error) {
      return Promise.reject(error);
    }
    const payload = JSON.stringify({ service, task, ...(options.actor ? { actor: options.actor } : {}) });
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.paths.controllerSocket,
          method: 'POST',
          path: '/v1/tasks/run',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          if (rejectedAnswer(res, reject)) return;
          let settled = false;
          onNdjsonLines<TaskRunLine>(res, (line) => {
            if (line.kind === 'output') options.onOutput?.(line.text, line.stream);
            else if (line.kind === 'end') {
              settled = true;
              resolve(line.run);
            } else {
              settled = true;
              reject(errorOf(500, JSON.stringify({ error: line.error })));
            }
          });
          res.on('end', () => {
            if (!settled)
              reject(
                new CutoverError('CUT_ERR_CONTROLLER_REQUEST', `the controller went away while task ${task} ran`, {
                  hint: 'the run may have finished there: see "cutover tasks history"',
                }),
              );
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof CutoverError ? error : connectError(this.paths, error)));
      req.write(payload);
      req.end();
    });
  }

  #token(): string {
    try {
      return readFileSync(this.paths.token, 'utf8').trim();
    } catch {
      throw notRunning(this.paths);
    }
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let token: string;
    try {
      token = this.#token();
    } catch (error) {
      return Promise.reject(error);
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.paths.controllerSocket,
          method,
          path,
          timeout: CONTROLLER_REQUEST_TIMEOUT_MS,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 400) reject(errorOf(res.statusCode ?? 500, text));
            else resolve((text ? JSON.parse(text) : {}) as T);
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new CutoverError(
            'CUT_ERR_CONTROLLER_REQUEST',
            `the controller did not answer ${method} ${path} within ${CONTROLLER_REQUEST_TIMEOUT_MS} ms`,
          ),
        ),
      );
      req.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof CutoverError ? error : connectError(this.paths, error)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

/** An answer of 400 or more: rejects with the controller's error once its body is read (true), else false. */
function rejectedAnswer(res: IncomingMessage, reject: (error: CutoverError) => void): boolean {
  const status = res.statusCode ?? 500;
  if (status < 400) return false;
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => reject(errorOf(status, Buffer.concat(chunks).toString('utf8'))));
  return true;
}

/** Gives each line of an NDJSON answer to onLine as it arrives. */
function onNdjsonLines<T>(res: IncomingMessage, onLine: (line: T) => void): void {
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (text) onLine(JSON.parse(text) as T);
    }
  });
}

function errorOf(status: number, text: string): CutoverError {
  let error: { code?: string; message?: string; hint?: string; where?: string; details?: Record<string, unknown> } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    error = { message: `the controller answered ${status}: ${text.slice(0, 200)}` };
  }
  return new CutoverError((error.code ?? 'CUT_ERR_CONTROLLER_REQUEST') as ErrorCode, error.message ?? `the controller answered ${status}`, {
    hint: error.hint,
    where: error.where,
    details: error.details,
  });
}

function connectError(paths: AgentPaths, error: NodeJS.ErrnoException): CutoverError {
  if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') return notRunning(paths);
  return new CutoverError('CUT_ERR_CONTROLLER_REQUEST', `controller request failed: ${error.message}`);
}

function notRunning(paths: AgentPaths): CutoverError {
  return new CutoverError('CUT_ERR_CONTROLLER_NOT_RUNNING', `no controller answers on ${paths.controllerSocket}`, {
    where: paths.controllerLog,
    hint: 'start the agent with "cutover up" (it starts the controller); if the agent runs, read the controller log for why it stopped',
  });
}
