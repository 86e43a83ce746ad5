// The local test bed's SITE SIDE of site accounts, for `npm start` (docs/security.md, "Site
// accounts"). A real site's operator sees a pending request (GET /v1/sites/{siteId}/accounts?state=
// pending), creates the login in the site's directory, and confirms it with its username. This
// agent does exactly that for the local clusters, as the dev site operator, through the API: it
// creates the Unix login where the cluster resolves users (scripts/slurm/site-account.sh: the host
// for spc, the trixie chroot for kisti6) with KAIRR's proposed name, then confirms it (PUT). So the
// quickstart's researcher can dispatch once their allocation is provisioned.
// Off with KAIRR_SITE_AGENT=off (then do it by hand; the README says how). The e2e suite does not
// run it: its tests play the site's side themselves, step by step.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './build';

export interface SiteAgentOptions {
  apiUrl: string;
  /** A token of site-operator:<site> for every site in `sites`. */
  operatorToken: string;
  /** siteId → the local cluster's name (spc, kisti6). */
  sites: Record<string, string>;
  intervalMs?: number;
  log?: (line: string) => void;
}

interface Pending {
  sub: string;
  proposedUsername: string;
}

export function startSiteAgent(o: SiteAgentOptions): { stop(): void; runOnce(): Promise<number> } {
  const log = o.log ?? ((l: string) => console.log(l));
  const headers = { authorization: `Bearer ${o.operatorToken}`, 'content-type': 'application/json' };
  const failed = new Set<string>(); // logins the site side could not make: reported once, not retried in a loop
  const runOnce = async (): Promise<number> => {
    let done = 0;
    for (const [siteId, cluster] of Object.entries(o.sites)) {
      const res = await fetch(`${o.apiUrl}/v1/sites/${siteId}/accounts?state=pending&limit=100`, { headers });
      if (!res.ok) continue;
      for (const p of ((await res.json()) as { items: Pending[] }).items) {
        const key = `${siteId}#${p.sub}`;
        if (failed.has(key)) continue;
        const made = spawnSync('bash', [join(REPO_ROOT, 'scripts/slurm/site-account.sh'), 'create', cluster, p.proposedUsername], { encoding: 'utf8', timeout: 60_000 });
        if (made.status !== 0) {
          failed.add(key);
          log(`  site agent: could not create ${p.proposedUsername} on ${cluster}: ${made.stderr.trim()}`);
          continue;
        }
        const put = await fetch(`${o.apiUrl}/v1/sites/${siteId}/accounts/${encodeURIComponent(p.sub)}`, { method: 'PUT', headers, body: JSON.stringify({ username: p.proposedUsername }) });
        if (put.ok) {
          done += 1;
          log(`  site agent: ${siteId} login ${p.proposedUsername} created and confirmed for ${p.sub}`);
        } else {
          failed.add(key);
          log(`  site agent: confirming ${p.proposedUsername} at ${siteId} failed: ${put.status} ${await put.text()}`);
        }
      }
    }
    return done;
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runOnce()
      .catch((e) => log(`  site agent: ${(e as Error).message}`))
      .finally(() => (running = false));
  }, o.intervalMs ?? 3000);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
