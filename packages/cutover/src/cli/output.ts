import { type CutoverError, isCutoverError } from '../errors/cutover-error.ts';
import { redactEnvDeep } from '../shared/redact.ts';

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPINNER_INTERVAL_MS = 80;

export interface Step {
  /** Ends the step with a tick and its duration. */
  done(detail?: string): void;
  /** Ends the step with a cross. */
  fail(detail?: string): void;
  /** Replaces the step's live text. */
  update(text: string): void;
}

/**
 * Everything the CLI prints goes through here: live spinners on a terminal, plain timestamped
 * lines when not a TTY, and nothing but one JSON document with --json.
 */
export class Output {
  readonly json: boolean;
  readonly tty: boolean;
  private readonly stdout: NodeJS.WriteStream;
  private readonly stderr: NodeJS.WriteStream;

  constructor(options: { json?: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream } = {}) {
    this.json = options.json ?? false;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.tty = Boolean(this.stdout.isTTY) && !this.json && process.env.CI === undefined;
  }

  /** A human line (suppressed under --json). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The single JSON result of a --json command (env values redacted, as everywhere cutover prints). */
  result(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(redactEnvDeep(value), null, 2)}\n`);
  }

  /**
   * Ends a command that failed with a result: under --json one document holding the result and its
   * `error` object (docs/errors.md), otherwise the error on stderr. Returns the error's exit code.
   */
  failure(result: Record<string, unknown>, error: CutoverError): number {
    if (this.json) this.stdout.write(`${JSON.stringify(redactEnvDeep({ ...result, error: error.toJSON() }), null, 2)}\n`);
    else this.error(error);
    return error.exitCode;
  }

  warn(text: string): void {
    if (!this.json) this.stderr.write(`${this.tty ? '\x1b[33m!\x1b[0m' : 'warning:'} ${text}\n`);
  }

  step(text: string): Step {
    const startedAt = performance.now();
    let current = text;
    let frame = 0;
    let timer: NodeJS.Timeout | undefined;
    const elapsed = () => formatMs(performance.now() - startedAt);
    if (this.json) {
      return { done() {}, fail() {}, update() {} };
    }
    if (this.tty) {
      const draw = () => {
        this.stdout.write(
          `\r\x1b[2K\x1b[36m${SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length]}\x1b[0m ${current} \x1b[2m${elapsed()}\x1b[0m`,
        );
      };
      draw();
      timer = setInterval(draw, SPINNER_INTERVAL_MS);
      timer.unref();
    } else {
      this.stdout.write(`${timestamp()} … ${text}\n`);
    }
    const finish = (mark: string, plain: string, detail?: string) => {
      if (timer) clearInterval(timer);
      const suffix = detail ? ` (${detail})` : '';
      if (this.tty) this.stdout.write(`\r\x1b[2K${mark} ${text}${suffix} \x1b[2m${elapsed()}\x1b[0m\n`);
      else this.stdout.write(`${timestamp()} ${plain} ${text}${suffix} [${elapsed()}]\n`);
    };
    return {
      done: (detail) => finish('\x1b[32m✔\x1b[0m', 'ok', detail),
      fail: (detail) => finish('\x1b[31m✖\x1b[0m', 'FAILED', detail),
      update: (next) => {
        current = next;
        if (!this.tty) this.stdout.write(`${timestamp()} … ${next}\n`);
      },
    };
  }

  /** Prints an error: code, message, where and the next action; JSON under --json. */
  error(error: unknown): void {
    if (isCutoverError(error)) {
      if (this.json) {
        this.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
        return;
      }
      const red = this.tty ? '\x1b[31m' : '';
      const reset = this.tty ? '\x1b[0m' : '';
      this.stderr.write(`${red}error ${error.code}${reset}: ${error.message}\n`);
      if (error.where) this.stderr.write(`  where: ${error.where}\n`);
      if (error.hint) this.stderr.write(`  next:  ${error.hint}\n`);
      return;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (this.json) this.stdout.write(`${JSON.stringify({ error: { code: 'CUT_ERR_CLI_INTERNAL', message } }, null, 2)}\n`);
    else this.stderr.write(`error CUT_ERR_CLI_INTERNAL: ${message}\n`);
  }
}

/**
 * A reader that went away (`cutover status | head -1`, a pager quit early) closes the pipe under
 * stdout: the next write fails with EPIPE. That is the reader's choice, not a failure of the
 * command, so the process ends quietly as a Unix tool killed by SIGPIPE would, instead of dying with
 * a stack trace: with the exit code the command already returned (a command that just printed its
 * result returns first), else 0. A deployment the command submitted keeps running in the
 * controller. A closed stderr is ignored: the command goes on and exits with its own code.
 */
export function endQuietlyOnClosedPipe(
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): void {
  const closed = (error: NodeJS.ErrnoException) => error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (!closed(error)) throw error;
    setImmediate(() => process.exit(process.exitCode ?? 0));
  });
  stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (!closed(error)) throw error;
  });
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

function timestamp(): string {
  return new Date().toISOString().slice(11, 23);
}
