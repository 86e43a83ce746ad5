// The scheduler driver of each configured site, made once per execution environment. Credentials
// come from the site's Secrets Manager secret (slurm-rest/secrets.ts), never from the environment.
// Tests and the benchmark swap the factory (useDriverFactory) to hand in credentials read from
// the local clusters' key files; the drivers themselves are the real ones. Every driver handed out
// changes its site's accounting under the site's lease (accounting-lease.ts).
import { runtimeConfig } from '../shared/config';
import { findSite, type Site } from '../domain/catalogue';
import { ValidationError } from '../domain/errors';
import { isSchedulerError, type SchedulerDriver } from './driver';
import { slurmRestDriverForSite } from './slurm-rest';
import { clearSecretsCache } from './slurm-rest/secrets';
import { serializeAccounting } from './accounting-lease';

export type DriverFactory = (site: Site) => SchedulerDriver;

const defaultFactory: DriverFactory = (site) => {
  switch (site.scheduler.driver) {
    case 'slurm-rest':
      return slurmRestDriverForSite(site);
  }
};

let factory: DriverFactory = defaultFactory;
const drivers = new Map<string, SchedulerDriver>();

/** The configured site, or a 400 naming `path` when there is none. */
export function siteOf(siteId: string, path = 'site'): Site {
  const site = findSite(runtimeConfig().sites, siteId);
  if (!site)
    throw ValidationError.field(
      path,
      `"${siteId}" is not a site (sites: ${runtimeConfig()
        .sites.map((s) => s.id)
        .join(', ')})`,
    );
  return site;
}

export function driverFor(siteId: string): SchedulerDriver {
  let d = drivers.get(siteId);
  if (!d) {
    // one accounting writer per site, whoever built the driver (accounting-lease.ts says why)
    d = serializeAccounting(factory(siteOf(siteId)));
    drivers.set(siteId, d);
  }
  return d;
}

/** For tests and the benchmark: build drivers another way (undefined restores the default). */
export function useDriverFactory(f: DriverFactory | undefined): void {
  factory = f ?? defaultFactory;
  drivers.clear();
}

/**
 * Runs a scheduler call; when the site refuses our credentials, forgets the cached secret (it may
 * have been rotated) and tries once more, as the driver contract says.
 */
export async function withCredentialRefresh<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (!isSchedulerError(e) || e.kind !== 'auth') throw e;
    clearSecretsCache();
    return call();
  }
}
