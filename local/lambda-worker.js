// Runs one Lambda bundle inside a worker thread, as one Lambda execution environment: the bundle
// is loaded once (cold start), then invocations arrive one at a time over the message port.
// process.env here is the function's own environment (worker_threads `env` option).
// As Lambda's runtime interface client does, each invocation runs inside the runtime's InvokeStore
// (@aws/lambda-invoke-store, on globalThis.awslambda), so code that reads the current request id
// from there (Powertools' Logger, for one) sees the local invocation's.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { InvokeStore } = require('@aws/lambda-invoke-store');

const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID');
const storeReady = InvokeStore.getInstanceAsync();

let handler;
let initError;
try {
  const mod = require(workerData.handlerFile);
  handler = mod[workerData.handlerExport];
  if (typeof handler !== 'function') throw new Error(`${workerData.handlerFile} does not export a function "${workerData.handlerExport}"`);
} catch (e) {
  initError = e;
}

parentPort.on('message', async (msg) => {
  const deadline = Date.now() + workerData.timeoutSeconds * 1000;
  const context = {
    awsRequestId: msg.requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySize),
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    if (initError) throw initError;
    const store = await storeReady;
    const result = await store.run({ [REQUEST_ID]: msg.requestId }, () => handler(msg.event, context));
    parentPort.postMessage({ id: msg.id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    parentPort.postMessage({ id: msg.id, ok: false, errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack || '').split('\n') });
  }
});
