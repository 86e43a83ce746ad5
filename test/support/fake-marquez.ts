// FAKE Marquez: a local HTTP server implementing the two endpoints of Marquez's lineage API that
// KAIRR uses, as Marquez (MarquezProject/marquez, api/.../OpenLineageResource.java and
// service/models/LineageEvent.java) implements them. A fake because Marquez needs a JVM service and
// PostgreSQL that this machine does not run; kept faithful to its published behaviour:
//   POST /api/v1/lineage    one RunEvent as JSON (Content-Type application/json, else 415)
//     201, empty body        stored
//     400                    not JSON, an unreadable eventTime ({"code":400,"message":"Unable to process JSON"}),
//                            or a runId that is not a UUID (IllegalArgumentException → 400, empty body)
//     422                    a @NotNull field missing: {"errors":["eventTime must not be null", ...]}
//                            (eventTime, run, job, producer; run.runId; job.namespace and name;
//                            each dataset's namespace and name; a parent facet's run and job)
//     unknown fields are ignored (@JsonIgnoreProperties(ignoreUnknown = true))
//   GET /api/v1/lineage?nodeId=<job|dataset>:<namespace>:<name>&depth=N (default 20)
//     {"graph":[{"id","type":"JOB"|"DATASET","inEdges":[{origin,destination}],"outEdges":[...]}]}:
//     the nodes connected to nodeId within depth, both ways (inputs → job → outputs of each run;
//     outputs of COMPLETE runs only, as Marquez takes a job version's outputs from completed runs)
// `requireApiKey` stands for an authenticating proxy in front of Marquez (Marquez has no auth).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type Json = Record<string, unknown>;

export interface FakeMarquez {
  url: string;
  /** Every event stored, in arrival order. */
  events: Json[];
  /** Every request seen (method, path, status), to assert what was refused. */
  requests: { method: string; path: string; status: number }[];
  stop(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startFakeMarquez(opts: { requireApiKey?: string } = {}): Promise<FakeMarquez> {
  const events: Json[] = [];
  const requests: FakeMarquez['requests'] = [];
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => send(res, 500, { code: 500, message: 'There was an error processing your request.' }));
  });
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    requests.push({ method: res.req.method ?? '', path: (res.req.url ?? '').split('?')[0], status });
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/api/v1/lineage') return send(res, 404, { code: 404, message: 'HTTP 404 Not Found' });
    if (opts.requireApiKey && req.headers.authorization !== `Bearer ${opts.requireApiKey}`) return send(res, 401, { code: 401, message: 'Unauthorized' });
    if (req.method === 'GET') return send(res, 200, lineage(url.searchParams.get('nodeId') ?? '', Number(url.searchParams.get('depth') ?? 20)));
    if (req.method !== 'POST') return send(res, 405, { code: 405, message: 'HTTP 405 Method Not Allowed' });
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) return send(res, 415, { code: 415, message: 'HTTP 415 Unsupported Media Type' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let event: unknown;
    try {
      event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, { code: 400, message: 'Unable to process JSON' });
    }
    if (!isObj(event)) return send(res, 400, { code: 400, message: 'Unable to process JSON' });
    if (event.eventTime !== undefined && event.eventTime !== null && (typeof event.eventTime !== 'string' || Number.isNaN(Date.parse(event.eventTime)))) {
      return send(res, 400, { code: 400, message: 'Unable to process JSON' });
    }
    const errors = notNull(event);
    if (errors.length) return send(res, 422, { errors });
    if (!UUID.test(String((event.run as Json).runId))) return send(res, 400);
    events.push(event);
    return send(res, 201);
  }

  function notNull(e: Json): string[] {
    const errs: string[] = [];
    const need = (o: Json, key: string, path: string) => {
      if (o[key] === undefined || o[key] === null) errs.push(`${path}${key} must not be null`);
    };
    for (const k of ['eventTime', 'run', 'job', 'producer']) need(e, k, '');
    if (isObj(e.run)) {
      need(e.run, 'runId', 'run.');
      const parent = isObj(e.run.facets) ? e.run.facets.parent : undefined;
      if (isObj(parent)) for (const k of ['_producer', '_schemaURL', 'run', 'job']) need(parent, k, 'run.facets.parent.');
    }
    if (isObj(e.job)) for (const k of ['namespace', 'name']) need(e.job, k, 'job.');
    for (const list of ['inputs', 'outputs'] as const) {
      const ds = e[list];
      if (Array.isArray(ds)) ds.forEach((d, i) => isObj(d) && ['namespace', 'name'].forEach((k) => need(d, k, `${list}[${i}].`)));
    }
    return errs;
  }

  /** Marquez's node ids: "job:<namespace>:<name>", "dataset:<namespace>:<name>". */
  function lineage(nodeId: string, depth: number) {
    const adj = new Map<string, { in: Set<string>; out: Set<string> }>();
    const node = (id: string) => adj.get(id) ?? (adj.set(id, { in: new Set(), out: new Set() }), adj.get(id)!);
    for (const e of events) {
      const job = `job:${(e.job as Json).namespace}:${(e.job as Json).name}`;
      node(job);
      for (const d of (e.inputs as Json[] | undefined) ?? []) {
        const ds = `dataset:${d.namespace}:${d.name}`;
        node(ds).out.add(job);
        node(job).in.add(ds);
      }
      if (e.eventType === 'COMPLETE') {
        for (const d of (e.outputs as Json[] | undefined) ?? []) {
          const ds = `dataset:${d.namespace}:${d.name}`;
          node(job).out.add(ds);
          node(ds).in.add(job);
        }
      }
    }
    if (!adj.has(nodeId)) return { graph: [] };
    const seen = new Map<string, number>([[nodeId, 0]]);
    let frontier = [nodeId];
    for (let d = 1; d <= depth && frontier.length; d++) {
      const next: string[] = [];
      for (const id of frontier) for (const n of [...adj.get(id)!.in, ...adj.get(id)!.out]) if (!seen.has(n)) seen.set(n, d), next.push(n);
      frontier = next;
    }
    return {
      graph: [...seen.keys()].map((id) => ({
        id,
        type: id.startsWith('job:') ? 'JOB' : 'DATASET',
        inEdges: [...adj.get(id)!.in].filter((o) => seen.has(o)).map((origin) => ({ origin, destination: id })),
        outEdges: [...adj.get(id)!.out].filter((d) => seen.has(d)).map((destination) => ({ origin: id, destination })),
      })),
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
