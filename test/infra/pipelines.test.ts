// The pipelines' construct in the synthesized stages: the flow deployed from its file with its step
// substituted, least-privilege grants (Step Functions on this one machine, the sites' secrets, the
// tables), the routes from the route specs, and cdk-nag clean with the packs bin/kairr.ts uses.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipelinesApi } from '../../lambdas/pipelines/api';
import { PIPELINE_ASL } from '../../lib/pipelines/pipelines';
import { actionsOf, resourcesOf, statementsByRole, synthStage, type Statement, type Synth } from './support/synth';
import { routeOperationsOf } from './support/api-body';

let local: Synth;
beforeAll(() => {
  local = synthStage('local', undefined, { nag: true });
});

type Fn = { Properties: { Environment: { Variables: Record<string, unknown> }; Role: { 'Fn::GetAtt': string[] }; VpcConfig?: unknown } };
const fnOf = (s: Synth, entry: string) => {
  const [id, fn] = Object.entries(s.template.findResources('AWS::Lambda::Function')).find(([, f]) => (f as { Metadata?: Record<string, string> }).Metadata?.['kairr:entry'] === entry)!;
  return { id, fn: fn as Fn, statements: statementsByRole(s.template).get((fn as Fn).Properties.Role['Fn::GetAtt'][0]) ?? [] };
};
/** The file asset a DefinitionS3Location points at, from the cloud assembly's asset manifests. */
function assetText(s: Synth, objectKey: string): string {
  const dir = s.app.synth().directory;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { files?: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }> };
    for (const file of Object.values(manifest.files ?? {})) {
      if (Object.values(file.destinations).some((d) => d.objectKey === objectKey)) return readFileSync(join(dir, file.source.path), 'utf8');
    }
  }
  throw new Error(`no asset with object key ${objectKey}`);
}
const statesActions = (st: Statement[]) => st.filter((x) => actionsOf(x).some((a) => a.startsWith('states:')));

