// A minimal server for the AWS JSON protocols (1.0 for Step Functions, 1.1 for EventBridge):
// POST / with X-Amz-Target: <Prefix>.<Operation>, a JSON body, and errors as
// {"__type": "<Code>", "message": "..."} with a 4xx/5xx status, which the AWS SDK v3 maps to
// its modelled exception classes. Timestamps are written as epoch seconds, as the protocol does.
// Shared by local/sfn and local/events.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type OperationHandler = (body: Record<string, unknown>) => unknown;

export interface ProtocolError {
  status: number;
  code: string;
  message: string;
}

export interface AwsJsonServerOptions {
  host?: string;
  port?: number;
  /** "AWSStepFunctions" or "AWSEvents". */
  targetPrefix: string;
  /** "1.0" or "1.1". */
  jsonVersion: '1.0' | '1.1';
  operations: Record<string, OperationHandler>;
  /** Turns a thrown error into the wire error; anything unmapped becomes a 500. */
  mapError(error: unknown): ProtocolError | undefined;
  log?: (line: string) => void;
}

export interface AwsJsonServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const log = options.log ?? (() => undefined);

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      log(`${options.targetPrefix}: unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
      if (!response.headersSent) send(response, 500, { __type: 'InternalFailure', message: 'internal error in the local emulator' });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === 'GET' && (request.url === '/health' || request.url === '/')) {
      return send(response, 200, { ok: true, service: options.targetPrefix });
    }
    if (request.method !== 'POST') return send(response, 405, { __type: 'MethodNotAllowed', message: `${request.method} is not supported` });
    const target = String(request.headers['x-amz-target'] ?? '');
    const [prefix, operationName] = target.split('.');
    const operation = prefix === options.targetPrefix && operationName ? options.operations[operationName] : undefined;
    const raw = await readBody(request);
    if (!operation) return send(response, 400, { __type: 'UnknownOperationException', message: `Unknown operation ${target || '(no X-Amz-Target)'}` });

    let body: Record<string, unknown>;
    try {
      body = raw.length === 0 ? {} : (JSON.parse(raw) as Record<string, unknown>);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return send(response, 400, { __type: 'SerializationException', message: 'the request body is not a JSON object' });
    }

    try {
      const result = await operation(body);
      send(response, 200, result ?? {});
    } catch (error) {
      const mapped = options.mapError(error);
      if (!mapped) throw error;
      send(response, mapped.status, { __type: mapped.code, message: mapped.message });
    }
  }

  function send(response: ServerResponse, status: number, payload: unknown): void {
    const body = JSON.stringify(toWire(payload));
    response.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this close() would wait for them.
        server.closeAllConnections();
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Dates become epoch seconds; undefined members are dropped. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = toWire(member);
    return out;
  }
  return value;
}
