import { type JwtVerifier, type Principal, requireAuth, sendProblem } from '@cutover/service-kit';
import type { onRequestAsyncHookHandler } from 'fastify';
import type { Role } from '../venues/venue-state-machine.ts';

export const ROLES = ['venue', 'reviewer', 'admin'] as const;
export type UserRole = (typeof ROLES)[number];

/** The roles a token carries: a `roles` list or a single `role` claim. */
export function rolesOf(principal: Principal): UserRole[] {
  const claims = principal.claims as { roles?: unknown; role?: unknown };
  const listed = Array.isArray(claims.roles) ? claims.roles : typeof claims.role === 'string' ? [claims.role] : [];
  return listed.filter((role): role is UserRole => (ROLES as readonly string[]).includes(String(role)));
}

/** The strongest role, as the state machine's actor. */
export function actorRole(principal: Principal): Role {
  const roles = rolesOf(principal);
  return roles.includes('admin') ? 'admin' : roles.includes('reviewer') ? 'reviewer' : 'venue';
}

/**
 * onRequest hooks: a valid bearer token (401 otherwise, from the kit), then one of `roles`
 * (403 problem otherwise). `request.principal` is set for the handler.
 */
export function requireRole(verifier: JwtVerifier, roles: readonly UserRole[]): onRequestAsyncHookHandler[] {
  const authenticate = requireAuth(verifier, { realm: 'compliance' });
  const authorize: onRequestAsyncHookHandler = async (request, reply) => {
    const principal = request.principal;
    if (!principal) return; // requireAuth already answered
    const held = rolesOf(principal);
    if (!roles.some((role) => held.includes(role))) {
      return sendProblem(reply, 403, `this needs the role ${roles.join(' or ')}; the token has ${held.join(', ') || 'none'}`);
    }
  };
  return [authenticate, authorize];
}

/** Whether the caller may see and act on a venue: its owner, or a reviewer/admin. */
export function canAccessVenue(principal: Principal, ownerSubject: string): boolean {
  const roles = rolesOf(principal);
  return roles.includes('reviewer') || roles.includes('admin') || principal.subject === ownerSubject;
}
