// What the operations scripts share: the service's own environment (validated as the processes do),
// a small pool, and the --json flag. Run them where the service runs (`cutover run -- npm run ...`
// gives them the service's env), or with the variables set by hand.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import pg from 'pg';
import { type CardConfig, cardEnvSchema } from '../card-config.ts';

export interface OpsContext {
  config: CardConfig;
  pool: pg.Pool;
  json: boolean;
  args: string[];
  /** A line for humans on stderr (stdout carries the result). */
  say(message: string): void;
  /** Prints the result (JSON with --json, else `text`) and sets the exit code. */
  finish(result: Record<string, unknown>, text: string, ok: boolean): Promise<void>;
}

export function opsContext(name: string): OpsContext {
  const config = loadEnvConfigOrExit(name, cardEnvSchema);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 4, application_name: `card-generation-${name}` });
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  return {
    config,
    pool,
    json,
    args,
    say: (message) => {
      if (!json) process.stderr.write(`${message}\n`);
    },
    async finish(result, text, ok) {
      process.stdout.write(json ? `${JSON.stringify({ ok, ...result })}\n` : `${text}\n`);
      process.exitCode = ok ? 0 : 1;
      await pool.end();
    },
  };
}

/** Value of `--name value` or `--name=value`, else the fallback. */
export function option(args: readonly string[], name: string, fallback: string): string {
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
}
