// Shell completion for bash and zsh, generated from the commander program itself (`kairr completion
// bash|zsh`): its nouns and verbs, each command's flags (its own and those of the commands above it,
// which commander accepts anywhere on the line), which flags take a value, and the values of every
// `.choices()` (flags and arguments). Nothing is asked of the CLI at <TAB> time: the script carries
// the tree as `case` tables, so completing costs no Node start-up.
//
// The walk over the words typed so far is one POSIX sh function (`_<name>_complete`), the same text
// in both scripts: bash runs it as it is, zsh under `emulate -L sh`. It leaves the candidates, one per
// line as `name` or `name:description`, in `_kc_out`, and sets `_kc_files=1` where a file name is
// wanted (a script, a `-f` document, an argument or value without choices). Each shell's own wrapper
// turns that into COMPREPLY (bash) or compadd/_describe/_files (zsh).
import type { Argument, Command, Option } from '@commander-js/extra-typings';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

type AnyCommand = Command<any, any, any>;

/** One command of the tree, as the completion script needs it. */
export interface CompletionNode {
  /** The words after the program's name: "" for the program, "job submit" for a verb. */
  path: string;
  subcommands: { name: string; description: string }[];
  /** Its own flags and those of the commands above it (but --help and --version, which are its own or the program's). */
  options: { flags: string[]; description: string; takesValue: boolean; variadic: boolean; choices?: readonly string[] }[];
  arguments: { variadic: boolean; choices?: readonly string[] }[];
}

/** The first line of a description, on one line and at most 80 characters. */
function short(text: string): string {
  const one = text.split('\n')[0].replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}

/** What completion reads of a commander Option. */
type OptionLike = Pick<Option, 'short' | 'long' | 'description' | 'required' | 'variadic' | 'argChoices'>;

function optionOf(o: OptionLike): CompletionNode['options'][number] {
  return {
    flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
    description: short(o.description ?? ''),
    // an optional value ([x]) is taken only when given: completion treats such a flag as taking none
    takesValue: o.required,
    variadic: o.variadic,
    ...(o.argChoices ? { choices: o.argChoices } : {}),
  };
}

/** Every command of the program, parents before children, in the order help shows them. */
export function completionTree(program: AnyCommand): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (cmd: AnyCommand, path: string[], inherited: CompletionNode['options']) => {
    const help = cmd.createHelp();
    const own = help.visibleOptions(cmd as never).map(optionOf);
    const isHelpOrVersion = (o: CompletionNode['options'][number]) => o.flags.includes('--help') || o.flags.includes('--version');
    // the implicit `help` command is not one of cmd.commands: `--help` is offered instead
    const subs = (help.visibleCommands(cmd as never) as unknown as AnyCommand[]).filter((c) => cmd.commands.includes(c));
    nodes.push({
      path: path.join(' '),
      subcommands: subs.flatMap((c) => [c.name(), ...c.aliases()].map((name) => ({ name, description: short(c.summary() || c.description()) }))),
      options: [...own, ...inherited.filter((i) => !own.some((o) => o.flags.some((f) => i.flags.includes(f))))],
      arguments: (cmd.registeredArguments as readonly Argument<any, any, any, any, any>[]).map((a) => ({ variadic: a.variadic, ...(a.argChoices ? { choices: a.argChoices } : {}) })),
    });
    const passDown = [...own.filter((o) => !isHelpOrVersion(o)), ...inherited.filter((i) => !own.some((o) => o.flags.some((f) => i.flags.includes(f))))];
    for (const c of subs) walk(c, [...path, c.name()], passDown);
  };
  walk(program, [], []);
  return nodes;
}

/** A shell word in single quotes (any text: a quote is closed, escaped and reopened). */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** Lines, each ending in a newline, as one quoted word. */
const lines = (items: readonly string[]) => q(items.map((i) => `${i}\n`).join(''));

