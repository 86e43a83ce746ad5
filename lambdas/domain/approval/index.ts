// The approval domain: pure rules over calls, proposals, reviews and decisions (no AWS imports).
export * from './model';
export * from './rules';
export * from './reviewers';
export * from './scores';
export * from './capacity';
// The lifecycle's moves as one namespace (lifecycle.award, lifecycle.decide, ...), so their short
// names do not crowd this barrel or the handlers' own step names.
export * as lifecycle from './lifecycle';
export { ProposalClosed, NothingToAward } from './lifecycle';
