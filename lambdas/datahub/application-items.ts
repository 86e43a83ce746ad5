// An access application's item (DHAPP#<appId> / APP) and the audited change that writes it. The
// committee's queue is gsi1 (DHAPPS#<datasetId>, by state then date) and the applicant's list gsi2
// (DHAPPLICANT#<sub>, by date). The flow's task token lives on the item beside the application, never
// in a view: whoever holds it can complete the committee's task.
import type { Application } from '../domain/datahub/application';
import { datahubGsi, datahubKeys } from '../shared/store/keys';
import type { Change, Item } from '../shared/store/write-path';

export const APPLICATION_SUBJECT = (appId: string) => ({ type: 'dh-application', id: appId });
const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash', 'taskToken']);

export function applicationItem(app: Application, taskToken?: string): Item {
  return {
    ...app,
    ...datahubKeys.application(app.applicationId),
    gsi1pk: datahubGsi.applicationsOf(app.datasetId),
    gsi1sk: `${app.state}#${app.createdAt}#${app.applicationId}`,
    gsi2pk: datahubGsi.applicationsBy(app.applicant),
    gsi2sk: `${app.createdAt}#${app.applicationId}`,
    ...(taskToken ? { taskToken } : {}),
  } as Item;
}

export function applicationOf(item: Record<string, unknown>): Application {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!STRIP.has(k) && v !== undefined) out[k] = v;
  return out as Application;
}

export const taskTokenOf = (item: Record<string, unknown>): string | undefined => (typeof item.taskToken === 'string' ? item.taskToken : undefined);

/** The change of an application; the task token is kept only when asked (a decision or a close drops it: the flow has moved on). */
export function applicationChange(before: Item | null, after: Application, action: string, details?: Record<string, unknown>, taskToken?: string): Change {
  return { subject: APPLICATION_SUBJECT(after.applicationId), before, after: applicationItem(after, taskToken), action, details: { state: after.state, ...(details ?? {}) } };
}
