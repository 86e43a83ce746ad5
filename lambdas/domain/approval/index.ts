// The approval domain: pure rules over calls, proposals, reviews and decisions (no AWS imports).
export * from './model';
export * from './rules';
export * from './reviewers';
export * from './scores';
export * from './capacity';
