// Who saw what when: every read of a restricted dataset's locations and every download of its
// files is an audited event on the subject dh-access/<datasetId>, through the one write path, like
// any change. The subject's item (DHACCESS#<datasetId> / ACCESS) holds only a read counter and the
// last reader, so the event chain is what an auditor reads; reads of one dataset serialise on that
// item's auditSeq (retryOnStale), which is fine at the rate people open restricted data.
import { datahubKeys } from '../shared/store/keys';
import { retryOnStale, type AuditContext, type Item } from '../shared/store/write-path';
import { commitDatahub, getItem } from './store';

export const READ_SUBJECT = (datasetId: string) => ({ type: 'dh-access', id: datasetId });

export interface ReadRecord {
  what: 'locations' | 'download';
  version: string;
  /** The file downloaded. */
  path?: string;
  /** Sites whose copies were shown. */
  sites?: string[];
  /** The permit the read was allowed under; absent for stewards and staff. */
  permitId?: string;
}

export async function auditRead(datasetId: string, read: ReadRecord, ctx: AuditContext): Promise<void> {
  await retryOnStale(
    async () => {
      const before = await getItem(datahubKeys.readAudit(datasetId));
      const at = (ctx.now ?? new Date()).toISOString();
      const after = { ...(before ?? {}), ...datahubKeys.readAudit(datasetId), datasetId, reads: Number(before?.reads ?? 0) + 1, lastReadAt: at, lastReadBy: ctx.actor.sub } as Item;
      await commitDatahub(ctx, { changes: [{ subject: READ_SUBJECT(datasetId), before, after, action: `dataset.access.${read.what}`, details: { ...read } }], reportCapacity: false });
    },
    { attempts: 20 },
  );
}
