// The base function construct: the house defaults for every KAIRR Lambda, and grant helpers that
// pair each IAM grant with the environment variable that names the resource, so a handler never
// has a permission without knowing the resource, or the resource without the permission.
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import type { RuntimeConfig } from '../config/schema';
import { acknowledge } from '../nag';

export const REPO_ROOT = path.join(__dirname, '..', '..');

/** What every function of a stack shares; created once by the stack. */
export interface FunctionDefaults {
  runtimeConfig: RuntimeConfig;
  logRetentionDays: number;
  retainData: boolean;
}

export interface KairrFunctionProps {
  /** Handler file, relative to the repo root, e.g. lambdas/platform/handler.ts */
  entry: string;
  description: string;
  defaults: FunctionDefaults;
  /** MB. Explicit on purpose: 256 suits the API handlers (SDK + JSON); raise for exports. */
  memorySize?: number;
  timeout?: Duration;
  environment?: Record<string, string>;
  /** Files to copy beside the bundle (e.g. a wasm module): relative to the repo root, or absolute. */
  assetFiles?: string[];
  /**
   * Source modules bundled on their own, beside the bundle, as `<name>.js`: a handler requires one
   * at run time on first use, so its cold start and other routes never parse it (relative to the
   * repo root). It shares no module instances with the bundle: see lambdas/approval/recommended.ts.
   */
  lazyModules?: string[];
  vpc?: lambda.FunctionProps['vpc'];
  vpcSubnets?: lambda.FunctionProps['vpcSubnets'];
  securityGroups?: lambda.FunctionProps['securityGroups'];
  /**
   * 'sync' functions are called by API Gateway or as Step Functions tasks: the caller sees the
   * error, so no DLQ. 'async' functions (events, schedules) must be given a deadLetterQueue.
   */
  invocation?: 'sync' | 'async';
  deadLetterQueue?: lambda.FunctionProps['deadLetterQueue'];
}

export class KairrFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: KairrFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.defaults.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.defaults.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // Our own role, so the only managed policy (AWSLambdaBasicExecutionRole) is not attached:
    // the role may write to its own log group and nothing else until a grant helper adds more.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
    });
    const copy = (props.assetFiles ?? []).map((f) => `cp ${JSON.stringify(path.isAbsolute(f) ? f : path.join(REPO_ROOT, f))} ${JSON.stringify('__OUT__')}`);
    // Built as the bundle is (CommonJS, node22, minified, ES module builds first, a source map).
    const esbuild = path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');
    for (const m of props.lazyModules ?? []) {
      const out = `__OUT__/${path.basename(m).replace(/\.ts$/, '.js')}`;
      copy.push(
        `${JSON.stringify(esbuild)} ${JSON.stringify(path.join(REPO_ROOT, m))} --bundle --platform=node --format=cjs --target=node22 --minify --sourcemap --sources-content=false --main-fields=module,main --log-level=warning ${JSON.stringify(`--outfile=${out}`)}`,
      );
    }
    super(scope, id, {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      role,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      deadLetterQueue: props.deadLetterQueue,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        KAIRR_STAGE: props.defaults.runtimeConfig.stage,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK is bundled (tree-shaken) rather than taken from the runtime, so the version
        // that runs is the version that was tested.
        externalModules: [],
        // Prefer packages' ES module builds: esbuild tree-shakes ESM but keeps a CommonJS module
        // whole, so the AWS SDK's dist-es builds cut each bundle by about a third (bench:bundles).
        mainFields: ['module', 'main'],
        define: { 'process.env.KAIRR_CONFIG': JSON.stringify(JSON.stringify(props.defaults.runtimeConfig)) },
        commandHooks: copy.length
          ? {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_in: string, outputDir: string) => copy.map((c) => c.replaceAll('__OUT__', outputDir)),
            }
          : undefined,
      },
    });
    logGroup.grantWrite(role);
    // Lets tools (bench/bundles.ts, the local runtime's logs) map a deployed function to its source.
    (this.node.defaultChild as lambda.CfnFunction).addMetadata('kairr:entry', props.entry);
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) does not support resource-level permissions; it is the only wildcard resource a KAIRR function role holds.');
    if ((props.invocation ?? 'sync') === 'sync') {
      acknowledge(this, 'Serverless-LambdaDLQ', 'Invoked synchronously (API Gateway proxy or a Step Functions task): the caller receives the error and retries or catches it, so there is no asynchronous event to dead-letter.');
    } else if (!props.deadLetterQueue) {
      throw new Error(`${this.node.path}: asynchronous functions need a deadLetterQueue`);
    }
  }

  /** Sets an environment variable and returns this, for chaining in grant helpers. */
  withEnv(name: string, value: string): this {
    this.addEnvironment(name, value);
    return this;
  }

  /** Grants exactly the listed actions on the listed resources (no wildcards on data). */
  allow(actions: string[], resources: string[]): this {
    this.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
    return this;
  }

  get region(): string {
    return Stack.of(this).region;
  }
}
