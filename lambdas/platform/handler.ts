// Platform endpoints: health, the sites catalogue, and the OpenAPI document (the caller, GET
// /v1/me, is the identity capability's: it reads KAIRR's role assignments and the org registry).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHandler } from '../shared/http/router';
import { requireEnv, runtimeConfig } from '../shared/config';
import { NotFoundError } from '../domain/errors';
import { currentRate, resourceKey, type Site } from '../domain/catalogue';
import { platformApi, SignInConfig } from './api';

function siteView(site: Site, now: Date) {
  return {
    id: site.id,
    name: site.name,
    scheduler: { driver: site.scheduler.driver, cluster: site.scheduler.cluster },
    resources: site.resources.map((r) => ({
      id: r.id,
      key: resourceKey(site.id, r.id),
      name: r.name,
      gpuModel: r.gpuModel,
      gpusPerNode: r.gpusPerNode,
      gpuMemoryGB: r.gpuMemoryGB,
      coherentCpuMemoryGB: r.coherentCpuMemoryGB,
      nodes: r.nodes,
      totalGpus: r.nodes * r.gpusPerNode,
      interconnect: r.interconnect,
      partition: r.partition,
      maxTimeLimitMinutes: r.maxTimeLimitMinutes,
      peakTflops: r.peakTflops,
      creditRate: currentRate(r, now) ?? null,
      creditRates: [...r.creditRates].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom)),
    })),
  };
}

let openapiCache: string | undefined;
let signInCache: SignInConfig | undefined;

export const handler = createHandler(platformApi, {
  async health() {
    return { body: { status: 'ok', stage: runtimeConfig().stage, time: new Date().toISOString() } };
  },
  async signIn() {
    // Set at synth from the stage's issuers and their public clients (lib/platform/identity.ts;
    // the local runtime points each discoveryUrl at its dev issuer). Public by nature: no secrets.
    signInCache ??= SignInConfig.parse(JSON.parse(requireEnv('SIGN_IN')));
    return { body: { stage: runtimeConfig().stage, ...signInCache }, headers: { 'cache-control': 'public, max-age=300' } };
  },
  async openapi() {
    // Generated at synth from every route spec and shipped beside this bundle (lib/platform/platform-endpoints.ts).
    openapiCache ??= readFileSync(join(__dirname, 'openapi.json'), 'utf8');
    return { text: openapiCache, contentType: 'application/json; charset=utf-8', headers: { 'cache-control': 'public, max-age=300' } };
  },
  async listSites() {
    const now = new Date();
    return { body: { items: runtimeConfig().sites.map((s) => siteView(s, now)) } };
  },
  async getSite({ params }) {
    const site = runtimeConfig().sites.find((s) => s.id === params.siteId);
    if (!site) throw new NotFoundError('Site', params.siteId);
    return { body: siteView(site, new Date()) };
  },
});
