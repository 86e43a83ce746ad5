// After a copy's state changes (verified by a job or a pipeline's transfer, failed, removed), the
// records derived from the copies follow: the recommender's placement (keys.dataset) and the search
// index's `site` filter. Both are rebuilt from the locations themselves, so running this again, or
// after a failure between the commit and here, converges on the same records.
import type { ArtifactKind } from '../domain/datahub/model';
import { logger } from '../shared/log';
import { reindexQuietly } from './artifacts';
import { refreshDatasetPlacement } from './verification-store';

export async function copiesChanged(artifactId: string, kind: ArtifactKind): Promise<void> {
  if (kind === 'dataset') {
    await refreshDatasetPlacement(artifactId).catch((e: Error) => logger.warn('the dataset placement was not refreshed; the next change of a location refreshes it', { artifactId, error: e.message }));
  }
  await reindexQuietly(artifactId);
}
