// How the flow reads a job's small report at a site (a registration's manifest, a transfer's
// result) without the bytes it describes passing through KAIRR: the report is a file the job wrote
// under the site's storage root, read where that root is mounted for KAIRR's functions
// (`pipelines.storage.<site>.reportMount`; docs/pipelines.md, "How reports come back"). The issue
// left the way open (a token scoped to the job, or the site's connector): this is the connector's
// way, and the site agent of issue 17 is the same port for sites that mount nothing.
import { readFile } from 'node:fs/promises';
import type { SiteStorage } from '../domain/pipelines/storage';

/** The report cannot be read: no mount for the site, or the file is not there (yet). */
export class ReportUnreachable extends Error {}

/** A report's text, given its absolute path at the site (under the site's root). */
export async function readSiteReport(storage: SiteStorage, site: string, pathAtSite: string): Promise<string> {
  if (!storage.reportMount) throw new ReportUnreachable(`${site} has no reportMount (pipelines.storage.${site}.reportMount): KAIRR cannot read the report at ${pathAtSite}`);
  const root = storage.root.replace(/\/+$/, '');
  if (!pathAtSite.startsWith(`${root}/`)) throw new ReportUnreachable(`${pathAtSite} is not under ${site}'s storage root ${root}`);
  const local = `${storage.reportMount.replace(/\/+$/, '')}/${pathAtSite.slice(root.length + 1)}`;
  try {
    // reports are small (a manifest line per file); a larger one is refused rather than read whole
    const text = await readFile(local, 'utf8');
    if (text.length > 64 * 1024 * 1024) throw new ReportUnreachable(`the report at ${pathAtSite} is larger than 64 MiB`);
    return text;
  } catch (e) {
    if (e instanceof ReportUnreachable) throw e;
    throw new ReportUnreachable(`the report at ${site}:${pathAtSite} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
