// GET /v1/sites/{siteId}/status: what an operator needs to see of a site's connector.
import { findSite } from '../domain/catalogue';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { hasRole, type Caller } from '../shared/http/caller';
import { runtimeConfig } from '../shared/config';
import { driverFor } from './sites';
import { getWatermark, lastReconcileRun } from './state';

export async function siteStatus(caller: Caller, siteId: string) {
  if (!findSite(runtimeConfig().sites, siteId)) throw new NotFoundError('Site', siteId);
  if (!hasRole(caller, 'admin', 'auditor') && !caller.siteIds.includes(siteId)) throw new ForbiddenError(`You operate ${caller.siteIds.join(', ') || 'no site'}, not ${siteId}`);
  const [health, watermark, reconcile] = await Promise.all([driverFor(siteId).health(), getWatermark(siteId), lastReconcileRun(siteId)]);
  const { siteId: _s, ...scheduler } = health;
  const strip = (item: Record<string, unknown> | null) => {
    if (!item) return null;
    const { pk: _pk, sk: _sk, auditSeq: _q, auditHash: _h, ...rest } = item;
    return rest;
  };
  return {
    siteId,
    scheduler,
    usage: { watermark: watermark?.watermark ?? null, lastRun: (watermark?.lastRun as Record<string, unknown> | undefined) ?? null },
    reconcile: { lastChangedRun: strip(reconcile) },
  };
}
