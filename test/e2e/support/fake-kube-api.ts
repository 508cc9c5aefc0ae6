// A small Kubernetes-API-compatible server for tests: discovery, server-side apply, JSON merge
// patches (also on /status), get/list/watch with resourceVersion, and status updates driven by the
// test. The one thing faked in the Kubernetes tests: @kubernetes/client-node talks to it over HTTP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: stored API objects of any kind
type Obj = Record<string, any>;

interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

const RESOURCES: ResourceType[] = [
  { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet' },
  { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler' },
  { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget' },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress' },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute' },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', kind: 'Rollout' },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'analysistemplates', kind: 'AnalysisTemplate' },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'analysisruns', kind: 'AnalysisRun' },
];

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: unknown;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  object: Obj;
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, Obj>();
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<{ prefix: string; name?: string; res: ServerResponse }>();
  private readonly sockets = new Set<Socket>();
  private rv = 100;
  /** API groups the cluster does not serve (a CRD not installed): left out of discovery, 404 on their paths. */
  readonly hiddenGroups = new Set<string>();
  /** Events at or below this resourceVersion are compacted: a watch from before it gets 410 Gone. */
  compactedBelow = 0;
  /** Called after every apply or patch, so a test can act as the cluster's controllers. */
  onChange: (kind: string, object: Obj) => void = () => {};
  private server: Server | undefined;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => this.send(res, 500, status(500, 'InternalError', String(error))));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A kubeconfig for this server, with one context named `fake`. */
  kubeconfig(namespace = 'default'): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'tester', user: { token: 'not-a-secret' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'tester', namespace } }],
      'current-context': 'fake',
    });
  }

  /** Cuts every open watch connection, as an API server or a load balancer in front of it would. */
  dropWatches(): void {
    for (const watcher of this.watchers) watcher.res.socket?.destroy();
    this.watchers.clear();
  }

  get(kind: string, namespace: string, name: string): Obj | undefined {
    const type = byKind(kind);
    const found = this.objects.get(key(type, namespace, name));
    return found === undefined ? undefined : structuredClone(found);
  }

  list(kind: string, namespace: string): Obj[] {
    const type = byKind(kind);
    const prefix = `${type.group}/${type.plural}/${namespace}/`;
    return [...this.objects.entries()].filter(([k]) => k.startsWith(prefix)).map(([, o]) => structuredClone(o));
  }

  /** Stores an object as a controller would (a ReplicaSet, a status change), with a new resourceVersion. */
  put(object: Obj): Obj {
    const type = byKind(object.kind);
    const ns = object.metadata.namespace ?? 'default';
    const k = key(type, ns, object.metadata.name);
    const existing = this.objects.get(k);
    const stored = structuredClone(object);
    stored.metadata = { ...stored.metadata, namespace: ns, uid: existing?.metadata.uid ?? `uid-${this.rv}` };
    stored.metadata.generation ??= existing?.metadata.generation ?? 1;
    stored.metadata.creationTimestamp ??= existing?.metadata.creationTimestamp ?? new Date().toISOString();
    return this.store(k, stored, existing === undefined ? 'ADDED' : 'MODIFIED');
  }

  /** Changes an object's status (or anything else) the way the cluster's controllers would. */
  update(kind: string, namespace: string, name: string, change: (object: Obj) => void): Obj {
    const type = byKind(kind);
    const k = key(type, namespace, name);
    const existing = this.objects.get(k);
    if (existing === undefined) throw new Error(`no ${kind} ${namespace}/${name}`);
    const next = structuredClone(existing);
    change(next);
    return this.store(k, next, 'MODIFIED');
  }

  private store(k: string, object: Obj, type: WatchEvent['type']): Obj {
    this.rv++;
    object.metadata.resourceVersion = String(this.rv);
    this.objects.set(k, object);
    const event: WatchEvent = { rv: this.rv, type, key: k, object: structuredClone(object) };
    this.events.push(event);
    for (const watcher of this.watchers) {
      if (k.startsWith(watcher.prefix) && (watcher.name === undefined || object.metadata.name === watcher.name))
        watcher.res.write(`${JSON.stringify({ type, object })}\n`);
    }
    return structuredClone(object);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const text = await readBody(req);
    const contentType = req.headers['content-type']?.split(';')[0];
    let body: unknown;
    if (text.length > 0) body = contentType === 'application/apply-patch+yaml' ? parseYaml(text) : JSON.parse(text);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, contentType, body });
    const path = url.pathname;
    if (path === '/api') return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') return this.send(res, 200, groupList(this.hiddenGroups));
    const hidden = [...this.hiddenGroups].some((group) => path.startsWith(`/apis/${group}/`));
    if (hidden) return this.send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const discovery = RESOURCES.filter((r) => apiPrefix(r) === path);
    if (discovery.length > 0) return this.send(res, 200, resourceList(discovery));
    const route = parsePath(path);
    if (route === undefined) return this.send(res, 404, status(404, 'NotFound', `no route ${path}`));
    const { type, namespace, name, subresource } = route;
    if (req.method === 'GET' && name === undefined) {
      if (query.watch === 'true' || query.watch === '1') return this.watch(res, type, namespace, query);
      return this.listResponse(res, type, namespace, query);
    }
    if (name === undefined) return this.send(res, 405, status(405, 'MethodNotAllowed', 'not here'));
    const k = key(type, namespace, name);
    const existing = this.objects.get(k);
    if (req.method === 'GET') {
      if (existing === undefined) return this.send(res, 404, status(404, 'NotFound', `${type.plural} "${name}" not found`));
      return this.send(res, 200, existing);
    }
    if (req.method === 'PATCH' && contentType === 'application/apply-patch+yaml') {
      if (query.fieldManager === undefined) return this.send(res, 400, status(400, 'BadRequest', 'fieldManager is required for apply'));
      const applied = body as Obj;
      // A resourceVersion in an applied object is a precondition.
      if (applied.metadata?.resourceVersion !== undefined && applied.metadata.resourceVersion !== existing?.metadata.resourceVersion)
        return this.send(
          res,
          409,
          status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version'),
        );
      const next: Obj = existing ? structuredClone(existing) : { metadata: { uid: `uid-${this.rv}`, generation: 0 } };
      const specChanged = JSON.stringify(existing?.spec) !== JSON.stringify(applied.spec);
      next.apiVersion = applied.apiVersion;
      next.kind = applied.kind;
      next.metadata = {
        ...next.metadata,
        name,
        namespace,
        labels: applied.metadata?.labels,
        annotations: { ...next.metadata.annotations, ...applied.metadata?.annotations },
        managedFields: [{ manager: query.fieldManager, operation: 'Apply' }],
      };
      next.metadata.creationTimestamp ??= new Date().toISOString();
      for (const field of Object.keys(applied))
        if (!['apiVersion', 'kind', 'metadata', 'status'].includes(field)) next[field] = applied[field];
      if (specChanged) next.metadata.generation = (next.metadata.generation ?? 0) + 1;
      const stored = this.store(k, next, existing ? 'MODIFIED' : 'ADDED');
      this.send(res, existing ? 200 : 201, stored);
      this.onChange(type.kind, structuredClone(stored));
      return;
    }
    if (req.method === 'PATCH' && contentType === 'application/merge-patch+json') {
      if (existing === undefined) return this.send(res, 404, status(404, 'NotFound', `${type.plural} "${name}" not found`));
      const patch = body as Obj;
      const next = structuredClone(existing);
      if (subresource === 'status') next.status = mergePatch(next.status ?? {}, patch.status ?? {});
      else {
        const merged = mergePatch(next, { ...patch, status: undefined });
        if (JSON.stringify(merged.spec) !== JSON.stringify(existing.spec))
          merged.metadata.generation = (existing.metadata.generation ?? 0) + 1;
        Object.assign(next, merged);
      }
      const stored = this.store(k, next, 'MODIFIED');
      this.send(res, 200, stored);
      this.onChange(type.kind, structuredClone(stored));
      return;
    }
    this.send(res, 415, status(415, 'UnsupportedMediaType', `${req.method} ${contentType ?? ''} is not served by the fake`));
  }

  private listResponse(res: ServerResponse, type: ResourceType, namespace: string, query: Record<string, string>): void {
    const items = this.matching(type, namespace, query).map(([, o]) => o);
    this.send(res, 200, {
      apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
      kind: `${type.kind}List`,
      metadata: { resourceVersion: String(this.rv) },
      items,
    });
  }

  private matching(type: ResourceType, namespace: string, query: Record<string, string>): [string, Obj][] {
    const prefix = `${type.group}/${type.plural}/${namespace}/`;
    const name = fieldName(query.fieldSelector);
    const labels = parseLabels(query.labelSelector);
    return [...this.objects.entries()].filter(
      ([k, o]) =>
        k.startsWith(prefix) &&
        (name === undefined || o.metadata.name === name) &&
        Object.entries(labels).every(([l, v]) => o.metadata.labels?.[l] === v),
    );
  }

  private watch(res: ServerResponse, type: ResourceType, namespace: string, query: Record<string, string>): void {
    const prefix = `${type.group}/${type.plural}/${namespace}/`;
    const name = fieldName(query.fieldSelector);
    const from = Number(query.resourceVersion ?? '0');
    res.writeHead(200, { 'content-type': 'application/json' });
    if (from > 0 && from < this.compactedBelow) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from}`) })}\n`);
      return;
    }
    for (const event of this.events) {
      if (event.rv > from && event.key.startsWith(prefix) && (name === undefined || event.object.metadata.name === name))
        res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    }
    const watcher = { prefix, name, res };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

