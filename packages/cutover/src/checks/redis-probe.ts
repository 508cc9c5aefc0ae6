import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { type CheckOutcome, fail, pass } from './check-result.ts';

export interface RedisAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
}

export const DEFAULT_REDIS_PORT = 6379;

/** redis://[user][:password@]host[:port][/db] or rediss:// (TLS). */
export function parseRedisUrl(url: string): RedisAddress {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`not a Redis URL (redis:// or rediss://): ${parsed.protocol}//${parsed.host}`);
  const address: RedisAddress = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : DEFAULT_REDIS_PORT,
    tls: parsed.protocol === 'rediss:',
  };
  if (parsed.username) address.username = decodeURIComponent(parsed.username);
  if (parsed.password) address.password = decodeURIComponent(parsed.password);
  return address;
}

/** RESP array of bulk strings: how a client sends a command. */
export function encodeRespCommand(parts: readonly string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
}

/**
 * AUTH (when a password is set) then PING over a raw socket, expecting +PONG: no client library, no
 * reconnect loop that could hide an outage, and a hard deadline of timeoutMs.
 */
export function probeRedis(address: RedisAddress, timeoutMs: number): Promise<CheckOutcome> {
  const where = `${address.host}:${address.port}`;
  const startedAt = performance.now();
  const commands: string[][] = [];
  if (address.password !== undefined) {
    commands.push(address.username ? ['AUTH', address.username, address.password] : ['AUTH', address.password]);
  }
  commands.push(['PING']);
  return new Promise((resolve) => {
    let done = false;
    let buffer = '';
    const replies: string[] = [];
    const socket: Socket = address.tls
      ? connectTls({ host: address.host, port: address.port, servername: address.host })
      : connectTcp({ host: address.host, port: address.port });
    const finish = (outcome: CheckOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(fail(`Redis ${where}: no answer within ${timeoutMs}ms`, null, { timeoutMs })), timeoutMs);
    socket.once(address.tls ? 'secureConnect' : 'connect', () => socket.write(commands.map(encodeRespCommand).join('')));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline = buffer.indexOf('\r\n');
      while (newline !== -1) {
        replies.push(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 2);
        newline = buffer.indexOf('\r\n');
      }
      const error = replies.find((r) => r.startsWith('-'));
      if (error) finish(fail(`Redis ${where} answered ${error.slice(1)}`, { reply: error }));
      else if (replies.length >= commands.length) {
        const last = replies[commands.length - 1];
        const latencyMs = Math.round(performance.now() - startedAt);
        finish(
          last === '+PONG'
            ? pass(`Redis ${where} answers PING (${latencyMs}ms)`, { latencyMs })
            : fail(`Redis ${where} answered ${last} to PING`),
        );
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : error.message || error.code;
      finish(fail(`Redis ${where}: ${why}`, { error: error.code ?? error.message }));
    });
    socket.once('close', () => finish(fail(`Redis ${where} closed the connection before answering`)));
  });
}
