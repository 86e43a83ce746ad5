// The organisation registry and the people KAIRR knows: route specs (who may call, strict schemas).
// Admins keep the registry and assign KAIRR's roles; everything they change is audited.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { ORG_TYPES } from '../domain/identity/affiliation';
import { AffiliationView } from './affiliation-view';

const ORG_ID = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,40}$/));
/** A KAIRR subject in a path: namespaced subjects carry ":" (URL-encode it); never "/", "," or spaces. */
const SUB = z.string().check(z.minLength(1), z.maxLength(220), z.regex(/^[^\s,/]+$/));
const DOMAIN = z.string().check(z.toLowerCase(), z.maxLength(253), z.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/));
const ENTITY_ID = z.string().check(z.toLowerCase(), z.minLength(3), z.maxLength(512), z.regex(/^(https?:\/\/|urn:)[^\s]+$/));
const Reason = z.string().check(z.trim(), z.minLength(3), z.maxLength(2000));
const name = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));
/** 사업자등록번호 (ddd-dd-ddddd), 법인등록번호 (dddddd-ddddddd), or another registry's number. */
const REGISTRATION = z.string().check(z.trim(), z.regex(/^[0-9A-Za-z][0-9A-Za-z-]{3,30}$/));
const list = <T extends z.ZodMiniType>(item: T, max: number) => z.array(item).check(z.maxLength(max));

export const OrgParams = z.strictObject({ orgId: ORG_ID });
export const PersonParams = z.strictObject({ sub: SUB });

const orgFields = {
  names: z.strictObject({ ko: name, en: name }),
  orgType: z.enum(ORG_TYPES),
  emailDomains: list(DOMAIN, 20),
  homeOrganizations: list(DOMAIN, 10),
  entityIds: list(ENTITY_ID, 10),
  registrationNumber: z.optional(REGISTRATION),
};

export const CreateOrgBody = z.strictObject({ orgId: ORG_ID, ...orgFields, reason: z.optional(Reason) });
export type CreateOrgBody = z.infer<typeof CreateOrgBody>;
export const UpdateOrgBody = z.strictObject({
  names: z.optional(orgFields.names),
  orgType: z.optional(orgFields.orgType),
  emailDomains: z.optional(orgFields.emailDomains),
  homeOrganizations: z.optional(orgFields.homeOrganizations),
  entityIds: z.optional(orgFields.entityIds),
  registrationNumber: z.optional(z.nullable(REGISTRATION)),
  reason: Reason,
});
export type UpdateOrgBody = z.infer<typeof UpdateOrgBody>;
export const VerifyOrgBody = z.strictObject({ verified: z.boolean(), reason: Reason });