function byKind(kind: string): ResourceType {
  const type = RESOURCES.find((r) => r.kind === kind);
  if (type === undefined) throw new Error(`the fake serves no ${kind}`);
  return type;
}

function key(type: ResourceType, namespace: string, name: string): string {
  return `${type.group}/${type.plural}/${namespace}/${name}`;
}

function apiPrefix(type: ResourceType): string {
  return type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

function parsePath(path: string): { type: ResourceType; namespace: string; name?: string; subresource?: string } | undefined {
  for (const type of RESOURCES) {
    const prefix = `${apiPrefix(type)}/namespaces/`;
    if (!path.startsWith(prefix)) continue;
    const [namespace, plural, name, subresource] = path.slice(prefix.length).split('/');
    if (plural === type.plural && namespace) return { type, namespace, name, subresource };
  }
  return undefined;
}

function groupList(hidden: Set<string>): Obj {
  const groups = [...new Set(RESOURCES.filter((r) => r.group !== '' && !hidden.has(r.group)).map((r) => `${r.group}/${r.version}`))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((gv) => {
      const [name, version] = gv.split('/');
      return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
    }),
  };
}

function resourceList(types: ResourceType[]): Obj {
  const first = types[0] as ResourceType;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: first.group ? `${first.group}/${first.version}` : first.version,
    resources: types.flatMap((t) => [
      { name: t.plural, singularName: t.kind.toLowerCase(), namespaced: true, kind: t.kind, verbs: ['get', 'list', 'watch', 'patch'] },
      { name: `${t.plural}/status`, singularName: '', namespaced: true, kind: t.kind, verbs: ['get', 'patch'] },
    ]),
  };
}

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, metadata: {} };
}

function fieldName(selector: string | undefined): string | undefined {
  const match = /^metadata\.name=(.+)$/.exec(selector ?? '');
  return match?.[1];
}

function parseLabels(selector: string | undefined): Record<string, string> {
  if (!selector) return {};
  return Object.fromEntries(selector.split(',').map((pair) => pair.split('=') as [string, string]));
}

/** RFC 7386: null removes a key, objects merge, anything else replaces. */
function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k]))
      out[k] = mergePatch(out[k], v);
    else out[k] = v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
