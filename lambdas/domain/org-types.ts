// The kinds of organisation a researcher belongs to: what fairness floors count by, what the
// organisation registry records. Its own module because both the approval model and identity's
// affiliations name it, and neither should import the other for it.
export const ORG_TYPES = ['university', 'research-institute', 'sme', 'startup', 'enterprise', 'public-agency'] as const;
export type OrgType = (typeof ORG_TYPES)[number];
