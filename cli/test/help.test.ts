// --help on every command exits 0 and shows an example of it (issue 19's convention).
import { buildProgram } from '../src/main';
import type { Command } from '@commander-js/extra-typings';
import { kairr } from './harness';

const io = { out: { write: () => true }, err: { write: () => true }, env: {}, fetch, sleep: async () => undefined, stdin: () => '' };

function leaves(cmd: Command<any, any, any>, path: string[] = []): string[][] {
  const subs = cmd.commands as Command<any, any, any>[];
  return subs.length ? subs.flatMap((c) => leaves(c, [...path, c.name()])) : [path];
}

const commands = leaves(buildProgram(io));

it('knows every command', () => {
  expect(commands.map((c) => c.join(' ')).sort()).toEqual(
    [
      'alloc decide',
      'alloc list',
      'alloc members add',
      'alloc members remove',
      'alloc request',
      'alloc requests',
      'alloc show',
      'alloc usage',
      'audit events',
      'audit export',
      'audit verify',
      'auth login',
      'auth logout',
      'auth status',
      'completion',
      'data access decide',
      'data access list',
      'data access show',
      'data access withdraw',
      'data alias remove',
      'data alias set',
      'data create',
      'data deprecate',
      'data location add',
      'data location list',
      'data permits revoke',
      'data publish',
      'data pull',
      'data request-access',
      'data return',
      'data submit',
      'data verify',
      'data search',
      'data show',
      'data upload',
      'data version create',
      'decide',
      'job cancel',
      'job list',
      'job show',
      'job submit',
      'lineage',
      'model alias remove',
      'model alias set',
      'model create',
      'model deprecate',
      'model location add',
      'model location list',
      'model publish',
      'model pull',
      'model return',
      'model submit',
      'model verify',
      'model push',
      'model search',
      'model show',
      'model version create',
      'pipeline cancel',
      'pipeline create',
      'pipeline list',
      'pipeline retry',
      'pipeline show',
      'proposal create',
      'proposal list',
      'proposal show',
      'proposal submit',
      'recommend',
      'review conflict',
      'review list',
      'review submit',
      'sites list',
      'sites show',
      'whoami',
    ].sort(),
  );
});

it.each(commands.map((c) => [c.join(' '), c]))('kairr %s --help shows an example of itself', async (_name, path) => {
  const r = await kairr([...(path as string[]), '--help']);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(new RegExp(`Examples?(?: \\([^)]*\\))?:\\n(\\s+.*\\n)*\\s+kairr ${(path as string[]).join(' ')}\\b`));
});

it.each(commands.map((c) => [c.join(' '), c]))('kairr %s with a bad flag is a usage error naming it (exit 2), and asks nothing of the API', async (_name, path) => {
  const calls: string[] = [];
  const r = await kairr([...(path as string[]), '--no-such-flag'], {
    env: { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 't' },
    fetch: async (url) => {
      calls.push(String(url));
      throw new Error('no request expected');
    },
  });
  expect({ code: r.code, err: r.err, calls }).toEqual({ code: 2, err: expect.stringContaining("error: unknown option '--no-such-flag'"), calls: [] });
});
