// kairr data request-access | access list | show | withdraw | decide | permits [revoke]: access to
// restricted datasets (lambdas/datahub/access-api.ts; docs/datahub.md "Access to restricted
// data"). A researcher applies naming the allocation, site, period, users and purpose, having
// accepted the dataset's terms; the dataset's committee approves (a permit is granted), rejects or
// returns it; a permit can be revoked. Added to the `data` command only: models take no access
// applications (the route answers 404 for them).
import { Argument, type Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parseApplicationId, parseDatasetId, parseDate, parseList, parsePermitId, parseVersions } from '../access-flags';
import { APPLICATION_STATES, ApplicationSchema, DECISIONS, PermitSchema, TermsSchema, type Application, type Permit } from '../access-schemas';
import { parsePositiveInt } from '../duration';
import { CliError, UsageError } from '../errors';
import { seg } from '../http';
import { msg } from '../i18n';
import { emit, fields, pageTable } from '../output';
import { page } from '../schemas';

type Ctx = (cmd: Command<any, any, any>) => Context;

const apps = '/v1/datahub/access-applications';
const day = (iso: string) => iso.slice(0, 10);
/**
 * Applying is tried again with the same key on no answer, a throttle or a gateway's error (the hub
 * answers a retry it recognises with the first application). Not on 503: from this route it means
 * the application was recorded but is in error, and a new application is the way on.
 */
const RETRY_ON = [429, 502, 504];

export function showApplication(a: Application): string {
  return fields([
    ['application', a.applicationId],
    ['dataset', a.datasetId],
    ['versions', a.versions.length ? a.versions : 'every published version'],
    ['state', a.state],
    ['applicant', a.applicant],
    ['purpose', a.purpose],
    ['allocation', a.allocationId],
    ['users', a.users],
    ['site', a.siteId],
    ['period', `${a.start} → ${a.end}`],
    ['terms', `sha256 ${a.terms.digest}, accepted ${a.terms.acceptedAt}`],
    ['permit', a.permitId],
    ...a.decisions.map((d, i): [string, unknown] => [i ? '' : 'decisions', `${d.decision} by ${d.by} at ${d.at}: ${d.comment}`]),
    ['closed', a.closedReason],
    ['error', a.error],
    ['next', nextStep(a)],
  ]);
}

function nextStep(a: Application): string | undefined {
  if (a.state === 'submitted') return `the committee decides: kairr data access decide ${a.applicationId} approve|reject|return --comment TEXT`;
  if (a.state === 'approved' && a.permitId) return `kairr data permits --dataset ${a.datasetId}`;
  if (a.state === 'returned') return `apply again: kairr data request-access ${a.datasetId} ...`;
  return undefined;
}

export function showPermit(p: Permit): string {
  return fields([
    ['permit', p.id],
    ['application', p.applicationId],
    ['datasets', p.datasets],
    ['versions', p.versions.length ? p.versions : 'every published version'],
    ['users', p.users],
    ['sites', p.sites],
    ['period', `${p.start} → ${p.end}`],
    ['state', p.state],
    ['revoked', p.revokedAt ? `${p.revokedAt}: ${p.revokeReason ?? ''}` : undefined],
  ]);
}

/**
 * The terms the applicant is about to accept, on stderr, with the SHA-256 the hub will record:
 * the dataset's own text, or the hub's default, digested as the hub digests it (one function, in
 * the domain). Required here: only this refusal needs it.
 */
async function printTerms(c: Context, datasetId: string): Promise<void> {
  const { termsDigest, termsTextOf } = require('../../../lambdas/domain/datahub/application') as typeof import('../../../lambdas/domain/datahub/application');
  const d = await c.api().get(`/v1/datasets/${seg(datasetId)}`, TermsSchema);
  // terms to accept would mislead: the hub refuses an application to a dataset that is not restricted
  if (d.accessLevel !== 'restricted') throw new CliError(msg('notRestricted', { ref: datasetId, level: d.accessLevel }));
  const text = termsTextOf(d);
  c.io.err.write(c.t(msg(d.termsText ? 'termsOwn' : 'termsDefault', { ref: datasetId, digest: termsDigest(text), text })));
}

