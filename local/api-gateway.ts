// A local API Gateway (REST, v1) built from the template's API (an OpenAPI Body or Method
// resources): Lambda proxy integrations, the TOKEN authorizer (with its validation expression and
// result cache), required-parameter validation, MOCK integrations (CORS preflights, static answers)
// and the gateway responses' templates.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ApiDef, GatewayResponseDef, RouteDef } from './template';
import { LOCAL_ACCOUNT } from './template';
import type { LambdaHost } from './lambda-host';

const MAX_BODY = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = 29_000;

interface Compiled {
  route: RouteDef;
  re: RegExp;
  names: string[];
  literals: number;
}

function compile(path: string): { re: RegExp; names: string[]; literals: number } {
  const names: string[] = [];
  let literals = 0;
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((seg) => {
      const greedy = /^\{(.+)\+\}$/.exec(seg);
      if (greedy) {
        names.push(greedy[1]);
        return '(.+)';
      }
      const p = /^\{(.+)\}$/.exec(seg);
      if (p) {
        names.push(p[1]);
        return '([^/]+)';
      }
      literals++;
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
  return { re: new RegExp(`^/${parts.join('/')}/?$`), names, literals };
}

interface AuthCacheEntry {
  expires: number;
  principalId: string;
  context: Record<string, unknown>;
  allow: (arn: string) => boolean;
}

function policyMatcher(doc: { Statement?: { Effect: string; Action?: string | string[]; Resource?: string | string[] }[] }): (arn: string) => boolean {
  const toRe = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
  const stmts = (doc.Statement ?? []).map((s) => ({ effect: s.Effect, res: ([] as string[]).concat(s.Resource ?? []).map(toRe) }));
  return (arn) => {
    if (stmts.some((s) => s.effect === 'Deny' && s.res.some((r) => r.test(arn)))) return false;
    return stmts.some((s) => s.effect === 'Allow' && s.res.some((r) => r.test(arn)));
  };
}

export interface LocalApiOptions {
  api: ApiDef;
  lambdas: LambdaHost;
  region: string;
  port?: number;
  host?: string;
}

export class LocalApiGateway {
  private server?: Server;
  private compiled: Compiled[];
  private authCache = new Map<string, AuthCacheEntry>();
  readonly apiId: string;

  constructor(private readonly opts: LocalApiOptions) {
    this.apiId = 'local';
    this.compiled = opts.api.routes.map((route) => ({ route, ...compile(route.path) })).sort((a, b) => b.literals - a.literals || b.names.length - a.names.length);
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const addr = this.server.address() as { port: number };
    return `http://${this.opts.host ?? '127.0.0.1'}:${addr.port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private gateway(res: ServerResponse, type: string, fallbackStatus: number, message: string, extraHeaders: Record<string, string> = {}): void {
    const g: GatewayResponseDef | undefined = this.opts.api.gatewayResponses[type] ?? this.opts.api.gatewayResponses[fallbackStatus >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'];
    const status = g?.statusCode ?? fallbackStatus;
    const body = g?.template ? g.template.replace(/"?\$context\.error\.(messageString|validationErrorString)"?/g, () => JSON.stringify(message)) : JSON.stringify({ message });
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, ...g?.headers, ...extraHeaders });
    res.end(body);
  }

  private async readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) return 'too-large';
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async authorize(route: RouteDef, headers: Record<string, string>, methodArn: string, res: ServerResponse): Promise<AuthCacheEntry | undefined> {
    const a = this.opts.api.authorizers[route.authorizerLogicalId!];
    const token = headers[a.identityHeader.toLowerCase()];
    if (!token || (a.validationRegex && !new RegExp(a.validationRegex).test(token))) {
      this.gateway(res, 'UNAUTHORIZED', 401, 'Unauthorized');
      return undefined;
    }
    const cached = this.authCache.get(token);
    let entry: AuthCacheEntry;
    if (cached && cached.expires > Date.now()) entry = cached;
    else {
      try {
        const out = (await this.opts.lambdas.invoke(a.functionLogicalId, { type: 'TOKEN', authorizationToken: token, methodArn })) as {
          principalId: string;
          policyDocument: Parameters<typeof policyMatcher>[0];
          context?: Record<string, unknown>;
        };
        entry = { expires: Date.now() + a.ttlSeconds * 1000, principalId: out.principalId, context: out.context ?? {}, allow: policyMatcher(out.policyDocument) };
        if (a.ttlSeconds > 0) this.authCache.set(token, entry);
      } catch (e) {
        if ((e as Error).message === 'Unauthorized') {
          this.gateway(res, 'UNAUTHORIZED', 401, 'Unauthorized');
          return undefined;
        }
        this.gateway(res, 'AUTHORIZER_FAILURE', 500, 'Authorizer failed');
        return undefined;
      }
    }
    if (!entry.allow(methodArn)) {
      this.gateway(res, 'ACCESS_DENIED', 403, 'User is not authorized to access this resource with an explicit deny');
      return undefined;
    }
    return entry;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const path = decodeURIComponent(url.pathname);
      const method = (req.method ?? 'GET').toUpperCase();
      const headers: Record<string, string> = {};
      const multiValueHeaders: Record<string, string[]> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i];
        headers[k] = req.rawHeaders[i + 1];
        (multiValueHeaders[k] ??= []).push(req.rawHeaders[i + 1]);
      }
      const lower: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;

      if (method === 'OPTIONS') {
        const mock = this.opts.api.mocks.find((m) => m.method === 'OPTIONS' && compile(m.path).re.test(path));
        if (mock) {
          res.writeHead(mock.statusCode, mock.headers);
          res.end();
          return;
        }
      }
      const candidates = this.compiled.filter((c) => c.re.test(path));
      const hit = candidates.find((c) => c.route.method === method || c.route.method === 'ANY');
      // A MOCK integration on another method (a health check, say) answers its static response.
      const mock = hit ? undefined : this.opts.api.mocks.find((m) => (m.method === method || m.method === 'ANY') && compile(m.path).re.test(path));
      if (mock) {
        res.writeHead(mock.statusCode, { ...(mock.body !== undefined ? { 'content-type': 'application/json' } : {}), ...mock.headers });
        res.end(mock.body ?? '');
        return;
      }
      if (!hit) {
        this.gateway(res, 'MISSING_AUTHENTICATION_TOKEN', 403, 'Missing Authentication Token');
        return;
      }
      const m = hit.re.exec(path)!;
      const pathParameters: Record<string, string> = {};
      hit.names.forEach((n, i) => (pathParameters[n] = m[i + 1]));

      const requestId = randomUUID();
      const stage = this.opts.api.stageName;
      const methodArn = `arn:aws:execute-api:${this.opts.region}:${LOCAL_ACCOUNT}:${this.apiId}/${stage}/${method}${path}`;
      let authorizer: Record<string, unknown> | undefined;
      if (hit.route.authorizerLogicalId) {
        const entry = await this.authorize(hit.route, lower, methodArn, res);
        if (!entry) return;
        authorizer = { ...entry.context, principalId: entry.principalId, integrationLatency: 0 };
      }

      const query: Record<string, string> = {};
      const multiQuery: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) {
        query[k] = v;
        (multiQuery[k] ??= []).push(v);
      }
      for (const p of hit.route.requiredParams) {
        const [, where, name] = /^method\.request\.(path|querystring|header)\.(.+)$/.exec(p) ?? [];
        const present = where === 'path' ? pathParameters[name] : where === 'querystring' ? query[name] : lower[name?.toLowerCase()];
        if (!present) {
          this.gateway(res, 'BAD_REQUEST_PARAMETERS', 400, `Missing required request parameters: [${name}]`);
          return;
        }
      }
      const raw = await this.readBody(req);
      if (raw === 'too-large') {
        this.gateway(res, 'REQUEST_TOO_LARGE', 413, 'Request Too Long');
        return;
      }
      const event = {
        resource: hit.route.path,
        path,
        httpMethod: method,
        headers,
        multiValueHeaders,
        queryStringParameters: Object.keys(query).length ? query : null,
        multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
        pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
        stageVariables: null,
        requestContext: {
          accountId: LOCAL_ACCOUNT,
          apiId: this.apiId,
          resourceId: hit.route.path,
          resourcePath: hit.route.path,
          httpMethod: method,
          path: `/${stage}${path}`,
          stage,
          requestId,
          extendedRequestId: requestId,
          requestTime: new Date().toUTCString(),
          requestTimeEpoch: Date.now(),
          protocol: 'HTTP/1.1',
          identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: lower['user-agent'] ?? null },
          authorizer: authorizer ?? null,
        },
        body: raw.length ? raw.toString('utf8') : null,
        isBase64Encoded: false,
      };
      let out: { statusCode?: number; headers?: Record<string, string>; multiValueHeaders?: Record<string, string[]>; body?: string; isBase64Encoded?: boolean };
      try {
        out = (await Promise.race([this.opts.lambdas.invoke(hit.route.functionLogicalId, event), new Promise((_, reject) => setTimeout(() => reject(new Error('IntegrationTimeout')), INTEGRATION_TIMEOUT_MS).unref())])) as typeof out;
      } catch (e) {
        if ((e as Error).message === 'IntegrationTimeout') this.gateway(res, 'INTEGRATION_TIMEOUT', 504, 'Endpoint request timed out');
        else this.gateway(res, 'DEFAULT_5XX', 502, 'Internal server error');
        return;
      }
      if (!out || typeof out.statusCode !== 'number') {
        this.gateway(res, 'DEFAULT_5XX', 502, 'Internal server error');
        return;
      }
      const resHeaders: Record<string, string | string[]> = { 'x-amzn-requestid': requestId, ...out.headers };
      for (const [k, v] of Object.entries(out.multiValueHeaders ?? {})) resHeaders[k] = v;
      res.writeHead(out.statusCode, resHeaders);
      res.end(out.body ? (out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body) : undefined);
    } catch (e) {
      if (!res.headersSent) this.gateway(res, 'DEFAULT_5XX', 500, `Local gateway error: ${(e as Error).message}`);
      else res.end();
    }
  }
}
