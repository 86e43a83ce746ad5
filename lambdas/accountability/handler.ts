// The accountability API function. Thin: access checks, then the services; the public routes add
// caching headers (Cache-Control for browsers and the edge, an ETag for conditional requests).
import { createHash } from 'node:crypto';
import { createHandler, type Result } from '../shared/http/router';
import { hasRole } from '../shared/http/caller';
import { runtimeConfig } from '../shared/config';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { toMc } from '../domain/ledger/money';
import { AWARD_CSV_HEADER, awardCsvRow, statsCsv } from '../domain/accountability/public-record';
import type { ReportBody } from '../domain/accountability/reports';
import { accountabilityApi } from './api';
import { actingRole, ctxOf, requireOutsider, requirePi, visibleAllocation } from './access';
import { now } from './clock';
import { getReport, requireRecord, reviewReport, submitReport } from './reports';
import { answerReclaim, decideReclaim } from './reclaims';
import { decideUnlisting, getPolicy, listingPrefsView, releaseByHand, setListing, setPlan, setPolicy } from './manage';
import { getAward, listAwards, readStats } from './public';
import { readListing, reclaimsOf } from './store';
import { recordView } from './views';

function cacheable(body: unknown, headers: Record<string, string>, ifNoneMatch: string | undefined, text?: string, contentType?: string): Result {
  const seconds = runtimeConfig().policy.accountability?.publicCacheSeconds ?? 300;
  const etag = `"${createHash('sha256')
    .update(text ?? JSON.stringify(body))
    .digest('base64url')
    .slice(0, 27)}"`;
  const h = { 'cache-control': seconds > 0 ? `public, max-age=${seconds}, s-maxage=${seconds}` : 'no-cache', etag, vary: 'Accept-Encoding', ...headers };
  if (
    ifNoneMatch
      ?.split(',')
      .map((s) => s.trim().replace(/^W\//, ''))
      .includes(etag)
  )
    return { status: 304, headers: h };
  return text !== undefined ? { text, contentType, headers: h } : { body, headers: h };
}

export const handler = createHandler(accountabilityApi, {
  async setCallPolicy({ caller, params, body, requestId }) {
    return { body: await setPolicy(params.callId, body, ctxOf(caller, requestId, 'admin', now())) };
  },

  async getCallPolicy({ params }) {
    return { body: await getPolicy(params.callId) };
  },

  async getAccountability({ caller, params }) {
    await visibleAllocation(params.id, caller);
    const { record } = await requireRecord(params.id);
    return { body: recordView(record, now(), await reclaimsOf(params.id)) };
  },

  async submitReport({ caller, params, body, idempotencyKey, requestId }) {
    const res = await submitReport({ caller, allocationId: params.id, reportId: params.reportId, body: body as ReportBody, idempotencyKey, requestId, now: now() });
    const h: Record<string, string> = res.replayed ? { 'idempotent-replayed': 'true' } : {};
    return { status: res.status, body: res.body, headers: h };
  },

  async getReport({ caller, params }) {
    return { body: await getReport(caller, params.id, params.reportId, now()) };
  },

  async reviewReport({ caller, params, body, requestId }) {
    const a = await visibleAllocation(params.id, caller);
    requireOutsider(caller, a, 'review its reports');
    return { body: await reviewReport({ allocationId: a.id, reportId: params.reportId, decision: body.decision, comments: body.comments, ctx: ctxOf(caller, requestId, actingRole(caller, 'chair', 'admin'), now(), body.comments) }) };
  },

  async releaseTranche({ caller, params, body, requestId }) {
    const a = await visibleAllocation(params.id, caller);
    requireOutsider(caller, a, 'release its credits');
    return { body: await releaseByHand(a.id, params.trancheId, ctxOf(caller, requestId, actingRole(caller, 'chair', 'admin'), now(), body.reason)) };
  },

  async setPlan({ caller, params, body, requestId }) {
    const a = await visibleAllocation(params.id, caller);
    requirePi(caller, a);
    return { body: await setPlan(a, body.points, body.reason, ctxOf(caller, requestId, 'researcher', now(), body.reason)) };
  },

  async answerReclaim({ caller, params, body, requestId }) {
    const a = await visibleAllocation(params.id, caller);
    requirePi(caller, a);
    return { body: await answerReclaim(a.id, params.reclaimId, body.reason, ctxOf(caller, requestId, 'researcher', now(), body.reason)) };
  },

  async decideReclaim({ caller, params, body, requestId }) {
    const a = await visibleAllocation(params.id, caller);
    requireOutsider(caller, a, 'decide on returning its credits');
    const creditsMc = body.credits ? Object.fromEntries(Object.entries(body.credits).map(([k, v]) => [k, toMc(v)])) : undefined;
    return { body: await decideReclaim(a.id, params.reclaimId, { decision: body.decision, creditsMc, comment: body.comment }, ctxOf(caller, requestId, actingRole(caller, 'chair', 'admin'), now(), body.comment)) };
  },

  async getListing({ caller, params }) {
    await visibleAllocation(params.id, caller);
    const l = await readListing(params.id);
    if (!l) throw new NotFoundError('Public listing of allocation', params.id);
    return { body: listingPrefsView(l.listing) };
  },

  async setListing({ caller, params, body, requestId }) {
    const a = await visibleAllocation(params.id, caller);
    requirePi(caller, a);
    return { body: listingPrefsView(await setListing(a, body, ctxOf(caller, requestId, 'researcher', now(), body.unlisted?.reason))) };
  },

  async decideUnlisting({ caller, params, body, requestId }) {
    const a = await visibleAllocation(params.id, caller);
    requireOutsider(caller, a, 'decide on its listing');
    if (!hasRole(caller, 'chair')) throw new ForbiddenError('Only the chair decides on a request to stay unlisted');
    return { body: listingPrefsView(await decideUnlisting(a.id, body.accept, body.comment, ctxOf(caller, requestId, 'chair', now(), body.comment))) };
  },

  async listPublicAwards({ query, headers }) {
    const csv = query.format === 'csv';
    const page = await listAwards({ callId: query.callId, field: query.field, orgType: query.orgType, region: query.region, limit: query.limit ?? (csv ? 1000 : 50), nextToken: query.nextToken });
    if (!csv) return cacheable(page, {}, headers['if-none-match']);
    const link: Record<string, string> = {};
    if (page.nextToken) {
      const q = new URLSearchParams(
        Object.entries({ ...query, nextToken: page.nextToken })
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, String(v)] as [string, string]),
      );
      link.link = `</v1/public/awards?${q}>; rel="next"`;
      link['x-next-token'] = page.nextToken;
    }
    const text = AWARD_CSV_HEADER + page.items.map(awardCsvRow).join('');
    return cacheable(undefined, { ...link, 'content-disposition': 'attachment; filename="kairr-awards.csv"' }, headers['if-none-match'], text, 'text/csv; charset=utf-8');
  },

  async getPublicAward({ params, headers }) {
    return cacheable(await getAward(params.allocationId), {}, headers['if-none-match']);
  },

  async getPublicStats({ query, headers }) {
    const s = await readStats(query.callId ?? null);
    if (query.format === 'csv') return cacheable(undefined, { 'content-disposition': 'attachment; filename="kairr-public-figures.csv"' }, headers['if-none-match'], statsCsv(s.stats), 'text/csv; charset=utf-8');
    return cacheable({ generatedAt: s.generatedAt, ...s.stats }, {}, headers['if-none-match']);
  },
});
