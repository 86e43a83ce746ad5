// Runs fauxqs (an S3/SNS/SQS emulator from npm; ES module only) in its own process, creates the
// template's buckets, topics and queues, then prints "READY <port>" and serves until stopped.
// Argument: a JSON object {port, host, region, buckets: [], topics: [], queues: []}.
import { startFauxqs } from 'fauxqs';
import { installListParts } from './fauxqs-list-parts.mjs';

const cfg = JSON.parse(process.argv[2] ?? '{}');
// fauxqs has no S3 ListParts; the data hub resumes uploads with it (fauxqs-list-parts.mjs)
await installListParts();
const server = await startFauxqs({ port: cfg.port ?? 0, host: cfg.host ?? '127.0.0.1', logger: false, defaultRegion: cfg.region ?? 'ap-northeast-2' });
for (const b of cfg.buckets ?? []) server.createBucket(b);
for (const q of cfg.queues ?? []) server.createQueue(q, { region: cfg.region });
for (const t of cfg.topics ?? []) server.createTopic(t, { region: cfg.region });
process.stdout.write(`READY ${server.port}\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop); // parent gone
process.stdin.resume();
