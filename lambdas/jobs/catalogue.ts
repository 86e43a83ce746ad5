// The data hub's reads for a dispatch's declared artifacts (artifacts.ts), wired in by the jobs API
// function's handler only: the hub's face imports the jobs face (it dispatches verification jobs),
// so nothing the jobs face reaches may import the hub. A named call, not a bare import: the package
// is "sideEffects": false, so esbuild drops a bare import and the bundle would run without reads.
import { readPermitsOf, readVersionWithLocations } from '../datahub';
import { useCatalogueReads } from './artifacts';

export const wireCatalogueReads = () => useCatalogueReads({ readVersionWithLocations, readPermitsOf });
