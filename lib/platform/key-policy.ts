// KMS key policy statements for AWS services that encrypt into KAIRR's queues and topics on our
// behalf (EventBridge dead letters and targets, SNS subscriptions' dead letters, CloudWatch alarm
// notifications). Each statement is bound to this account and to that service's own resources of
// this account and region (aws:SourceAccount, aws:SourceArn): without them, the service acting for
// any other account could use the key (the confused-deputy problem).
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

export type KeyUsingService = 'events.amazonaws.com' | 'sns.amazonaws.com' | 'cloudwatch.amazonaws.com';

/** What aws:SourceArn is when each service calls KMS for us: an event rule, a topic, an alarm. */
function sourceArnOf(service: KeyUsingService, s: Stack): string {
  const at = `${s.partition}:%:${s.region}:${s.account}`;
  if (service === 'events.amazonaws.com') return `arn:${at.replace('%', 'events')}:rule/*`;
  if (service === 'sns.amazonaws.com') return `arn:${at.replace('%', 'sns')}:*`;
  return `arn:${at.replace('%', 'cloudwatch')}:alarm:*`;
}

const granted = new WeakMap<kms.IKey, Set<KeyUsingService>>();

/** Lets each service encrypt and decrypt with the key, for this account's own resources only (once per key). */
export function allowServicesToUseKey(key: kms.IKey, services: KeyUsingService[]): void {
  const s = Stack.of(key);
  const done = granted.get(key) ?? new Set<KeyUsingService>();
  granted.set(key, done);
  for (const service of services) {
    if (done.has(service)) continue;
    done.add(service);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Allow-${service.split('.')[0]}-for-this-account`,
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': s.account }, ArnLike: { 'aws:SourceArn': sourceArnOf(service, s) } },
      }),
    );
  }
}
