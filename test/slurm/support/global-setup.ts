// Global setup of the `slurm` jest project: the suite runs against the real local clusters, started
// if they do not answer (ensure-clusters.ts); if they cannot be, the suite fails with the reason.
// The connector flows also store allocations, jobs and watermarks: one DynamoDB Local (the real
// jar, in memory) serves the whole run, unless another project's setup started one already; it is
// stopped when the jest process exits (this project has no globalTeardown of its own).
import { ensureClusters } from './ensure-clusters';
import { startDynamoLocal } from '../../../local/dynamo';

async function dynamoLocal(): Promise<void> {
  if (process.env.KAIRR_TEST_DYNAMO_ENDPOINT) return;
  const d = await startDynamoLocal();
  process.env.KAIRR_TEST_DYNAMO_ENDPOINT = d.endpoint;
  // it must not keep jest's own process alive, and it dies with it
  d.process.unref();
  for (const stream of [d.process.stdin, d.process.stdout, d.process.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  process.once('exit', () => {
    if (d.process.exitCode === null) d.process.kill('SIGKILL');
  });
}

export default async function globalSetup(): Promise<void> {
  await dynamoLocal();
  await ensureClusters('slurm suite');
}
