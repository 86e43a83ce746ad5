// Identity's face: the affiliation as other capabilities' responses show it. Re-exports only.
export { AffiliationView } from './affiliation-view';
