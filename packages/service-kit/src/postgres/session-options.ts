/**
 * The `options` startup parameter of a pg pool: the service's own session settings (for example
 * `-c jit=off`) after any PGOPTIONS of the environment. Setting `options` on a pool replaces
 * PGOPTIONS, so an operator's settings would otherwise be lost; later settings win in PostgreSQL,
 * so the service's own take effect over the environment's.
 */
export function postgresSessionOptions(settings: string, pgOptions: string | undefined = process.env.PGOPTIONS): string {
  return [pgOptions?.trim(), settings].filter(Boolean).join(' ');
}
