// kairr completion bash|zsh: prints the shell's completion script, generated from this program's
// commands (cli/src/completion.ts), to be saved where the shell loads completions or sourced.
import { Argument, Command } from '@commander-js/extra-typings';
import { completionScript, installHelp, SHELLS } from '../completion';
import type { Context } from '../context';

type Ctx = (cmd: Command<any, any, any>) => Context;

export function completionCommand(ctx: Ctx): Command<any, any, any> {
  return new Command('completion')
    .description('Print the shell completion script for bash or zsh (commands, flags and their values)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText('after', `\nExamples:\n  kairr completion bash > ~/.local/share/bash-completion/completions/kairr\n  source <(kairr completion zsh)\n\n${installHelp('kairr')}`)
    .action((shell, _o, cmd) => {
      let root: Command<any, any, any> = cmd;
      while (root.parent) root = root.parent as Command<any, any, any>;
      ctx(cmd).io.out.write(completionScript(root, shell));
    });
}
