// Organisations and affiliation. An organisation registry kept by admins (names, type, e-mail
// domains, identity-provider identifiers, registration number, and whether an admin verified it);
// a person's affiliation is what their verified token claims match in it, or what an admin
// recorded. What a researcher types is a display name only: eligibility, fairness floors and
// conflicts of interest use the registry's ids. Plain TypeScript, no AWS.
import type { AffiliationEvidence, AffiliationSource } from './issuers';
import { ORG_TYPES, type OrgType } from '../org-types';

export { ORG_TYPES, type OrgType };

export interface Org {
  orgId: string;
  names: { ko: string; en: string };
  orgType: OrgType;
  /** E-mail domains; a verified address at the domain or a subdomain of it matches. */
  emailDomains: string[];
  /** schac_home_organization values (also the scope of eduPersonScopedAffiliation). */
  homeOrganizations: string[];
  /** SAML entity ids of the organisation's identity providers (KAFE / eduGAIN). */
  entityIds: string[];
  /** Business registration number (사업자등록번호) or an institution's registration number, where one exists. */
  registrationNumber?: string;
  verified: boolean;
  verifiedBy?: string;
  verifiedAt?: string;
  verificationNote?: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

/** What a match item is keyed by: one per e-mail domain, home organisation and entity id of an org. */
export type MatchKind = 'email-domain' | 'home-org' | 'entity-id';

export function matchKeysOf(org: Pick<Org, 'emailDomains' | 'homeOrganizations' | 'entityIds'>): { kind: MatchKind; value: string }[] {
  return [
    ...org.emailDomains.map((value) => ({ kind: 'email-domain' as const, value })),
    ...org.homeOrganizations.map((value) => ({ kind: 'home-org' as const, value })),
    ...org.entityIds.map((value) => ({ kind: 'entity-id' as const, value })),
  ];
}

/** The match items one piece of evidence may hit: an e-mail domain and its parents (cs.kaist.ac.kr → kaist.ac.kr). */
export function lookupsFor(e: AffiliationEvidence): { kind: MatchKind; value: string }[] {
  if (e.source === 'entity-id') return [{ kind: 'entity-id', value: e.value }];
  if (e.source === 'home-organization' || e.source === 'scoped-affiliation') return [{ kind: 'home-org', value: e.value }];
  const labels = e.value.split('.');
  const out: { kind: MatchKind; value: string }[] = [];
  for (let i = 0; i <= labels.length - 2 && out.length < 6; i++) out.push({ kind: 'email-domain', value: labels.slice(i).join('.') });
  return out;
}

/** An admin's record of a person's organisation (for one the claims do not show, or to confirm one). */
export interface RecordedAffiliation {
  orgId: string;
  recordedBy: string;
  recordedAt: string;
  reason: string;
}

export const AFFILIATION_STATUSES = ['verified', 'unverified-org', 'unmatched'] as const;
export type AffiliationStatus = (typeof AFFILIATION_STATUSES)[number];

/** A person's affiliation as KAIRR resolved it: what a proposal carries, and what the chair is shown. */
export interface Affiliation {
  status: AffiliationStatus;
  orgId?: string;
  orgType?: OrgType;
  orgName?: string;
  /** How the person's membership was established. */
  source?: AffiliationSource | 'admin';
  /** Every org the evidence matched (a person may have several). */
  candidates: string[];
  /** The evidence it rests on (never typed by the researcher). */
  evidence: AffiliationEvidence[];
  resolvedAt: string;
}

// The strongest evidence first: an identity provider's own identifiers, then what it asserts about
// the person's home organisation, then an e-mail domain (anyone at a domain can get an address).
const STRENGTH: Record<AffiliationSource, number> = { 'entity-id': 0, 'home-organization': 1, 'scoped-affiliation': 2, email: 3 };

export interface ResolveInput {
  evidence: AffiliationEvidence[];
  /** Match item hits: `${kind}#${value}` → orgId. */
  hits: ReadonlyMap<string, string>;
  orgs: ReadonlyMap<string, Org>;
  recorded?: RecordedAffiliation;
  /** The org the person asks to apply for (one of theirs); otherwise the strongest match. */
  wanted?: string;
  now: string;
}

export const hitKey = (kind: MatchKind, value: string) => `${kind}#${value}`;

/** Every org the evidence matches, strongest evidence first. */
export function matchedOrgs(evidence: AffiliationEvidence[], hits: ReadonlyMap<string, string>): { orgId: string; source: AffiliationSource }[] {
  const out: { orgId: string; source: AffiliationSource }[] = [];
  for (const e of [...evidence].sort((a, b) => STRENGTH[a.source] - STRENGTH[b.source])) {
    for (const l of lookupsFor(e)) {
      const orgId = hits.get(hitKey(l.kind, l.value));
      if (orgId && !out.some((o) => o.orgId === orgId)) out.push({ orgId, source: e.source });
      if (orgId) break; // the most specific e-mail domain wins
    }
  }
  return out;
}

export class UnknownAffiliationChoice extends Error {}

/**
 * The person's affiliation: an admin's record wins; otherwise the strongest match of their
 * verified claims (or the org they asked for, when their claims match it). Verified only when the
 * membership rests on verified claims or an admin AND the organisation itself is verified.
 */
export function resolveAffiliation(input: ResolveInput): Affiliation {
  const matched = matchedOrgs(input.evidence, input.hits);
  const candidates = [...new Set([...(input.recorded ? [input.recorded.orgId] : []), ...matched.map((m) => m.orgId)])];
  let pick: { orgId: string; source: AffiliationSource | 'admin' } | undefined;
  if (input.wanted) {
    if (input.recorded?.orgId === input.wanted) pick = { orgId: input.wanted, source: 'admin' };
    else pick = matched.find((m) => m.orgId === input.wanted);
    if (!pick) throw new UnknownAffiliationChoice(input.wanted);
  } else if (input.recorded) pick = { orgId: input.recorded.orgId, source: 'admin' };
  else pick = matched[0];
  const base = { candidates, evidence: input.evidence, resolvedAt: input.now };
  const org = pick && input.orgs.get(pick.orgId);
  if (!pick || !org) return { status: 'unmatched', ...base };
  return { status: org.verified ? 'verified' : 'unverified-org', orgId: org.orgId, orgType: org.orgType, orgName: org.names.en, source: pick.source, ...base };
}

/** The org type an award counts towards a fairness floor for: a verified affiliation's, else none. */
export function floorOrgType(a: Pick<Affiliation, 'status' | 'orgType'> | undefined): OrgType | null {
  return a?.status === 'verified' && a.orgType ? a.orgType : null;
}

export interface AffiliationFlag {
  code: 'affiliation-unmatched' | 'affiliation-unverified' | 'org-type-differs';
  message: string;
}

/** What the chair is told about a PI's affiliation: why it does not count towards a floor, or differs from what they typed. */
export function affiliationFlags(a: Affiliation | undefined, declared: { institution?: string; orgType?: string }): AffiliationFlag[] {
  const out: AffiliationFlag[] = [];
  if (!a || a.status === 'unmatched') {
    out.push({
      code: 'affiliation-unmatched',
      message: `No verified claim of the PI matches an organisation in the registry (they typed "${declared.institution ?? '-'}", ${declared.orgType ?? '-'}); it counts towards no fairness floor until an admin records or verifies it`,
    });
  } else if (a.status === 'unverified-org') {
    out.push({ code: 'affiliation-unverified', message: `${a.orgName} (${a.orgId}) is in the registry but not verified by an admin; it counts towards no fairness floor until it is` });
  }
  if (a?.orgType && declared.orgType && a.orgType !== declared.orgType) {
    out.push({ code: 'org-type-differs', message: `The PI declared "${declared.orgType}"; the registry says ${a.orgName} is "${a.orgType}" (the registry's type is used)` });
  }
  return out;
}
