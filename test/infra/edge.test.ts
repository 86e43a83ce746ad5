// Issue 11, section 7, on the synthesized template: the WAF lets real work through (its body rules
// scoped to the routes that need them, protecting the rest as before), KMS key policies bind
// service principals to this account's own resources, and every dead-letter queue and state
// machine has an alarm. The web ACL's statements are evaluated here for requests of each kind by a
// small evaluator of the statement types KAIRR uses (AND, OR, NOT, label, method, URI regex).
import { synthStage, type Synth } from './support/synth';
import { BULK_ROUTES, SCRIPT_ROUTES, pathRegex } from '../../lib/platform/waf-scope';
import { routeOperationsOf } from './support/api-body';

let example: Synth;
let local: Synth;
beforeAll(() => {
  example = synthStage('example');
  local = synthStage('local');
});

type Stmt = Record<string, any>;
interface Req {
  method: string;
  path: string;
  labels: string[];
}

/** Does the statement match the request? (the subset of WAF statements the ACL uses). */
function matches(s: Stmt, r: Req): boolean {
  if (s.andStatement) return s.andStatement.statements.every((x: Stmt) => matches(x, r));
  if (s.orStatement) return s.orStatement.statements.some((x: Stmt) => matches(x, r));
  if (s.notStatement) return !matches(s.notStatement.statement, r);
  if (s.labelMatchStatement) return r.labels.includes(s.labelMatchStatement.key);
  if (s.byteMatchStatement?.fieldToMatch?.method) return s.byteMatchStatement.positionalConstraint === 'EXACTLY' && r.method === s.byteMatchStatement.searchString;
  if (s.regexMatchStatement?.fieldToMatch?.uriPath) return new RegExp(s.regexMatchStatement.regexString).test(r.path);
  throw new Error(`statement not understood by the test's evaluator: ${JSON.stringify(s).slice(0, 200)}`);
}

function acl(s: Synth): { rules: Stmt[] } {
  const acls = Object.values(s.template.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return (acls[0] as { Properties: { Rules: Stmt[] } }).Properties as unknown as { rules: Stmt[] };
}

const L = (r: string) => `awswaf:managed:aws:core-rule-set:${r}`;

describe('the WAF web ACL', () => {
  let rules: Stmt[];
  beforeAll(() => {
    rules = (acl(example) as unknown as { Rules: Stmt[] }).Rules;
  });

  /** Whether one of our blocking rules after the Common Rule Set blocks a request the group labelled. */
  const blocked = (req: Req) => rules.filter((r) => r.Action?.Block && !lower(r.Statement).rateBasedStatement).some((r) => matches(lower(r.Statement), req));

  it('runs the Common Rule Set with its body rules set to count, so labels decide below', () => {
    const common = rules.find((r) => r.Name === 'common')!;
    const overrides = common.Statement.ManagedRuleGroupStatement.RuleActionOverrides.map((o: Stmt) => [o.Name, Object.keys(o.ActionToUse)[0]]);
    expect(overrides).toEqual([
      ['SizeRestrictions_BODY', 'Count'],
      ['CrossSiteScripting_BODY', 'Count'],
      ['GenericLFI_BODY', 'Count'],
      ['GenericRFI_BODY', 'Count'],
      ['EC2MetaDataSSRF_BODY', 'Count'],
    ]);
    // and the group's other rules keep blocking (no override), known bad inputs and the rate limit stay
    expect(rules.map((r) => r.Name)).toEqual(['common', 'body-size-outside-bulk-routes', 'body-rules-outside-script-routes', 'known-bad-inputs', 'rate-per-ip']);
  });

  it.each([
    ['a 64 KB job script', 'POST', '/example/v1/allocations/alloc-1/jobs', [L('SizeRestrictions_Body'), L('GenericLFI_Body'), L('EC2MetaDataSSRF_Body')]],
    ['a script with what looks like XSS (a heredoc of HTML)', 'POST', '/v1/allocations/alloc-1/jobs', [L('CrossSiteScripting_Body')]],
    ['a 500-report usage batch', 'POST', '/example/v1/sites/spc/usage', [L('SizeRestrictions_Body')]],
    ['a full proposal', 'POST', '/example/v1/proposals', [L('SizeRestrictions_Body')]],
    ['a full proposal, edited', 'PATCH', '/example/v1/proposals/prop-1', [L('SizeRestrictions_Body')]],
    ['a call with a 500-reviewer pool', 'POST', '/example/v1/calls', [L('SizeRestrictions_Body')]],
  ])('lets through %s', (_what, method, path, labels) => {
    expect(blocked({ method, path, labels })).toBe(false);
  });

  it.each([
    ['a large body anywhere else', 'POST', '/example/v1/allocations', [L('SizeRestrictions_Body')]],
    ['a large body on the jobs path with another method', 'PATCH', '/example/v1/allocations/alloc-1/jobs', [L('SizeRestrictions_Body')]],
    ['a large request for a usage path of another shape', 'POST', '/example/v1/sites/spc/usage/extra', [L('SizeRestrictions_Body')]],
    ['cross-site scripting in a proposal', 'PATCH', '/example/v1/proposals/prop-1', [L('CrossSiteScripting_Body')]],
    ['file inclusion in a usage batch', 'POST', '/example/v1/sites/spc/usage', [L('GenericLFI_Body')]],
    ['SSRF in a review', 'POST', '/example/v1/proposals/prop-1/reviews', [L('EC2MetaDataSSRF_Body')]],
    ['remote file inclusion in an allocation request', 'POST', '/example/v1/allocations/alloc-1/requests', [L('GenericRFI_Body')]],
  ])('still blocks %s', (_what, method, path, labels) => {
    expect(blocked({ method, path, labels })).toBe(true);
  });

  it('scopes only routes that exist, with the method they have', () => {
    // The operations the deployed API has (its OpenAPI body), each scoped route among them with its method.
    const deployed = new Set(routeOperationsOf(example.template).map((o) => `${o.method} ${o.path}`));
    for (const r of [...BULK_ROUTES, ...SCRIPT_ROUTES]) expect(deployed).toContain(`${r.method} ${r.path}`);
    // and the WAF's path regex matches the path API Gateway serves it under (execute-api URL with the stage)
    for (const r of [...BULK_ROUTES, ...SCRIPT_ROUTES]) expect(new RegExp(pathRegex(r.path)).test(`/example${r.path.replace(/\{[^}]+\}/g, 'x-1')}`)).toBe(true);
  });
});

/** CloudFormation's PascalCase statement keys → the camelCase the evaluator reads. */
function lower(v: any): any {
  if (Array.isArray(v)) return v.map(lower);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k[0].toLowerCase() + k.slice(1), lower(x)]));
}

