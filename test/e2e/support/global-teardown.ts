import type { LocalRuntime } from '../../../local/runtime';

export default async function teardown(): Promise<void> {
  const runtime = (globalThis as Record<string, unknown>).__KAIRR_RUNTIME__ as LocalRuntime | undefined;
  await runtime?.stop();
}
