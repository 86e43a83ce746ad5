// aws-local-stepfunctions 3.0.0 targets Node 22 and calls Promise.withResolvers inside every
// Task state. Node 20 lacks it, and the failure surfaces as an unhandled rejection that kills
// the process, so the polyfill must be in place before any execution starts.
interface WithResolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type PromiseWithResolvers = PromiseConstructor & { withResolvers?: <T>() => WithResolvers<T> };

export function installPromiseWithResolvers(): void {
  const promiseConstructor = Promise as PromiseWithResolvers;
  if (typeof promiseConstructor.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(): WithResolvers<T> {
      let resolve!: WithResolvers<T>['resolve'];
      let reject!: WithResolvers<T>['reject'];
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

installPromiseWithResolvers();