describe('KMS key policies', () => {
  it('bind every service principal to this account and its own resources (aws:SourceAccount, aws:SourceArn)', () => {
    for (const s of [local, example]) {
      let services = 0;
      for (const [id, key] of Object.entries(s.template.findResources('AWS::KMS::Key'))) {
        for (const st of (key as { Properties: { KeyPolicy: { Statement: Stmt[] } } }).Properties.KeyPolicy.Statement) {
          if (!st.Principal?.Service) continue;
          services++;
          expect({ id, sid: st.Sid, account: st.Condition?.StringEquals?.['aws:SourceAccount'] }).toEqual({ id, sid: st.Sid, account: { Ref: 'AWS::AccountId' } });
          expect({ id, sid: st.Sid, arn: JSON.stringify(st.Condition?.ArnLike?.['aws:SourceArn'] ?? null) }).toEqual({ id, sid: st.Sid, arn: expect.stringMatching(/AWS::AccountId/) });
        }
      }
      expect(services).toBeGreaterThanOrEqual(4); // events and SNS on two keys, CloudWatch on one
    }
  });
});

describe('alarms', () => {
  const alarms = (s: Synth) => Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => (a as { Properties: Stmt }).Properties);

  it('watch the depth of every dead-letter queue', () => {
    for (const s of [local, example]) {
      const queues = Object.keys(s.template.findResources('AWS::SQS::Queue'));
      expect(queues.length).toBeGreaterThanOrEqual(5);
      for (const q of queues) {
        const a = alarms(s).find((x) => x.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(x.Dimensions).includes(`"${q}"`));
        expect({ q, alarm: !!a, threshold: a?.Threshold, actions: a?.AlarmActions?.length }).toEqual({ q, alarm: true, threshold: 1, actions: 1 });
      }
    }
  });

  it('watch every state machine for failed or timed-out executions', () => {
    for (const s of [local, example]) {
      const machines = Object.keys(s.template.findResources('AWS::StepFunctions::StateMachine'));
      // approval, provisioning, pipeline, data hub access
      expect(machines.length).toBe(4);
      for (const m of machines) {
        const a = alarms(s).find((x) => JSON.stringify(x.Metrics ?? []).includes(`"${m}"`));
        expect({ m, metrics: (a?.Metrics ?? []).flatMap((x: Stmt) => (x.MetricStat ? [x.MetricStat.Metric.MetricName] : [])).sort() }).toEqual({ m, metrics: ['ExecutionsFailed', 'ExecutionsTimedOut'] });
      }
    }
  });
});

describe('the authorizer', () => {
  it('gets every trusted issuer of the stage, and no more', () => {
    const fns = Object.values(local.template.findResources('AWS::Lambda::Function')).map((f) => (f as { Properties: Stmt }).Properties);
    const auth = fns.find((f) => f.Environment?.Variables?.OIDC_ISSUERS);
    const issuers = JSON.parse(auth!.Environment.Variables.OIDC_ISSUERS);
    expect(issuers.map((i: Stmt) => [i.id, i.issuerUrl, i.subjectPrefix])).toEqual([
      ['local', 'https://oidc.kairr.local', ''],
      ['federation', 'https://federation.kairr.local', 'federation:'],
    ]);
    expect(fns.filter((f) => f.Environment?.Variables?.OIDC_ISSUERS)).toHaveLength(1);
  });
});
