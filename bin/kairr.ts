#!/usr/bin/env node
// The KAIRR CDK app. Choose the stage with `-c stage=NAME` (config/NAME.json); default "local".
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { KairrStack } from '../lib/kairr-stack';
import { loadStageConfig, ConfigError } from '../lib/config/load';

const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'local';
let config;
try {
  config = loadStageConfig(stage);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
const stack = new KairrStack(app, `Kairr-${config.stage}`, {
  config,
  env: config.env,
  description: `KAIRR, the Korea AI Research Resource (${config.stage})`,
  tags: { project: 'kairr', stage: config.stage },
});
void stack;
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
