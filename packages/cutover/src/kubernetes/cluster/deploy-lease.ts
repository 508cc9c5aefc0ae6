import { hostname, userInfo } from 'node:os';
import { PatchStrategy } from '@kubernetes/client-node';
import { CutoverError } from '../../errors/cutover-error.ts';
import { apiError, type KubeConnection, statusCode } from './kube-connection.ts';

/** A deploy holds the lease this long past its last renewal; a cutover that died frees it after this. */
export const LEASE_DURATION_SECONDS = 30;
const RENEW_EVERY_MS = 10_000;

/** The cluster's deploy lock: a coordination.k8s.io Lease per service, held while a cutover deploys or rolls back. */
export class DeployLease {
  private timer: NodeJS.Timeout | undefined;
  private readonly conn: KubeConnection;
  private readonly namespace: string;
  private readonly name: string;
  readonly holder: string;
  private acquiredAt = '';

  private constructor(conn: KubeConnection, namespace: string, service: string) {
    this.conn = conn;
    this.namespace = namespace;
    this.name = `${service}-cutover-deploy`;
    this.holder = `${safeUser()}@${hostname()}:${process.pid}`;
  }

  /** Takes the lease, or throws CUT_ERR_DEPLOY_LOCKED naming its holder while another cutover renews it. */
  static async acquire(conn: KubeConnection, namespace: string, service: string): Promise<DeployLease> {
    const lease = new DeployLease(conn, namespace, service);
    const current = await lease.read();
    const spec = current?.spec ?? {};
    const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
    const live = Number.isFinite(renewed) && renewed + (spec.leaseDurationSeconds ?? LEASE_DURATION_SECONDS) * 1000 > Date.now();
    if (current !== undefined && live && spec.holderIdentity && spec.holderIdentity !== lease.holder) {
      throw new CutoverError('CUT_ERR_DEPLOY_LOCKED', `${service} is being deployed to the cluster by ${spec.holderIdentity}`, {
        where: `Lease/${namespace}/${lease.name}`,
        hint: `wait for it to end ("cutover status --target kubernetes"); a cutover that died frees it within ${LEASE_DURATION_SECONDS} s`,
        details: { holder: spec.holderIdentity, renewTime: spec.renewTime },
      });
    }
    await lease.write(current?.metadata?.resourceVersion);
    lease.timer = setInterval(() => {
      lease.write().catch(() => undefined);
    }, RENEW_EVERY_MS);
    lease.timer.unref();
    return lease;
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Expired at once: the next deploy takes it without waiting.
    await this.write(undefined, 0).catch(() => undefined);
  }

  // biome-ignore lint/suspicious/noExplicitAny: a Lease read field by field
  private async read(): Promise<Record<string, any> | undefined> {
    try {
      return (await this.conn.objects.read({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
      })) as Record<string, unknown>;
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw apiError(`reading the deploy lease ${this.namespace}/${this.name}`, error, this.conn.server);
    }
  }

  /** Server-side apply of the lease; with a resourceVersion, only if nobody changed it since (a lost race is CUT_ERR_DEPLOY_LOCKED). */
  private async write(resourceVersion?: string, duration = LEASE_DURATION_SECONDS): Promise<void> {
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    if (this.acquiredAt === '') this.acquiredAt = now;
    try {
      await this.conn.objects.patch(
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace: this.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
          spec: { holderIdentity: this.holder, leaseDurationSeconds: duration, acquireTime: this.acquiredAt, renewTime: now },
        },
        undefined,
        undefined,
        'cutover-lock',
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      if (statusCode(error) === 409)
        throw new CutoverError('CUT_ERR_DEPLOY_LOCKED', `another cutover took the deploy lease ${this.name} at the same moment`, {
          hint: '"cutover status --target kubernetes" shows what runs; try again once it ends',
        });
      throw apiError(`writing the deploy lease ${this.namespace}/${this.name}`, error, this.conn.server);
    }
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
