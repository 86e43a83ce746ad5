// Synthesizes the real app (the same KairrStack bin/kairr.ts builds) for a stage, with the cdk-nag
// packs attached exactly as bin/kairr.ts attaches them.
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { KairrStack } from '../../../lib/kairr-stack';
import { loadStageConfig } from '../../../lib/config/load';
import type { StageConfig } from '../../../lib/config/schema';

export interface Synth {
  app: App;
  stack: KairrStack;
  template: Template;
  config: StageConfig;
}

/** `beforeSynth` changes the constructed stack before it is synthesized (e.g. adds a route). */
export function synthStage(stage: string, patch?: (c: StageConfig) => StageConfig, opts: { nag?: boolean; beforeSynth?: (stack: KairrStack) => void } = {}): Synth {
  let config = loadStageConfig(stage);
  if (patch) config = patch(structuredClone(config));
  const app = new App({ context: { stage } });
  const stack = new KairrStack(app, `Kairr-${config.stage}`, { config, env: config.env ?? { region: 'ap-northeast-2' } });
  opts.beforeSynth?.(stack);
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const template = Template.fromStack(stack);
  return { app, stack, template, config };
}

export type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every IAM statement attached to a role, by role logical id. */
export function statementsByRole(template: Template): Map<string, Statement[]> {
  const out = new Map<string, Statement[]>();
  for (const [, p] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    const props = (p as { Properties: { Roles?: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }).Properties;
    for (const r of props.Roles ?? []) out.set(r.Ref, [...(out.get(r.Ref) ?? []), ...props.PolicyDocument.Statement]);
  }
  return out;
}

export const actionsOf = (s: Statement): string[] => ([] as string[]).concat(s.Action);
export const resourcesOf = (s: Statement): string[] => ([] as unknown[]).concat(s.Resource).map((r) => JSON.stringify(r));
