// Runs one Lambda bundle inside a worker thread, as one Lambda execution environment: the bundle
// is loaded once (cold start), then invocations arrive one at a time over the message port.
// process.env here is the function's own environment (worker_threads `env` option).
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

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
    const result = await handler(msg.event, context);
    parentPort.postMessage({ id: msg.id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    parentPort.postMessage({ id: msg.id, ok: false, errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack || '').split('\n') });
  }
});
