// Runs the template's Lambda functions locally. Each function gets a small pool of worker threads;
// each worker is one execution environment (one invocation at a time, warm between calls), with
// exactly the environment the template gives the function plus the local endpoints of the AWS
// services. A timed-out invocation kills its worker, as Lambda does.
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FunctionDef } from './template';

export class LambdaInvokeError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly trace: string[] = [],
  ) {
    super(message);
    this.name = errorType;
  }
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
  slot: Slot;
}

export interface LambdaHostOptions {
  /** Environment added to every function (AWS endpoints, region, credentials). */
  baseEnv: Record<string, string>;
  /** Per-function environment overrides, by logical id. */
  overrides?: Record<string, Record<string, string>>;
  maxWorkersPerFunction?: number;
  logFile?: string;
  /** Echo function logs to this process's stdout too. */
  echoLogs?: boolean;
}

class FunctionPool {
  private slots: Slot[] = [];
  private waiting: (() => void)[] = [];
  private pending = new Map<string, Pending>();
  /** Set by stop(): no worker is spawned after it, even for an invocation already waiting. */
  private stopped = false;

  constructor(
    readonly def: FunctionDef,
    private readonly env: Record<string, string>,
    private readonly max: number,
    private readonly log: (fn: string, line: string) => void,
  ) {}

  private spawn(): Slot {
    const worker = new Worker(join(__dirname, 'lambda-worker.js'), {
      env: this.env,
      execArgv: ['--enable-source-maps'],
      stdout: true,
      stderr: true,
      workerData: {
        handlerFile: this.def.handlerFile,
        handlerExport: this.def.handlerExport,
        functionName: this.def.name,
        functionArn: this.def.arn,
        memorySize: this.def.memorySize,
        timeoutSeconds: this.def.timeoutSeconds,
      },
    });
    const slot: Slot = { worker, busy: false };
    const pipe = (stream: NodeJS.ReadableStream) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.log(this.def.logicalId, buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    };
    pipe(worker.stdout);
    pipe(worker.stderr);
    worker.on('message', (msg: { id: string; ok: boolean; result?: unknown; errorType?: string; errorMessage?: string; trace?: string[] }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      this.release(p.slot);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new LambdaInvokeError(msg.errorType ?? 'Error', msg.errorMessage ?? 'failed', msg.trace));
    });
    worker.on('error', (e) => this.fail(slot, new LambdaInvokeError('Runtime.ExitError', `${this.def.logicalId} crashed: ${e.message}`)));
    worker.on('exit', () => this.fail(slot, new LambdaInvokeError('Runtime.ExitError', `${this.def.logicalId} exited`)));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private fail(slot: Slot, err: Error): void {
    this.slots = this.slots.filter((s) => s !== slot);
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.waiting.shift()?.();
  }

  private release(slot: Slot): void {
    slot.busy = false;
    this.waiting.shift()?.();
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      if (this.stopped) throw new LambdaInvokeError('ServiceException', `${this.def.logicalId}: the local runtime is stopping`);
      const free = this.slots.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      if (this.slots.length < this.max) {
        const s = this.spawn();
        s.busy = true;
        return s;
      }
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  async invoke(event: unknown): Promise<unknown> {
    const slot = await this.acquire();
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.slots = this.slots.filter((s) => s !== slot);
        void slot.worker.terminate();
        this.waiting.shift()?.();
        reject(new LambdaInvokeError('Sandbox.Timedout', `Task timed out after ${this.def.timeoutSeconds.toFixed(2)} seconds`));
      }, this.def.timeoutSeconds * 1000);
      this.pending.set(id, { resolve, reject, timer, slot });
      slot.worker.postMessage({ id, requestId: id, event });
    });
  }

  async stop(): Promise<void> {
    // Stop first, then terminate: a terminated worker's exit wakes a waiting invocation, which
    // must not spawn a new worker (it would outlive the runtime and keep the process alive).
    this.stopped = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    const slots = this.slots;
    this.slots = [];
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

export class LambdaHost {
  private pools = new Map<string, FunctionPool>();
  private logStream?: WriteStream;

  constructor(
    readonly functions: FunctionDef[],
    private readonly opts: LambdaHostOptions,
  ) {
    if (opts.logFile) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      this.logStream = createWriteStream(opts.logFile, { flags: 'a' });
    }
    for (const def of functions) {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        LANG: 'en_US.UTF-8',
        AWS_LAMBDA_FUNCTION_NAME: def.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(def.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: `AWS_Lambda_${def.runtime}`,
        ...opts.baseEnv,
        ...def.environment,
        ...(opts.overrides?.[def.logicalId] ?? {}),
      };
      delete env.NODE_OPTIONS; // workers take execArgv instead
      this.pools.set(def.logicalId, new FunctionPool(def, env, opts.maxWorkersPerFunction ?? 4, (fn, line) => this.log(fn, line)));
    }
  }

  private log(fn: string, line: string): void {
    const out = `[${fn}] ${line}\n`;
    this.logStream?.write(out);
    if (this.opts.echoLogs) process.stdout.write(out);
  }

  has(logicalId: string): boolean {
    return this.pools.has(logicalId);
  }

  def(logicalId: string): FunctionDef | undefined {
    return this.pools.get(logicalId)?.def;
  }

  /** Finds a function by logical id, physical name or ARN (with or without a qualifier). */
  resolve(ref: string): FunctionDef | undefined {
    const bare = ref.replace(/:(\$LATEST|\d+)$/, '');
    for (const p of this.pools.values()) {
      const d = p.def;
      if (d.logicalId === bare || d.name === bare || d.arn === bare || bare.endsWith(`:function:${d.name}`)) return d;
    }
    return undefined;
  }

  invoke(ref: string, event: unknown): Promise<unknown> {
    const def = this.resolve(ref);
    if (!def) return Promise.reject(new LambdaInvokeError('ResourceNotFoundException', `Function not found: ${ref}`));
    return this.pools.get(def.logicalId)!.invoke(event);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
    await new Promise<void>((r) => (this.logStream ? this.logStream.end(r) : r()));
  }
}
