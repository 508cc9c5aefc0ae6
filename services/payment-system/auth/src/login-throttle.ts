import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Login throttling in Redis, shared by every auth instance: a fixed window of attempts per account
 * and per client IP, with a lockout once a window overflows.
 *
 * An attempt is counted BEFORE the password is checked, so a burst of parallel guesses cannot all
 * slip through between a check and an increment; a successful login then takes its attempt back
 * (the account's count is reset, the IP's decremented), so only failures accumulate.
 */

/** Per-account: 5 attempts per 15 minutes, then locked for 15 minutes. */
export const DEFAULT_ACCOUNT_MAX_ATTEMPTS = 5;
/** Per-IP: 50 attempts per 15 minutes (a NAT hides many users), then locked for 15 minutes. */
export const DEFAULT_IP_MAX_ATTEMPTS = 50;
export const DEFAULT_THROTTLE_WINDOW_MS = 15 * 60_000;
export const DEFAULT_LOCKOUT_MS = 15 * 60_000;
export const DEFAULT_THROTTLE_KEY_PREFIX = 'auth:throttle:';

export interface ThrottleLimit {
  maxAttempts: number;
  windowMs: number;
  lockoutMs: number;
}

export interface LoginThrottleOptions {
  redis: Redis;
  /** Prefix of every key (tests use one per test); default `DEFAULT_THROTTLE_KEY_PREFIX`. */
  keyPrefix?: string;
  account?: Partial<ThrottleLimit>;
  ip?: Partial<ThrottleLimit>;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number; scope: 'account' | 'ip' };

export interface LoginThrottle {
  /** Count one attempt for this account and IP, or refuse it while either is locked out. */
  attempt(email: string, ip: string): Promise<ThrottleDecision>;
  /** The attempt succeeded: forget the account's failures and give the IP its attempt back. */
  succeeded(email: string, ip: string): Promise<void>;
}

// KEYS: account count, account lock, ip count, ip lock.
// ARGV: account max, window, lockout, ip max, window, lockout.
// Returns {0, 0} when allowed, else {1 (account) | 2 (ip), milliseconds until the lock ends}.
const ATTEMPT_SCRIPT = `
local accountLock = redis.call('PTTL', KEYS[2])
local ipLock = redis.call('PTTL', KEYS[4])
if accountLock > 0 then return {1, accountLock} end
if ipLock > 0 then return {2, ipLock} end
local function count(countKey, lockKey, max, windowMs, lockoutMs)
  local n = redis.call('INCR', countKey)
  if n == 1 then redis.call('PEXPIRE', countKey, windowMs) end
  if n > max then
    redis.call('SET', lockKey, '1', 'PX', lockoutMs)
    redis.call('DEL', countKey)
    return lockoutMs
  end
  return 0
end
local a = count(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
local i = count(KEYS[3], KEYS[4], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
if a > 0 then return {1, a} end
if i > 0 then return {2, i} end
return {0, 0}
`;

// KEYS: account count, ip count.
const SUCCESS_SCRIPT = `
redis.call('DEL', KEYS[1])
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n > 0 then redis.call('DECR', KEYS[2]) end
return 0
`;

function limit(partial: Partial<ThrottleLimit> | undefined, maxAttempts: number): ThrottleLimit {
  return {
    maxAttempts: partial?.maxAttempts ?? maxAttempts,
    windowMs: partial?.windowMs ?? DEFAULT_THROTTLE_WINDOW_MS,
    lockoutMs: partial?.lockoutMs ?? DEFAULT_LOCKOUT_MS,
  };
}

/** Account keys hold a digest, not the address: Redis never stores who tried to log in. */
export function throttleKeys(prefix: string, email: string, ip: string) {
  const account = createHash('sha256').update(email).digest('hex').slice(0, 32);
  return {
    accountCount: `${prefix}account:${account}:count`,
    accountLock: `${prefix}account:${account}:lock`,
    ipCount: `${prefix}ip:${ip}:count`,
    ipLock: `${prefix}ip:${ip}:lock`,
  };
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { redis } = options;
  const prefix = options.keyPrefix ?? DEFAULT_THROTTLE_KEY_PREFIX;
  const account = limit(options.account, DEFAULT_ACCOUNT_MAX_ATTEMPTS);
  const ip = limit(options.ip, DEFAULT_IP_MAX_ATTEMPTS);
  return {
    async attempt(email, clientIp) {
      const keys = throttleKeys(prefix, email, clientIp);
      const [scope, ms] = (await redis.eval(
        ATTEMPT_SCRIPT,
        4,
        keys.accountCount,
        keys.accountLock,
        keys.ipCount,
        keys.ipLock,
        account.maxAttempts,
        account.windowMs,
        account.lockoutMs,
        ip.maxAttempts,
        ip.windowMs,
        ip.lockoutMs,
      )) as [number, number];
      if (scope === 0) return { allowed: true };
      return { allowed: false, retryAfterMs: ms, scope: scope === 1 ? 'account' : 'ip' };
    },
    async succeeded(email, clientIp) {
      const keys = throttleKeys(prefix, email, clientIp);
      await redis.eval(SUCCESS_SCRIPT, 2, keys.accountCount, keys.ipCount);
    },
  };
}
