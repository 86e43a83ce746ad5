// The `kairr` program: commander with typed options (@commander-js/extra-typings), commands as
// `kairr <noun> <verb>`, and the one place errors become messages and exit codes:
// 0 OK, 1 an error (the API's, the issuer's, the CLI's), 2 a usage error (a bad flag, a bad file),
// and the job's own exit code for `job submit --wait`.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { Context, GlobalOptions, type Io } from './context';
import { allocCommands } from './commands/alloc';
import { authCommands } from './commands/auth';
import { jobCommands } from './commands/job';
import { proposalCommands } from './commands/proposal';
import { siteCommands } from './commands/sites';
import { lineageCommand } from './commands/lineage';
import { reviewCommands } from './commands/review';
import { auditCommands } from './commands/audit';
import { catalogueCommands } from './commands/catalogue';
import { addCatalogueWrites } from './commands/catalogue-writes';
import { addCatalogueLifecycle } from './commands/catalogue-lifecycle';
import { addAccessCommands } from './commands/access';
import { pipelineCommands } from './commands/pipeline';
import { completionCommand } from './commands/completion';
import { ApiError, CliError, ExitWith, UsageError } from './errors';
import { formatError, QueryError } from './output';
import { langOf, translateCommander } from './i18n';
import { nodeHttp } from './transport';

export const VERSION = '0.1.0';

export function buildProgram(io: Io): Command<any, any, any> {
  const ctx = (cmd: Command<any, any, any>) => new Context(GlobalOptions.parse(cmd.optsWithGlobals()), io);
  const lang = langOf(io.env);
  const program = new Command('kairr')
    .description('KAIRR from the terminal: log in, find a resource, apply, and run jobs on spc and kisti6')
    .version(VERSION)
    .option('--api <url>', "the KAIRR API (env KAIRR_API; default: the profile's)")
    .option('--profile <name>', 'which login to use (env KAIRR_PROFILE; default "default")')
    .option('--json', "print the API's JSON")
    .option('--query <jmespath>', 'print only what this JMESPath expression selects from the JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  kairr auth login --local\n  kairr sites list\n  kairr job submit train.sh --alloc alloc-01j... --site kisti6 --resource gh200 --gpus 4 --time 2h --wait\n\nEnvironment: KAIRR_API, KAIRR_PROFILE, KAIRR_TOKEN (a token for scripts and CI), XDG_CONFIG_HOME.',
    );
  for (const c of [
    ...authCommands(ctx),
    ...siteCommands(ctx),
    proposalCommands(ctx),
    allocCommands(ctx),
    jobCommands(ctx),
    lineageCommand(ctx),
    ...reviewCommands(ctx),
    auditCommands(ctx),
    ...catalogueCommands(ctx).map((c) => {
      addCatalogueLifecycle(ctx, addCatalogueWrites(ctx, c));
      return c.name() === 'data' ? addAccessCommands(ctx, c) : c;
    }),
    pipelineCommands(ctx),
    completionCommand(ctx),
  ])
    program.addCommand(c);
  const configure = (cmd: Command<any, any, any>) => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s), outputError: (s, write) => write(translateCommander(s, lang)) });
    cmd.showSuggestionAfterError(true);
    checkMandatoryAfterUnknown(cmd);
    for (const sub of cmd.commands) configure(sub as Command<any, any, any>);
  };
  configure(program);
  return program;
}

/**
 * Commander checks for missing required options before unknown ones, so a typo (`--tme 2h`) was
 * reported as "required option '--time' not specified", never naming the flag typed. Here the
 * required-option check of a command with an action moves to its preAction hook, which runs after
 * the unknown-option and argument checks. It replaces a method of commander's own (pinned at
 * 14.0.3; cli/test/parsing.test.ts fails if an upgrade changes this).
 */
function checkMandatoryAfterUnknown(cmd: Command<any, any, any>): void {
  const internal = cmd as unknown as { _actionHandler?: unknown; _checkForMissingMandatoryOptions: () => void };
  if (!internal._actionHandler || typeof internal._checkForMissingMandatoryOptions !== 'function') return;
  const check = internal._checkForMissingMandatoryOptions.bind(cmd);
  internal._checkForMissingMandatoryOptions = () => undefined;
  cmd.hook('preAction', (_hooked, action) => {
    if (action === cmd) check();
  });
}

/** Runs one invocation and returns its exit code; never calls process.exit (tests call this too). */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  let json = false;
  try {
    json = argv.includes('--json');
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitWith) return e.exitCode;
    if (e instanceof CommanderError) {
      // commander printed its message already. --help and --version end with code 0; a bad flag,
      // a missing argument, or a command group without its verb (its help shown) are usage errors.
      return e.exitCode === 0 ? 0 : 2;
    }
    io.err.write(formatError(e, json, langOf(io.env)));
    if (e instanceof ApiError || e instanceof CliError || e instanceof UsageError || e instanceof QueryError) return e.exitCode;
    return 1;
  }
}

export function processIo(): Io {
  return { out: process.stdout, err: process.stderr, env: process.env, fetch: nodeHttp, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), stdin: () => readFileSync(0, 'utf8') };
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  // A reader that stops early (`kairr data search … | head -1`) closes the pipe: the rest of the
  // output has nowhere to go, and that is not an error (as cat and gh end: quietly, 0).
  for (const s of [process.stdout, process.stderr])
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  return run(argv, processIo());
}
