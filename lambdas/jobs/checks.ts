// The checks a dispatch request goes through before dispatch.ts records and submits it: the request
// against the configuration (one 400 naming every field), then the allocation's state, provisioning
// and balance.
import { rateAt, type Resource, type Site } from '../domain/catalogue';
import { ConflictError, RuleViolationError, ValidationError, type ErrorDetail } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { fromMc, toMc } from '../domain/ledger/money';
import { runtimeConfig } from '../shared/config';
import { ENV_NAME, MAX_ENV_VARS, type DispatchBody } from './api';
import { holdRefusal } from '../accountability'; // accountability

const RESERVED_ENV = /^(SLURM_|KAIRR_)/;

export interface Checked {
  site: Site;
  resource: Resource;
  resourceKey: string;
  rate: number;
  estimatedCredits: number;
  scriptBytes: number;
  workingDirectory: (user: string) => string;
}

/** Every field-level problem of a dispatch request against the configuration and the allocation: one 400 naming each field. */
export function checkRequest(body: DispatchBody, a: Allocation, now: Date): Checked {
  const cfg = runtimeConfig();
  const problems: ErrorDetail[] = [];
  const bad = (path: string, problem: string) => problems.push({ path, problem });
  const site = cfg.sites.find((s) => s.id === body.site);
  if (!site) bad('site', `"${body.site}" is not a site (sites: ${cfg.sites.map((s) => s.id).join(', ')})`);
  let resource: Resource | undefined;
  if (site) {
    const [prefix, id] = body.resource.includes('/') ? body.resource.split('/', 2) : [site.id, body.resource];
    resource = prefix === site.id ? site.resources.find((r) => r.id === id) : undefined;
    if (!resource) bad('resource', `"${body.resource}" is not a resource of ${site.id} (it has ${site.resources.map((r) => r.id).join(', ')})`);
    else if (!a.resources[`${site.id}/${resource.id}`]) bad('resource', `${site.id}/${resource.id} is not in this allocation (it has ${Object.keys(a.resources).join(', ')})`);
  }
  if (resource) {
    if (body.gpus > resource.gpusPerNode) bad('gpus', `is ${body.gpus}, more than the ${resource.gpusPerNode} GPUs a ${resource.id} node has`);
    if (body.nodes > resource.nodes) bad('nodes', `is ${body.nodes}, more than the ${resource.nodes} nodes of ${resource.id}`);
    if (body.timeLimit > resource.maxTimeLimitMinutes) bad('timeLimit', `is ${body.timeLimit} minutes, more than partition ${resource.partition}'s maximum of ${resource.maxTimeLimitMinutes}`);
  }
  const scriptBytes = Buffer.byteLength(body.script, 'utf8');
  if (scriptBytes > cfg.policy.maxJobScriptBytes) bad('script', `is ${scriptBytes} bytes, more than the limit of ${cfg.policy.maxJobScriptBytes}`);
  else if (!body.script.startsWith('#!')) bad('script', 'must start with an interpreter line (#!), e.g. #!/bin/bash');
  const env = Object.keys(body.env ?? {});
  if (env.length > MAX_ENV_VARS) bad('env', `has ${env.length} variables, more than ${MAX_ENV_VARS}`);
  for (const k of env) {
    if (!ENV_NAME.test(k)) bad(`env.${k}`, 'is not a valid variable name');
    else if (RESERVED_ENV.test(k)) bad(`env.${k}`, 'is reserved (names starting with SLURM_ or KAIRR_ are set by the scheduler and KAIRR)');
  }
  const rate = resource ? rateAt(resource, now.toISOString()) : undefined;
  if (problems.length) throw new ValidationError(problems, `The job request is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
  if (!rate) throw new RuleViolationError(`No credit rate of ${site!.id}/${resource!.id} is in force on ${now.toISOString().slice(0, 10)}`, [{ path: 'resource', problem: 'has no rate in force' }], 'no_rate');
  const estimatedCredits = fromMc(toMc((body.gpus * body.nodes * body.timeLimit * rate.creditsPerGpuHour) / 60));
  const template = cfg.policy.jobWorkingDirectory;
  return {
    site: site!,
    resource: resource!,
    resourceKey: `${site!.id}/${resource!.id}`,
    rate: rate.creditsPerGpuHour,
    estimatedCredits,
    scriptBytes,
    workingDirectory: (user) => body.workingDirectory ?? template.replaceAll('{user}', user),
  };
}

/**
 * State, provisioning and balance: the rules after the request itself is valid. Returns the account,
 * the balance read, and how much the resource's jobs in flight may hold at most with this one too
 * (the dispatch transaction's condition on the hold counter, holds.ts).
 */
export function checkAllocation(a: Allocation, c: Checked): { account: string; balanceMc: number; maxHeldMc: number } {
  // ---- accountability: a hold for an overdue report is refused with its own code and reason ----
  const hold = holdRefusal(a);
  if (hold) throw hold;
  // ---- end accountability ----
  if (a.state !== 'active') {
    throw new ConflictError(`The allocation is ${a.state}; jobs can be dispatched only while it is active${a.stateReason ? ` (${a.stateReason})` : ''}`, [{ path: 'id', problem: `allocation is ${a.state}` }], 'allocation_not_active');
  }
  const account = a.schedulerAccounts?.[c.resourceKey];
  if (!account) throw new ConflictError(`${c.resourceKey} of this allocation is not provisioned at ${c.site.id} yet`, [{ path: 'resource', problem: 'has no scheduler account yet' }], 'not_provisioned');
  const balance = a.resources[c.resourceKey];
  const policy = runtimeConfig().policy;
  if (balance.exhausted) throw new RuleViolationError(`${c.resourceKey} has no credits left`, [{ path: 'resource', problem: 'has no credits left' }], 'insufficient_credits');
  const maxHeldMc = balance.balanceMc + toMc(policy.overdraftCredits) - toMc(c.estimatedCredits);
  if (policy.dispatchBalanceCheck === 'time-limit' && maxHeldMc < 0) {
    throw new RuleViolationError(
      `The job may use ${c.estimatedCredits} credits (GPUs × nodes × time limit at ${c.rate} credits per GPU-hour); ${c.resourceKey} has ${fromMc(balance.balanceMc)} left`,
      [{ path: 'timeLimit', problem: `needs ${c.estimatedCredits} credits at most; ${fromMc(balance.balanceMc)} are left (lower it, or the GPUs)` }],
      'insufficient_credits',
    );
  }
  return { account, balanceMc: balance.balanceMc, maxHeldMc };
}
