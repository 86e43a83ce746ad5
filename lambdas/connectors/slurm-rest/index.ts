// The slurm-rest driver for a configured site: credentials from the site's secret (never the environment).
import type { Site } from '../../domain/catalogue';
import type { CredentialsProvider } from './credentials';
import { SlurmRestDriver, type SlurmRestOptions } from './driver';
import { secretsManagerCredentials } from './secrets';

export { SlurmRestDriver } from './driver';
export type { SlurmRestOptions, SlurmRestSite } from './driver';
export { mintSlurmJwt, type CredentialsProvider, type SlurmCredentials } from './credentials';
export { SUPPORTED_API_VERSIONS, type ApiVersion } from './api';

export function slurmRestDriverForSite(site: Site, credentials?: CredentialsProvider, opts?: SlurmRestOptions): SlurmRestDriver {
  return new SlurmRestDriver(
    {
      siteId: site.id,
      endpoint: site.scheduler.endpoint,
      cluster: site.scheduler.cluster,
      parentAccount: site.scheduler.parentAccount,
    },
    credentials ?? secretsManagerCredentials(site.scheduler.credentialsSecretName),
    opts,
  );
}
