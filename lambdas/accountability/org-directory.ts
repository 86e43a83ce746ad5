// Where an organisation's type and region come from: ONE interface, so that the public record and
// its aggregates can be pointed at the organisation registry (verified org types) when it lands,
// without touching anything else. Today's directory takes the org type the proposal declared and
// the region from the stage config (policy.accountability.regions), "unspecified" otherwise.
import { runtimeConfig } from '../shared/config';

export interface OrgQuery {
  institution: string;
  /** What the proposal or allocation declared. */
  orgType: string;
}

export interface OrgFacts {
  organisation: string;
  orgType: string;
  region: string;
  /** True when a registry vouches for the org type (never, for declared values). */
  verified: boolean;
}

export interface OrgDirectory {
  /** Resolves many organisations at once (a registry answers a page in one batch read). */
  resolve(orgs: readonly OrgQuery[]): Promise<Map<string, OrgFacts>>;
}

export const orgKey = (q: OrgQuery) => `${q.institution}\u0000${q.orgType}`;

export const declaredDirectory: OrgDirectory = {
  async resolve(orgs) {
    const regions = runtimeConfig().policy.accountability?.regions ?? {};
    const out = new Map<string, OrgFacts>();
    for (const q of orgs) out.set(orgKey(q), { organisation: q.institution, orgType: q.orgType, region: regions[q.institution] ?? 'unspecified', verified: false });
    return out;
  },
};

let current: OrgDirectory = declaredDirectory;

export function orgDirectory(): OrgDirectory {
  return current;
}

/** Swaps the directory (the registry, or a test's). */
export function useOrgDirectory(d: OrgDirectory | undefined): void {
  current = d ?? declaredDirectory;
}