export function addAccessCommands(ctx: Ctx, data: Command<any, any, any>): Command<any, any, any> {
  data
    .command('request-access')
    .description("Apply for access to a restricted dataset: the dataset's committee decides, and an approval grants a permit")
    .addArgument(new Argument('<dataset>', 'ds-… (a restricted dataset)').argParser(parseDatasetId))
    .requiredOption('--alloc <id>', 'the allocation the work runs under (you and every --users must be its members)')
    .requiredOption('--site <site>', 'where the data is processed: a site that holds a verified copy')
    .requiredOption('--until <date>', 'the end of the period: 2027-03-31 (through that day, UTC) or 2027-03-31T18:00:00+09:00', parseDate('end'))
    .option('--from <date>', 'the start of the period (default: now)', parseDate('start'))
    .option('--versions <v,...>', 'the versions applied for (default: every published version)', parseVersions)
    .option('--users <sub,...>', 'other people who will use the data (their subjects; you are always one)', parseList)
    .requiredOption('--purpose <text>', 'what the data is for, as the committee reads it')
    .option('--accept-terms', "accept the dataset's terms (without it, the terms and their SHA-256 are shown and nothing is sent)")
    .addHelpText(
      'after',
      '\nExamples:\n  kairr data request-access ds-01hx… --alloc alloc-01j… --site kisti6 --until 2027-03-31 --purpose "Fine-tuning a clinical NER model" --accept-terms\n  kairr data request-access ds-01hx… --alloc alloc-01j… --site spc --versions 1.0.0,1.1.0 --users sub-a,sub-b --from 2027-01-01 --until 2027-06-30 --purpose "…" --accept-terms --query applicationId',
    )
    .action(async (datasetId, o, c0) => {
      const c = ctx(c0);
      if (!o.acceptTerms) {
        await printTerms(c, datasetId);
        throw new UsageError(msg('acceptTermsNeeded', { ref: datasetId }));
      }
      const body = {
        purpose: o.purpose,
        allocationId: o.alloc,
        siteId: o.site,
        end: o.until,
        acceptTerms: true,
        ...(o.from ? { start: o.from } : {}),
        ...(o.versions ? { versions: o.versions } : {}),
        ...(o.users ? { users: o.users } : {}),
      };
      const a = await c.api().request('POST', `/v1/datasets/${seg(datasetId)}/access-applications`, { body, schema: ApplicationSchema, idempotent: true, retryOn: RETRY_ON });
      await emit(c.io.out, a, c.output, () => showApplication(a));
    });

  const access = data.command('access').description('Access applications: yours, or a dataset committee’s queue; show, withdraw, decide');
  access
    .command('list')
    .description("Your access applications (newest first); with --dataset, that dataset's queue (its committee, curators, admins, auditors)")
    .option('--dataset <id>', "a dataset's queue instead of your own applications", parseDatasetId)
    .addOption(new Option('--state <state>', "only this state (a dataset's queue)").choices(APPLICATION_STATES))
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .option('--next-token <t>', 'the next page')
    .addHelpText('after', '\nExamples:\n  kairr data access list\n  kairr data access list --dataset ds-01hx… --state submitted --query "items[].applicationId"')
    .action(async (o, c0) => {
      const c = ctx(c0);
      // the route of your own applications takes no state: filtering one page here would hide the rest
      if (o.state && !o.dataset) throw new UsageError(msg('stateNeedsDataset'));
      const path = o.dataset ? `/v1/datasets/${seg(o.dataset)}/access-applications` : apps;
      const body = await c.api().get(path, page(ApplicationSchema), { state: o.state, limit: o.limit, nextToken: o.nextToken });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'APPLICATION', value: (a) => a.applicationId },
          { header: 'DATASET', value: (a) => a.datasetId },
          { header: 'STATE', value: (a) => a.state },
          { header: 'APPLICANT', value: (a) => a.applicant },
          { header: 'SITE', value: (a) => a.siteId },
          { header: 'UNTIL', value: (a) => day(a.end) },
          { header: 'CREATED', value: (a) => a.createdAt.slice(0, 19) },
        ]),
      );
    });
  access
    .command('show')
    .description('One access application: its period, users, terms accepted, decisions and permit')
    .addArgument(new Argument('<application>', 'dha-…').argParser(parseApplicationId))
    .addHelpText('after', '\nExamples:\n  kairr data access show dha-01hx…\n  kairr data access show dha-01hx… --query permitId')
    .action(async (id, _o, c0) => {
      const c = ctx(c0);
      const a = await c.api().get(`${apps}/${seg(id)}`, ApplicationSchema);
      await emit(c.io.out, a, c.output, () => showApplication(a));
    });
  access
    .command('withdraw')
    .description('Withdraw your own application (submitted or returned): it is closed')
    .addArgument(new Argument('<application>', 'dha-…').argParser(parseApplicationId))
    .addHelpText('after', '\nExample:\n  kairr data access withdraw dha-01hx…')
    .action(async (id, _o, c0) => {
      const c = ctx(c0);
      const a = await c.api().request('POST', `${apps}/${seg(id)}/withdraw`, { schema: ApplicationSchema });
      await emit(c.io.out, a, c.output, () => showApplication(a));
    });
  access
    .command('decide')
    .description("The dataset committee's decision: approve (a permit is granted at once), reject, or return it to the applicant, with a comment")
    .addArgument(new Argument('<application>', 'dha-…').argParser(parseApplicationId))
    .addArgument(new Argument('<decision>', 'approve, reject or return').choices(DECISIONS))
    .requiredOption('--comment <text>', 'why, recorded and shown to the applicant')
    .addHelpText('after', '\nExamples:\n  kairr data access decide dha-01hx… approve --comment "Purpose and site fit the terms"\n  kairr data access decide dha-01hx… return --comment "Name every user who will see the data"')
    .action(async (id, decision, o, c0) => {
      const c = ctx(c0);
      const a = await c.api().request('POST', `${apps}/${seg(id)}/decision`, { body: { decision, comment: o.comment }, schema: ApplicationSchema });
      await emit(c.io.out, a, c.output, () => showApplication(a));
    });

  const permits = data
    .command('permits')
    .description("Your permits to use restricted datasets; with --dataset, that dataset's permits (its committee, curators, admins, auditors); revoke")
    .option('--dataset <id>', "a dataset's permits instead of your own", parseDatasetId)
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .option('--next-token <t>', 'the next page')
    .addHelpText('after', '\nExamples:\n  kairr data permits\n  kairr data permits --dataset ds-01hx… --query "items[?state==\'active\'].id"')
    .action(async (o, c0) => {
      const c = ctx(c0);
      const body = await c.api().get('/v1/datahub/permits', page(PermitSchema), { datasetId: o.dataset, limit: o.limit, nextToken: o.nextToken });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'PERMIT', value: (p) => p.id },
          { header: 'DATASETS', value: (p) => p.datasets },
          { header: 'VERSIONS', value: (p) => (p.versions.length ? p.versions : 'all') },
          { header: 'SITES', value: (p) => p.sites },
          { header: 'USERS', value: (p) => p.users.length, right: true },
          { header: 'FROM', value: (p) => day(p.start) },
          { header: 'UNTIL', value: (p) => day(p.end) },
          { header: 'STATE', value: (p) => p.state },
        ]),
      );
    });
  permits
    .command('revoke')
    .description("Revoke a permit at once (the dataset's committee or an admin): its copies, downloads and jobs are refused from then on")
    .addArgument(new Argument('<permit>', 'dhp-…').argParser(parsePermitId))
    .requiredOption('--reason <text>', 'why, recorded and shown to its holders')
    .addHelpText('after', '\nExample:\n  kairr data permits revoke dhp-01hx… --reason "The data was shared outside the named users"')
    .action(async (id, o, c0) => {
      const c = ctx(c0);
      const p = await c.api().request('POST', `/v1/datahub/permits/${seg(id)}/revoke`, { body: { reason: o.reason }, schema: PermitSchema });
      await emit(c.io.out, p, c.output, () => showPermit(p));
    });
  return data;
}
