// Local stand-ins for the AWS services the functions call, other than DynamoDB (dynamo.ts),
// Step Functions (sfn/) and EventBridge (events/):
//   - S3, SNS, SQS: fauxqs, in its own process (fauxqs-server.mjs). It does not enforce S3 Object
//     Lock or check signatures (so presigned URLs work as plain GETs).
//   - Lambda: an Invoke endpoint (RequestResponse and Event) onto the local functions, so a
//     function can invoke another through the ordinary @aws-sdk/client-lambda.
//   - Secrets Manager: a FAKE (no emulator runs here), answering GetSecretValue from a map the
//     runtime fills (e.g. the local Slurm clusters' JWT keys), faithful to the JSON 1.1 API.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { LambdaHost } from './lambda-host';
import { LambdaInvokeError } from './lambda-host';

export interface FauxqsProcess {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startFauxqs(cfg: { region: string; buckets: string[]; topics: string[]; queues: string[] }): Promise<FauxqsProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'fauxqs-server.mjs'), JSON.stringify({ ...cfg, port: 0 })], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fauxqs did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`fauxqs exited (${code}):\n${out}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

export interface FailedAsyncInvocation {
  functionName: string;
  payload: unknown;
  error: string;
  attempts: number;
  time: string;
}

export interface LocalServiceEndpoints {
  lambdaEndpoint: string;
  secretsEndpoint: string;
  /** Async invocations that failed after Lambda's retries (the local dead-letter record). */
  failedAsync: FailedAsyncInvocation[];
  /** Resolves when no async invocation is in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const ASYNC_RETRY_DELAYS_MS = [1000, 2000]; // Lambda retries an async event twice (after ~1 and ~2 minutes; scaled down here)

export async function startLambdaAndSecrets(lambdas: LambdaHost, secrets: () => Record<string, string>): Promise<LocalServiceEndpoints> {
  const failedAsync: FailedAsyncInvocation[] = [];
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const settle = () => {
    if (inFlight === 0) {
      idleWaiters.forEach((w) => w());
      idleWaiters = [];
    }
  };
  const runAsync = async (fn: string, payload: unknown) => {
    inFlight++;
    let attempt = 0;
    for (;;) {
      try {
        await lambdas.invoke(fn, payload);
        break;
      } catch (e) {
        if (attempt >= ASYNC_RETRY_DELAYS_MS.length) {
          failedAsync.push({ functionName: fn, payload, error: `${(e as Error).name}: ${(e as Error).message}`, attempts: attempt + 1, time: new Date().toISOString() });
          break;
        }
        await new Promise((r) => setTimeout(r, ASYNC_RETRY_DELAYS_MS[attempt++]));
      }
    }
    inFlight--;
    settle();
  };

  const servers: Server[] = [];
  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
  };
  const readBody = (req: import('node:http').IncomingMessage) =>
    new Promise<string>((resolve) => {
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (b += c));
      req.on('end', () => resolve(b));
    });

  // Lambda REST API: POST /2015-03-31/functions/{name}/invocations
  const lambdaEndpoint = await listen(async (req, res): Promise<void> => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    const body = await readBody(req);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Type: 'User', message: 'Unsupported local Lambda operation' }));
      return;
    }
    const fn = decodeURIComponent(m[1]);
    if (!lambdas.resolve(fn)) {
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
      res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${fn}` }));
      return;
    }
    const payload = body ? JSON.parse(body) : {};
    const requestId = randomUUID();
    if ((req.headers['x-amz-invocation-type'] ?? 'RequestResponse') === 'Event') {
      void runAsync(fn, payload);
      res.writeHead(202, { 'x-amzn-requestid': requestId });
      res.end();
      return;
    }
    try {
      const out = await lambdas.invoke(fn, payload);
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' });
      res.end(JSON.stringify(out ?? null));
    } catch (e) {
      const err = e instanceof LambdaInvokeError ? e : new LambdaInvokeError('Error', String((e as Error).message));
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amz-function-error': 'Unhandled' });
      res.end(JSON.stringify({ errorType: err.errorType, errorMessage: err.message, trace: err.trace }));
    }
  });

  // Secrets Manager (FAKE): JSON 1.1, X-Amz-Target: secretsmanager.GetSecretValue
  const secretsEndpoint = await listen(async (req, res) => {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const send = (status: number, obj: unknown, type?: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(type ? { 'x-amzn-errortype': type } : {}) });
      res.end(JSON.stringify(obj));
    };
    if (target !== 'secretsmanager.GetSecretValue') return send(400, { __type: 'UnsupportedOperation', message: `The local Secrets Manager fake only answers GetSecretValue, not ${target}` }, 'UnsupportedOperation');
    const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
    const all = secrets();
    const value = SecretId ? all[SecretId] : undefined;
    if (value === undefined) return send(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }, 'ResourceNotFoundException');
    send(200, { ARN: `arn:aws:secretsmanager:local:000000000000:secret:${SecretId}`, Name: SecretId, SecretString: value, VersionId: 'local', VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 });
  });

  return {
    lambdaEndpoint,
    secretsEndpoint,
    failedAsync,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    stop: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
