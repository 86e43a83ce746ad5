// The local Lambda host stops for good: an invocation that was waiting for a busy function when the
// runtime stopped, or one that arrives afterwards, is refused rather than given a new worker (a
// worker spawned after stop() outlived the runtime and kept the test process from exiting).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaHost, LambdaInvokeError } from '../../lambda-host';
import type { FunctionDef } from '../../template';

function host(): LambdaHost {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-lambda-host-'));
  const handlerFile = join(dir, 'index.js');
  // Answers { n } after the event's delay, from a worker of its own.
  writeFileSync(handlerFile, 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); return { n: e.n }; };\n');
  const def: FunctionDef = {
    logicalId: 'Slow',
    name: 'slow',
    arn: 'arn:aws:lambda:ap-northeast-2:000000000000:function:slow',
    cdkPath: 'Test/Slow',
    bundleDir: dir,
    handlerFile,
    handlerExport: 'handler',
    environment: {},
    timeoutSeconds: 30,
    memorySize: 128,
    runtime: 'nodejs24.x',
  };
  return new LambdaHost([def], { baseEnv: {}, maxWorkersPerFunction: 1 });
}

describe('LambdaHost.stop', () => {
  it('runs invocations one at a time per worker while running', async () => {
    const h = host();
    try {
      await expect(Promise.all([h.invoke('Slow', { n: 1, ms: 50 }), h.invoke('slow', { n: 2, ms: 0 })])).resolves.toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await h.stop();
    }
  });

  it('refuses an invocation that was waiting for a worker when it stopped, and any after', async () => {
    const h = host();
    const first = h.invoke('Slow', { n: 1, ms: 60_000 }); // holds the only worker
    first.catch(() => undefined); // stopping drops it; its outcome is not what this test is about
    await new Promise((r) => setTimeout(r, 200));
    const waiting = h.invoke('Slow', { n: 2, ms: 0 }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    await h.stop();
    const outcome = (await waiting) as { result?: unknown; error?: Error };
    expect(outcome.result).toBeUndefined();
    expect(outcome.error).toBeInstanceOf(LambdaInvokeError);
    expect(outcome.error?.message).toMatch(/stopping/);
    await expect(h.invoke('Slow', { n: 3, ms: 0 })).rejects.toThrow(/stopping/);
  });
});