describe('pipelines', () => {
  it('synthesizes with cdk-nag (AwsSolutions and Serverless) reporting nothing unacknowledged', () => {
    expect(() => local.app.synth()).not.toThrow();
  });

  it('deploys statemachines/pipeline.asl.json with its one step substituted by the flow function', () => {
    const machines = Object.entries(local.template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith('Pipelines'));
    expect(machines).toHaveLength(1);
    const props = (machines[0][1] as { Properties: { DefinitionSubstitutions: Record<string, { 'Fn::GetAtt': string[] }>; DefinitionString?: unknown; DefinitionS3Location: { Key: string } } }).Properties;
    const flow = fnOf(local, 'lambdas/pipelines/flow-handler.ts');
    const fileText = readFileSync(PIPELINE_ASL, 'utf8');

    expect(props.DefinitionString).toBeUndefined();
    expect(assetText(local, props.DefinitionS3Location.Key)).toBe(fileText);
    expect([...new Set([...fileText.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]))]).toEqual(Object.keys(props.DefinitionSubstitutions));
    expect(props.DefinitionSubstitutions.PipelineStepFunctionArn['Fn::GetAtt'][0]).toBe(flow.id);
  });

  it('grants Step Functions on the pipeline machine only: the API starts runs and rings; the flow only rings', () => {
    const api = fnOf(local, 'lambdas/pipelines/handler.ts');
    const flow = fnOf(local, 'lambdas/pipelines/flow-handler.ts');

    expect(statesActions(api.statements).flatMap(actionsOf).sort()).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(statesActions(flow.statements).flatMap(actionsOf)).toEqual(['states:SendTaskSuccess']);
    for (const st of [...statesActions(api.statements), ...statesActions(flow.statements)]) {
      for (const r of resourcesOf(st)) expect(r).toMatch(/stateMachine:.*-pipeline"/);
    }
    // the sites' credentials secrets (dispatch, status, cancel through the jobs capability), and no other secret
    for (const f of [api, flow]) {
      const secrets = f.statements.filter((x) => actionsOf(x).some((a) => a.startsWith('secretsmanager:')));
      expect(secrets.flatMap(actionsOf)).toEqual(['secretsmanager:GetSecretValue']);
      expect(resourcesOf(secrets[0]).length).toBe(local.config.sites.length);
      expect(f.statements.flatMap(actionsOf).some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
    }
  });

  it("hands the flow the stage's pipelines configuration and the machine's ARN", () => {
    const env = fnOf(local, 'lambdas/pipelines/flow-handler.ts').fn.Properties.Environment.Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['PIPELINES_CONFIG', 'PIPELINE_STATE_MACHINE_ARN', 'TABLE_MAIN', 'TABLE_AUDIT']));
    expect(JSON.parse(env.PIPELINES_CONFIG as string)).toMatchObject({ pollSeconds: 10 });
  });

  it('serves every pipelines route from one API function, and the stack stays under 500 resources', () => {
    const { id } = fnOf(local, 'lambdas/pipelines/handler.ts');
    expect(routeOperationsOf(local.template).filter((o) => o.functionId === id)).toHaveLength(Object.keys(pipelinesApi).length);
    expect(Object.keys(local.template.toJSON().Resources).length).toBeLessThan(500);
  });

  it("in a stage with the connectors' network, every pipelines function runs in it, and cdk-nag stays clean", () => {
    const example = synthStage('example', undefined, { nag: true });
    expect(() => example.app.synth()).not.toThrow();
    if (!example.config.connectorsVpc) throw new Error('the example stage is expected to configure connectorsVpc');
    for (const entry of ['lambdas/pipelines/handler.ts', 'lambdas/pipelines/flow-handler.ts', 'lambdas/pipelines/watcher-handler.ts']) expect(fnOf(example, entry).fn.Properties.VpcConfig).toBeDefined();
  });

  it('runs the stage watcher every minute per site, asynchronously with a dead-letter queue, granted only what it uses', () => {
    const watcher = fnOf(local, 'lambdas/pipelines/watcher-handler.ts');
    const rules = Object.values(local.template.findResources('AWS::Events::Rule')) as { Properties: { ScheduleExpression?: string; Targets: { Arn: { 'Fn::GetAtt': string[] }; Input?: string; DeadLetterConfig?: unknown }[] } }[];
    const watching = rules.filter((r) => r.Properties.Targets.some((t) => t.Arn['Fn::GetAtt']?.[0] === watcher.id));

    expect(watching.map((r) => r.Properties.ScheduleExpression)).toEqual(local.config.sites.map(() => 'rate(1 minute)'));
    expect(watching.map((r) => JSON.parse(r.Properties.Targets[0].Input!).siteId).sort()).toEqual(local.config.sites.map((s) => s.id).sort());
    for (const r of watching) expect(r.Properties.Targets[0].DeadLetterConfig).toBeDefined();
    expect((watcher.fn.Properties as unknown as { DeadLetterConfig?: unknown }).DeadLetterConfig).toBeDefined();
    // it rings the flow's doorbell and starts nothing
    expect(statesActions(watcher.statements).flatMap(actionsOf)).toEqual(['states:SendTaskSuccess']);
    for (const r of resourcesOf(statesActions(watcher.statements)[0])) expect(r).toMatch(/stateMachine:.*-pipeline"/);
    const secrets = watcher.statements.filter((x) => actionsOf(x).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.flatMap(actionsOf)).toEqual(['secretsmanager:GetSecretValue']);
    expect(watcher.statements.flatMap(actionsOf).some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
    expect(JSON.parse(watcher.fn.Properties.Environment.Variables.PIPELINES_CONFIG as string)).toMatchObject({ watcher: { enabled: true, intervalSeconds: 5, backstopSeconds: 300 } });
  });

  it('a stage that turns the watcher off gets no watcher function and no schedule', () => {
    const off = synthStage('local', (c) => ({ ...c, pipelines: { ...c.pipelines, watcher: { ...c.pipelines.watcher, enabled: false } } }));
    const entries = Object.values(off.template.findResources('AWS::Lambda::Function')).map((f) => (f as { Metadata?: Record<string, string> }).Metadata?.['kairr:entry']);
    expect(entries).toContain('lambdas/pipelines/flow-handler.ts');
    expect(entries).not.toContain('lambdas/pipelines/watcher-handler.ts');
  });
});
