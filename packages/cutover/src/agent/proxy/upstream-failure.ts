/** What a failed upstream attempt means for the request and for the target. */
export interface UpstreamFailure {
  /** Short cause for logs and ejection events, e.g. `connect ECONNREFUSED`. */
  reason: string;
  /** False when no request byte can have reached the app: replaying is safe for any method. */
  reachedApp: boolean;
  /** Eject the target now instead of waiting for repeated failures. */
  ejectNow: boolean;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Classifies an error raised before any response byte arrived. `requestSent`: the request (headers,
 * and body if any) had started going out on a connected socket. `reusedSocket`: the socket came from
 * the keep-alive pool — a reset there is most often the app closing an idle socket at the same
 * moment, which says nothing about the app's health, so it does not eject at once.
 */
export function classifyUpstreamError(error: NodeJS.ErrnoException, requestSent: boolean, reusedSocket: boolean): UpstreamFailure {
  const code = error.code ?? 'ERROR';
  const connectFailed = error.syscall === 'connect' || code === 'ECONNREFUSED';
  return {
    reason: connectFailed ? `connect ${code}` : `${code} before response`,
    reachedApp: requestSent && !connectFailed,
    ejectNow: connectFailed || (code === 'ECONNRESET' && !reusedSocket),
  };
}

/**
 * Whether a failed attempt may be sent to another target: always when it never reached the app;
 * otherwise only a request without body whose method has no side effects (the app may have
 * crashed while handling it, so replaying it is harmless).
 */
export function mayRetry(failure: UpstreamFailure, method: string, hasBody: boolean): boolean {
  return !failure.reachedApp || (!hasBody && IDEMPOTENT_METHODS.has(method));
}
