// Owner organisations. The organisation registry (issue 11, `orgs`) is being built in parallel;
// until it lands, an organisation is named by an id of the registry's shape, checked here and
// nowhere else. Point resolveOrg at the registry (a lookup that also refuses unknown ids) when it
// exists: every caller already handles its "unknown organisation" answer.
export const ORG_ID = /^org-[a-z0-9][a-z0-9-]{1,62}$/;

export type OrgResolution = { ok: true; orgId: string } | { ok: false; problem: string };

/** The shape check only; lambdas/datahub/orgs.ts resolveOrg() is the one caller. */
export function checkOrgId(orgId: string): OrgResolution {
  if (!ORG_ID.test(orgId)) return { ok: false, problem: 'must be an organisation id of the registry, "org-" then lower-case letters, digits and dashes' };
  return { ok: true, orgId };
}
