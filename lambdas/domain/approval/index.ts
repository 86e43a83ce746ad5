// The approval domain: pure rules over calls, proposals, reviews and decisions (no AWS imports).
export * from './model';
export * from './rules';
export * from './reviewers';
export * from './scores';
export * from './capacity';
export * from './training';
// The lifecycle's moves are imported as a namespace from './lifecycle' (lifecycle.award,
// lifecycle.decide, ...), so their short names do not crowd this barrel or the handlers' step
// names, and each bundle keeps only the moves it calls. Its vocabulary comes through model.ts.
export { ProposalClosed, NothingToAward } from './lifecycle';
