// The HiGHS loader: where the wasm comes from, and that it is loaded once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultLocateFile, loadHighsSolver } from '../../../lambdas/recommendation/highs-loader';

describe('HiGHS loader', () => {
  test('by default highs.wasm is found in node_modules', () => {
    const located = defaultLocateFile('highs.wasm');

    expect(located).toBe(path.join(path.dirname(require.resolve('highs/runtime')), 'highs.wasm'));
    expect(fs.existsSync(located)).toBe(true);
  });

  test('a locateFile option decides where the wasm is read from, and the instance is cached', async () => {
    const asked: string[] = [];
    const locateFile = (file: string) => {
      asked.push(file);
      return defaultLocateFile(file);
    };

    const first = await loadHighsSolver({ locateFile });
    const second = await loadHighsSolver();

    expect(asked).toEqual(['highs.wasm']);
    expect(second).toBe(first);
    expect(first.version.string).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
