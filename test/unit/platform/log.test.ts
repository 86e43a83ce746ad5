// lambdas/shared/log.ts writes Powertools' log format, and each line carries the request id of
// the invocation it runs in, read from the Lambda runtime's InvokeStore (the real
// @aws/lambda-invoke-store, as Lambda's runtime client and the local runtime's worker set it up).
import { InvokeStore } from '@aws/lambda-invoke-store';
import { logger } from '../../../lambdas/shared/log';

const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID');

function captured(fn: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const out = jest.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
  const err = jest.spyOn(console, 'error').mockImplementation((s: string) => void lines.push(s));
  try {
    fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(() => {
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'kairr-test-fn';
  process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = '512';
});

test('outside an invocation: the format, no request id, and fields after the format keys', () => {
  const [line] = captured(() => logger.info('request', { status: 200, level: 'not-this' }));

  expect(Object.keys(line).slice(0, 4)).toEqual(['level', 'message', 'timestamp', 'service']);
  expect(line).toMatchObject({ level: 'INFO', message: 'request', service: 'kairr-test-fn', function_name: 'kairr-test-fn', function_memory_size: 512, status: 200 });
  expect(line).not.toHaveProperty('function_request_id');
});

test('inside invocations: each line carries its own request id; only the first is the cold start', async () => {
  const store = await InvokeStore.getInstanceAsync();

  const first = captured(() => store.run({ [REQUEST_ID]: 'req-1' }, () => logger.warn('one', { n: 1 })));
  const second = captured(() => store.run({ [REQUEST_ID]: 'req-2' }, () => logger.error('two')));

  expect(first[0]).toMatchObject({ level: 'WARN', function_request_id: 'req-1', cold_start: true, n: 1 });
  expect(second[0]).toMatchObject({ level: 'ERROR', function_request_id: 'req-2', cold_start: false });
});

test('LOG_LEVEL filters lower levels', () => {
  process.env.LOG_LEVEL = 'warn';
  const lines = captured(() => {
    logger.debug('hidden');
    logger.info('hidden too');
    logger.warn('shown');
  });
  delete process.env.LOG_LEVEL;

  expect(lines.map((l) => l.message)).toEqual(['shown']);
});
