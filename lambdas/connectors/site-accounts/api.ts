// Site accounts: a person's login at a site, created by the site's side only (docs/security.md,
// "Site accounts"). Served by the jobs function, which dispatches as these logins.
import * as z from 'zod/mini';
import { defineApi } from '../../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../../shared/http/schemas';
import { SITE_ACCOUNT_STATES } from '../../domain/site-accounts';

const SiteParams = z.strictObject({ siteId: z.string().check(z.minLength(1), z.maxLength(64)) });
const AccountParams = z.strictObject({ siteId: z.string().check(z.minLength(1), z.maxLength(64)), sub: z.string().check(z.minLength(1), z.maxLength(128)) });

export const SiteAccountView = z.object({
  siteId: z.string(),
  sub: z.string(),
  state: z.enum(SITE_ACCOUNT_STATES),
  proposedUsername: z.string(),
  username: z.optional(z.string()),
  requestedAt: z.string(),
  requestedFor: z.optional(z.string()),
  confirmedAt: z.optional(z.string()),
  confirmedBy: z.optional(z.string()),
  origin: z.optional(z.string()),
  disabledAt: z.optional(z.string()),
  disabledReason: z.optional(z.string()),
  note: z.optional(z.string()),
  updatedAt: z.string(),
});

const SITE_SIDE = "Only the site's operators (site-operator:<siteId>) may do this; KAIRR's admins and researchers may not.";

export const siteAccountsApi = defineApi({
  listSiteAccounts: {
    method: 'GET',
    path: '/v1/sites/{siteId}/accounts',
    tag: 'sites',
    summary: "A site's accounts: pending requests (with KAIRR's proposed login) for its operators to create, and the active and disabled ones",
    auth: ['site-operator', 'admin', 'auditor'],
    params: SiteParams,
    query: z.strictObject({ state: z.optional(z.enum(SITE_ACCOUNT_STATES)), limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of accounts', schema: z.object({ items: z.array(SiteAccountView), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  getSiteAccount: {
    method: 'GET',
    path: '/v1/sites/{siteId}/accounts/{sub}',
    tag: 'sites',
    summary: "A person's account at a site (the person themselves, the site's operators, admins and auditors)",
    auth: ['researcher', 'site-operator', 'admin', 'auditor'],
    params: AccountParams,
    responses: { 200: { description: 'The account', schema: SiteAccountView }, ...ERROR_RESPONSES, 404: { description: 'No account or request at that site', schema: ErrorSchema } },
  },
  confirmSiteAccount: {
    method: 'PUT',
    path: '/v1/sites/{siteId}/accounts/{sub}',
    tag: 'sites',
    summary: 'The site confirms the login it created for a person (from a pending request, or anew); idempotent',
    description: `${SITE_SIDE} The login must match the site's accounts.usernamePattern and not be on its deny list (root, system and service accounts, the SlurmUser: 400, audited); a login another person holds at the site is refused (409 username_taken, audited). The person's allocations at the site then converge: their associations use this login.`,
    auth: ['site-operator'],
    params: AccountParams,
    body: z.strictObject({ username: z.string().check(z.minLength(1), z.maxLength(64)) }),
    responses: { 200: { description: 'The active account', schema: SiteAccountView }, ...ERROR_RESPONSES, 409: { description: 'The login belongs to another person', schema: ErrorSchema } },
  },
  disableSiteAccount: {
    method: 'POST',
    path: '/v1/sites/{siteId}/accounts/{sub}/disable',
    tag: 'sites',
    summary: "The site closes a person's login: no more dispatch there, associations removed (the login stays reserved to them)",
    description: SITE_SIDE,
    auth: ['site-operator'],
    params: AccountParams,
    body: z.strictObject({ reason: z.string().check(z.minLength(3), z.maxLength(2000)) }),
    responses: { 200: { description: 'The disabled account', schema: SiteAccountView }, ...ERROR_RESPONSES, 404: { description: 'No account at that site', schema: ErrorSchema } },
  },
  migrateSiteAccounts: {
    method: 'POST',
    path: '/v1/sites/{siteId}/accounts/migrations',
    tag: 'sites',
    summary: "Turns the scheduler user names of allocations made before site accounts into the site's accounts (dryRun first)",
    description: `${SITE_SIDE} A name typed by one person only, allowed by the site's policy and held by no one else becomes their active account; the others (denied names, names two people claimed, a person with two names) become pending requests with KAIRR's proposed login, for the operators to decide.`,
    auth: ['site-operator'],
    params: SiteParams,
    body: z.strictObject({ dryRun: z._default(z.boolean(), true) }),
    responses: {
      200: { description: 'What was (or would be) created', schema: z.object({ dryRun: z.boolean(), created: z.array(z.record(z.string(), z.unknown())), pending: z.array(z.record(z.string(), z.unknown())), skipped: z.number() }) },
      ...ERROR_RESPONSES,
    },
  },
});
