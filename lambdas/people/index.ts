// People's face: what other capabilities may read of the programmes. Re-exports only (see
// lambdas/approval/index.ts for why). The approval capability asks whether a researcher completed
// a course that qualifies for starter access (docs/people.md, "Completion opens the door").
export { qualifiesForStarter, type StarterQualification } from './completions';
