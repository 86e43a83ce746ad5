// Loads HiGHS (compiled to WebAssembly) once per process and caches it.
//
// highs.js finds highs.wasm through `locateFile`. In the repo (tests, bench) the default resolves
// the file from node_modules. In a Lambda bundled by esbuild, node_modules is gone and highs.js is
// inlined into the bundle, so the default falls back to the bundle's own directory: ship
// node_modules/highs/build/highs.wasm beside the bundle, as `highs.wasm` (or pass locateFile).
import * as path from 'node:path';
// A require, not an ES import: bundlers then take the package's CommonJS build (build/highs.js),
// which the CommonJS Lambda bundles (KairrFunction, OutputFormat.CJS) need. An ES import makes
// esbuild pick build/highs.mjs, whose import.meta.url is empty in a CommonJS bundle.
import highsPackage = require('highs');
import type { Highs } from 'highs';

const loadHighs = highsPackage.default;

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
    const pending = loadHighs({
      locateFile: options.locateFile ?? defaultLocateFile,
      ...(options.wasmBinary ? { wasmBinary: options.wasmBinary } : {}),
    });
    cached = pending;
    pending.catch(() => {
      if (cached === pending) cached = undefined;
    });
  }
  return cached;
}

/** node_modules/highs/build/<file> when the package is installed; else beside this (bundled) module. */
export function defaultLocateFile(file: string): string {
  try {
    // Through an alias, so bundlers do not try to resolve it at build time (in a bundle the wasm
    // file ships beside the code and the catch below finds it).
    const req: NodeJS.Require = require;
    return path.join(path.dirname(req.resolve('highs/runtime')), file);
  } catch {
    return typeof __dirname === 'string' ? path.join(__dirname, file) : file;
  }
}
