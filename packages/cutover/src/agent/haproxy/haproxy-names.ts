/** Backend of a service in the generated config (service names are lower-case letters, digits and dashes). */
export function backendName(service: string): string {
  return `svc_${service}`;
}

/** The name of slot `index` (0-based) of a backend: s1, s2, … */
export function slotName(index: number): string {
  return `s${index + 1}`;
}

/** `s12` → 11; -1 for anything else. */
export function slotIndex(server: string): number {
  if (server.charCodeAt(0) !== 115 /* s */) return -1;
  const index = Number(server.slice(1)) - 1;
  return Number.isInteger(index) && index >= 0 ? index : -1;
}
