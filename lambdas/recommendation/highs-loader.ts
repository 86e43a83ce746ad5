// Loads HiGHS (compiled to WebAssembly) once per process, on the first solve, and caches it. It
// finds files on disk, so it lives here, beside the handler, and hands the domain a loaded solver.
//
// HiGHS is two files: highs.js (the Emscripten glue, 165 KB) and highs.wasm (3.5 MB). Neither is
// inlined into the handler's bundle: only a plan computation needs them, so the award-plan
// function's other routes (list, read, override) and its cold start never parse them. In the repo
// (tests, bench) both resolve from node_modules/highs. In a Lambda bundled by esbuild node_modules
// is gone: ship node_modules/highs/build/highs.js and highs.wasm beside the bundle (KairrFunction
// assetFiles, lib/recommendation/recommendation.ts), where the fallbacks below find them.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Highs } from 'highs';

type HighsFactory = (options: { locateFile?: (file: string) => string; wasmBinary?: ArrayBuffer | ArrayBufferView }) => Promise<Highs>;

// Through an alias, so that esbuild leaves these requires to run time instead of bundling them.
const runtimeRequire: NodeJS.Require = require;

/** A HiGHS file shipped beside this (bundled) module, if there is one. */
function besideBundle(file: string): string | undefined {
  const p = path.join(typeof __dirname === 'string' ? __dirname : '.', file);
  return existsSync(p) ? p : undefined;
}

/** The copy of highs.js beside the bundle; else the installed package's CommonJS build. */
function highsFactory(): HighsFactory {
  const mod = runtimeRequire(besideBundle('highs.js') ?? 'highs') as { default?: HighsFactory } | HighsFactory;
  return typeof mod === 'function' ? mod : (mod.default as HighsFactory);
}

export type { Highs };

export interface HighsLoaderOptions {
  /** Returns the path (or URL) of an asset highs.js asks for; in practice only `highs.wasm`. */
  locateFile?: (file: string) => string;
  /** Alternatively, the wasm bytes themselves (then no file is read). */
  wasmBinary?: ArrayBuffer | ArrayBufferView;
}

let cached: Promise<Highs> | undefined;

/**
 * The process-wide HiGHS instance. The first call's options win; later calls get the cached
 * instance (loading compiles 3.5 MB of wasm, so do it once, at cold start). A failed load is not
 * cached, so a later call can retry.
 */
export function loadHighsSolver(options: HighsLoaderOptions = {}): Promise<Highs> {
  if (!cached) {
    const pending = Promise.resolve().then(() =>
      highsFactory()({
        locateFile: options.locateFile ?? defaultLocateFile,
        ...(options.wasmBinary ? { wasmBinary: options.wasmBinary } : {}),
      }),
    );
    cached = pending;
    pending.catch(() => {
      if (cached === pending) cached = undefined;
    });
  }
  return cached;
}

/** Beside the bundle when shipped there (a Lambda); else node_modules/highs/build/<file> (the repo). */
export function defaultLocateFile(file: string): string {
  const shipped = besideBundle(file);
  if (shipped) return shipped;
  return path.join(path.dirname(runtimeRequire.resolve('highs/runtime')), file);
}