export const OrgView = z.object({
  orgId: z.string(),
  names: z.object({ ko: z.string(), en: z.string() }),
  orgType: z.enum(ORG_TYPES),
  emailDomains: z.array(z.string()),
  homeOrganizations: z.array(z.string()),
  entityIds: z.array(z.string()),
  /** Admins, chairs and auditors only. */
  registrationNumber: z.optional(z.string()),
  verified: z.boolean(),
  verifiedBy: z.optional(z.string()),
  verifiedAt: z.optional(z.string()),
  verificationNote: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const RecordedView = z.object({ orgId: z.string(), recordedBy: z.string(), recordedAt: z.string(), reason: z.string() });
export const PersonView = z.object({
  sub: z.string(),
  roles: z.array(z.string()),
  affiliation: z.optional(RecordedView),
  aliasOf: z.optional(z.string()),
  aliases: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const MeView = z.object({
  sub: z.string(),
  issuer: z.optional(z.string()),
  /** The token's own subject when an admin linked it to this person. */
  via: z.optional(z.string()),
  roles: z.array(z.string()),
  siteIds: z.array(z.string()),
  username: z.optional(z.string()),
  email: z.optional(z.string()),
  name: z.optional(z.string()),
  affiliation: AffiliationView,
});

const Page = <T extends z.ZodMiniType>(item: T) => z.object({ items: z.array(item), nextToken: z.optional(z.string()) });
const NOT_FOUND = { 404: { description: 'No such organisation or person', schema: ErrorSchema } };
const CONFLICT = { 409: { description: 'Conflicts with what exists (an id, a domain another org claims, a link)', schema: ErrorSchema } };

export const identityApi = defineApi({
  me: {
    method: 'GET',
    path: '/v1/me',
    tag: 'identity',
    summary: "The caller: KAIRR subject, issuer, roles (the token's and KAIRR's), sites, and affiliation as the registry resolves it",
    auth: 'any',
    responses: { 200: { description: 'The caller', schema: MeView }, 401: ERROR_RESPONSES[401] },
  },
  listOrgs: {
    method: 'GET',
    path: '/v1/orgs',
    tag: 'identity',
    summary: 'The organisation registry, by English name',
    auth: 'any',
    query: z.strictObject({ verified: z.optional(z.enum(['true', 'false'])), limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of organisations', schema: Page(OrgView) }, ...ERROR_RESPONSES },
  },
  createOrg: {
    method: 'POST',
    path: '/v1/orgs',
    tag: 'identity',
    summary: "An admin adds an organisation (unverified until an admin verifies it); its domains and identifiers must be no other org's",
    auth: ['admin'],
    idempotent: true,
    body: CreateOrgBody,
    responses: { 201: { description: 'The organisation', schema: OrgView }, ...ERROR_RESPONSES, ...CONFLICT },
  },
  getOrg: {
    method: 'GET',
    path: '/v1/orgs/{orgId}',
    tag: 'identity',
    summary: 'One organisation',
    auth: 'any',
    params: OrgParams,
    responses: { 200: { description: 'The organisation', schema: OrgView }, ...ERROR_RESPONSES, ...NOT_FOUND },
  },
  updateOrg: {
    method: 'PATCH',
    path: '/v1/orgs/{orgId}',
    tag: 'identity',
    summary: 'An admin edits an organisation; a change of its type, identifiers or registration number sets it back to unverified',
    auth: ['admin'],
    params: OrgParams,
    body: UpdateOrgBody,
    responses: { 200: { description: 'The organisation after the change', schema: OrgView }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT },
  },
  verifyOrg: {
    method: 'POST',
    path: '/v1/orgs/{orgId}/verification',
    tag: 'identity',
    summary: 'An admin verifies (or withdraws the verification of) an organisation: who and when are recorded',
    auth: ['admin'],
    params: OrgParams,
    body: VerifyOrgBody,
    responses: { 200: { description: 'The organisation', schema: OrgView }, ...ERROR_RESPONSES, ...NOT_FOUND },
  },
  listPeople: {
    method: 'GET',
    path: '/v1/people',
    tag: 'identity',
    summary: 'People with a KAIRR record (assigned roles, a recorded affiliation, links)',
    auth: ['admin', 'auditor'],
    query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of people', schema: Page(PersonView) }, ...ERROR_RESPONSES },
  },
  getPerson: {
    method: 'GET',
    path: '/v1/people/{sub}',
    tag: 'identity',
    summary: 'What KAIRR records of one person',
    auth: ['admin', 'auditor'],
    params: PersonParams,
    responses: { 200: { description: 'The person', schema: PersonView }, ...ERROR_RESPONSES, ...NOT_FOUND },
  },
  setRoles: {
    method: 'PUT',
    path: '/v1/people/{sub}/roles',
    tag: 'identity',
    summary: 'An admin sets the roles KAIRR assigns a person (reviewer, chair, auditor, admin, site-operator:<siteId>, researcher), with a reason',
    auth: ['admin'],
    params: PersonParams,
    body: z.strictObject({ roles: z.array(z.string().check(z.minLength(1), z.maxLength(80))).check(z.maxLength(20)), reason: Reason }),
    responses: { 200: { description: 'The person', schema: PersonView }, ...ERROR_RESPONSES, ...CONFLICT },
  },
  setAffiliation: {
    method: 'PUT',
    path: '/v1/people/{sub}/affiliation',
    tag: 'identity',
    summary: "An admin records a person's organisation (one their claims do not show), or clears the record (orgId null)",
    auth: ['admin'],
    params: PersonParams,
    body: z.strictObject({ orgId: z.nullable(ORG_ID), reason: Reason }),
    responses: { 200: { description: 'The person', schema: PersonView }, ...ERROR_RESPONSES, ...CONFLICT },
  },
  linkSubject: {
    method: 'POST',
    path: '/v1/people/{sub}/links',
    tag: 'identity',
    summary: "An admin links another issuer's subject to this person: tokens of that subject then act as this person",
    description: 'The only way two subjects become one person: KAIRR never joins them by a matching e-mail. The linked subject must have no KAIRR record of its own.',
    auth: ['admin'],
    params: PersonParams,
    body: z.strictObject({ subject: SUB, reason: Reason }),
    responses: { 201: { description: 'The person with the link', schema: PersonView }, ...ERROR_RESPONSES, ...CONFLICT },
  },
  unlinkSubject: {
    method: 'DELETE',
    path: '/v1/people/{sub}/links/{subject}',
    tag: 'identity',
    summary: 'An admin removes a link: the subject is a person of its own again',
    auth: ['admin'],
    params: z.strictObject({ sub: SUB, subject: SUB }),
    responses: { 200: { description: 'The person without the link', schema: PersonView }, ...ERROR_RESPONSES, ...NOT_FOUND },
  },
});