function tables(fn: string, nodes: CompletionNode[]): string {
  const node = nodes.map((n) => {
    const opts = n.options.flatMap((o) => o.flags.map((f) => (o.description ? `${f}:${o.description}` : f)));
    const valued = n.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
    const variadic = n.options.filter((o) => o.takesValue && o.variadic).flatMap((o) => o.flags);
    return [
      `    ${q(n.path)})`,
      `      _kc_subs=${lines(n.subcommands.map((s) => (s.description ? `${s.name}:${s.description}` : s.name)))}`,
      `      _kc_opts=${lines(opts)}`,
      `      _kc_vopts=${q(` ${valued.join(' ')} `)}`,
      `      _kc_vvar=${q(` ${variadic.join(' ')} `)}`,
      '      ;;',
    ].join('\n');
  });
  const values: string[] = [];
  for (const n of nodes) {
    for (const o of n.options) if (o.takesValue && o.choices) for (const f of o.flags) values.push(`    ${q(`${n.path}|${f}`)}) _kc_vals=${lines(o.choices)} ;;`);
    n.arguments.forEach((a, i) => {
      if (a.choices) values.push(`    ${q(`${n.path}|#${a.variadic ? '*' : i}`)}) _kc_vals=${lines(a.choices)} ;;`);
    });
  }
  return `# The commands: each one's subcommands and flags (name:description, a line each), the flags that
# take a value, and those that take several (commander's variadic <x...>).
${fn}_node() {
  _kc_subs='' _kc_opts='' _kc_vopts=' ' _kc_vvar=' '
  case $1 in
${node.join('\n')}
  esac
}

# The values of each .choices(): "PATH|--flag" for a flag's, "PATH|#N" for the Nth argument's ("#*" variadic).
${fn}_values() {
  _kc_vals=''
  case "$1|$2" in
${values.join('\n')}
  esac
}
`;
}

/** The walk, in POSIX sh (see the head of this file). */
function core(fn: string): string {
  return `# "$@": the words after the program's name, the last being the one completed (maybe empty).
# Leaves the candidates in _kc_out (a line each, name or name:description), _kc_files=1 for file names.
${fn}_complete() {
  if [ -n "\${ZSH_VERSION-}" ]; then emulate -L sh; fi
  _kc_nl='
'
  _kc_out='' _kc_files=0 _kc_path='' _kc_expect='' _kc_pos=0 _kc_dd=0
  while [ "$#" -gt 1 ]; do
    _kc_w=$1
    shift
    if [ -n "$_kc_expect" ]; then
      case $_kc_vvar in
        *" $_kc_expect "*)
          # a variadic flag takes words until the next flag
          case $_kc_w in -?*) _kc_expect='' ;; *) continue ;; esac ;;
        *)
          # bash splits --flag=value into --flag, = and value
          [ "$_kc_w" = '=' ] || _kc_expect=''
          continue ;;
      esac
    fi
    if [ "$_kc_dd" = 0 ]; then
      case $_kc_w in
        --) _kc_dd=1; continue ;;
        -*=*) continue ;;
        -?*)
          ${fn}_node "$_kc_path"
          case $_kc_vopts in *" $_kc_w "*) _kc_expect=$_kc_w ;; esac
          continue ;;
      esac
    fi
    if [ "$_kc_pos" = 0 ]; then
      ${fn}_node "$_kc_path"
      case $_kc_nl$_kc_subs in
        *"$_kc_nl\${_kc_w}:"* | *"$_kc_nl\${_kc_w}$_kc_nl"*)
          _kc_path=\${_kc_path:+$_kc_path }$_kc_w
          continue ;;
      esac
    fi
    _kc_pos=$((_kc_pos + 1))
  done
  _kc_cur=\${1-}
  [ "$_kc_cur" = '=' ] && [ -n "$_kc_expect" ] && _kc_cur=''
  ${fn}_node "$_kc_path"
  if [ -n "$_kc_expect" ]; then
    case \${_kc_vvar}:\${_kc_cur} in
      *" $_kc_expect "*:-*) ;;
      *)
        ${fn}_values "$_kc_path" "$_kc_expect"
        if [ -n "$_kc_vals" ]; then ${fn}_add "$_kc_vals" ''; else _kc_files=1; fi
        return 0 ;;
    esac
  fi
  if [ "$_kc_dd" = 0 ]; then
    case $_kc_cur in
      -*=*)
        _kc_w=\${_kc_cur%%=*}
        _kc_cur=\${_kc_cur#*=}
        ${fn}_values "$_kc_path" "$_kc_w"
        ${fn}_add "$_kc_vals" "$_kc_w="
        return 0 ;;
      -*)
        ${fn}_add "$_kc_opts" ''
        return 0 ;;
    esac
  fi
  if [ "$_kc_pos" = 0 ] && [ -n "$_kc_subs" ]; then
    ${fn}_add "$_kc_subs" ''
    return 0
  fi
  ${fn}_values "$_kc_path" "#$_kc_pos"
  [ -n "$_kc_vals" ] || ${fn}_values "$_kc_path" '#*'
  if [ -n "$_kc_vals" ]; then ${fn}_add "$_kc_vals" ''; else _kc_files=1; fi
  return 0
}

# Adds to _kc_out each line of $1 whose name starts with the word being completed, prefixed by $2.
${fn}_add() {
  _kc_rest=$1
  while [ -n "$_kc_rest" ]; do
    _kc_line=\${_kc_rest%%"$_kc_nl"*}
    _kc_rest=\${_kc_rest#*"$_kc_nl"}
    case \${_kc_line%%:*} in
      "$_kc_cur"*) _kc_out=$_kc_out$2$_kc_line$_kc_nl ;;
    esac
  done
}
`;
}

const LOCALS = '_kc_out _kc_files _kc_nl _kc_path _kc_expect _kc_pos _kc_dd _kc_w _kc_cur _kc_vals _kc_rest _kc_line _kc_subs _kc_opts _kc_vopts _kc_vvar';

/** The install lines each script starts with (and `kairr completion --help` shows). */
export function installHelp(name: string): string {
  return `Install:
  bash  ${name} completion bash > ~/.local/share/bash-completion/completions/${name}   (bash-completion loads it)
        or add to ~/.bashrc:  source <(${name} completion bash)
  zsh   ${name} completion zsh > "\${fpath[1]}/_${name}"   (a folder of $fpath, before compinit runs)
        or add to ~/.zshrc after compinit:  source <(${name} completion zsh)
Open a new shell afterwards.`;
}

export function completionScript(program: AnyCommand, shell: Shell): string {
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const nodes = completionTree(program);
  const head = `${installHelp(name)}\n(generated by \`${name} completion ${shell}\` from the commands of this version: generate it again after an upgrade)`
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n');
  const body = `${tables(fn, nodes)}\n${core(fn)}`;
  if (shell === 'bash')
    return `# ${name} completion for bash.
${head}

${body}
${fn}_bash() {
  local ${LOCALS}
  local _kc_word=\${COMP_WORDS[COMP_CWORD]}
  [ "$_kc_word" = '=' ] && _kc_word=''
  ${fn}_complete "\${COMP_WORDS[@]:1:COMP_CWORD}"
  COMPREPLY=()
  _kc_rest=$_kc_out
  while [ -n "$_kc_rest" ]; do
    _kc_line=\${_kc_rest%%"$_kc_nl"*}
    _kc_rest=\${_kc_rest#*"$_kc_nl"}
    COMPREPLY+=("\${_kc_line%%:*}")
  done
  if [ "$_kc_files" = 1 ]; then
    # readline's own file-name completion where it can (bash 4+), else compgen's
    compopt -o default 2>/dev/null || while IFS= read -r _kc_line; do COMPREPLY+=("$_kc_line"); done < <(compgen -f -- "$_kc_word")
  fi
  return 0
}
complete -F ${fn}_bash ${name}
`;
  return `#compdef ${name}
# ${name} completion for zsh.
${head}

${body}
${fn}() {
  local ${LOCALS} _kc_l
  local -a _kc_described _kc_plain
  ${fn}_complete "\${(@)words[2,CURRENT]}"
  for _kc_l in "\${(@f)_kc_out}"; do
    [[ -z $_kc_l ]] && continue
    if [[ $_kc_l == *:* ]]; then _kc_described+=("$_kc_l"); else _kc_plain+=("$_kc_l"); fi
  done
  (( \${#_kc_described} )) && _describe -t ${name} '${name}' _kc_described
  (( \${#_kc_plain} )) && compadd -a _kc_plain
  (( _kc_files )) && _files
  return 0
}

# Autoloaded from $fpath (the file is _${name}), this body runs on the first <TAB>: complete then.
# Sourced, it registers the function.
if [ "$funcstack[1]" = "${fn}" ]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}
