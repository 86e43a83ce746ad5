// kairr completion bash|zsh, for real: the bash script is sourced into bash and its completion
// function called as bash calls it (COMP_WORDS, COMP_CWORD → COMPREPLY), for nouns, verbs, flags,
// flag values and argument values from `.choices()`, a flag's value skipped, variadic flags, file
// names; every command of the program is reached. The walk both scripts share is POSIX sh and runs
// under dash too (zsh runs it under `emulate -L sh`). zsh itself runs the zsh script only where
// /usr/bin/zsh exists: .ci/run installs it, so the test fails rather than skips without it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { completionTree } from '../src/completion';
import { buildProgram } from '../src/main';
import { kairr } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'kairr-completion-'));
const io = { out: { write: () => true }, err: { write: () => true }, env: {}, fetch, sleep: async () => undefined, stdin: () => '' };
const program = buildProgram(io);
let bashFile: string;
let zshText: string;

beforeAll(async () => {
  const bash = await kairr(['completion', 'bash']);
  const zsh = await kairr(['completion', 'zsh']);
  expect([bash.code, zsh.code]).toEqual([0, 0]);
  bashFile = join(dir, 'kairr.bash');
  writeFileSync(bashFile, bash.out);
  zshText = zsh.out;
  writeFileSync(join(dir, 'train.sh'), '#!/bin/bash\n');
  writeFileSync(join(dir, 'proposal.yaml'), 'title: x\n');
});

/** Each line typed (words after "kairr", the last the one completed) → what <TAB> offers, in one bash. */
function complete(...cases: string[][]): string[][] {
  const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
  const script = ['set -u', `source ${q(bashFile)}`, ...cases.map((words) => `COMP_WORDS=(kairr ${words.map(q).join(' ')}); COMP_CWORD=${words.length}; _kairr_bash; printf '%s\\n' "\${COMPREPLY[@]}" '--end--'`)].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = r.stdout.split('--end--\n');
  return cases.map((_c, i) => out[i].split('\n').filter(Boolean));
}
const one = (...words: string[]) => complete(words)[0];

describe('the bash script, sourced into bash', () => {
  it('completes nouns and verbs', () => {
    const [al, su, nouns, members] = complete(['al'], ['job', 'su'], [''], ['alloc', 'members', '']);
    expect(al).toEqual(['alloc']);
    expect(su).toEqual(['submit']);
    expect(nouns).toEqual(expect.arrayContaining(['auth', 'whoami', 'sites', 'proposal', 'alloc', 'job', 'lineage', 'audit', 'completion']));
    expect(members).toEqual(['add', 'remove']);
  });

  it("completes a flag's values from its .choices(), written as bash splits --flag=value too", () => {
    const [spaced, equals, partial, afterEquals] = complete(['lineage', 'x', '--direction', ''], ['lineage', 'x', '--direction', '='], ['lineage', 'x', '--direction', '=', 'd'], ['lineage', 'x', '--direction', 'b']);
    expect(spaced).toEqual(['up', 'down', 'both']);
    expect(equals).toEqual(['up', 'down', 'both']);
    expect(partial).toEqual(['down']);
    expect(afterEquals).toEqual(['both']);
    const states = (
      program.commands
        .find((c) => c.name() === 'alloc')!
        .commands.find((c) => c.name() === 'list')!
        .options.find((o) => o.long === '--state') as { argChoices: string[] }
    ).argChoices;
    expect(one('alloc', 'list', '--state', '')).toEqual(states);
  });

  it("completes an argument's values from its .choices()", () => {
    const [decide, shell, request] = complete(['decide', 'prop-1', ''], ['completion', ''], ['alloc', 'request', 'alloc-1', 'ex']);
    expect(decide).toEqual(['approve', 'reject', 'revise']);
    expect(shell).toEqual(['bash', 'zsh']);
    expect(request).toEqual(['extension', 'exchange']);
  });

  it("completes a command's flags with the program's (accepted anywhere); --version only on the program", () => {
    const [submit, root, wait] = complete(['job', 'submit', '--'], ['--'], ['job', 'submit', '--w']);
    expect(submit).toEqual(expect.arrayContaining(['--alloc', '--site', '--resource', '--gpus', '--time', '--wait', '--help', '--api', '--profile', '--json', '--query']));
    expect(submit).not.toContain('--version');
    expect(root).toEqual(expect.arrayContaining(['--version', '--help', '--api', '--json']));
    expect(wait).toEqual(['--wait']);
  });

  it("skips a flag's value, and a variadic flag's values, when finding the command and the next word", () => {
    const [globals, variadic, afterVariadic] = complete(['--profile', 'job', 'job', 'li'], ['job', 'submit', 's.sh', '--env', 'A=1', 'B=2', '--wa'], ['--api', 'http://x', 'al']);
    expect(globals).toEqual(['list']); // "job" after --profile is the profile's name, the next "job" the noun
    expect(variadic).toEqual(['--wait']);
    expect(afterVariadic).toEqual(['alloc']);
  });

  it('offers file names where a file goes (a script, a -f document), and nothing for an unknown word', () => {
    const [script, document, unknown] = complete(['job', 'submit', 'tr'], ['proposal', 'create', '-f', 'pro'], ['zz']);
    expect(script).toEqual(['train.sh']);
    expect(document).toEqual(['proposal.yaml']);
    expect(unknown).toEqual([]);
  });

  it('reaches every command of the program, and offers each flag of each', () => {
    const nodes = completionTree(program).filter((n) => n.path);
    const byWord = complete(...nodes.map((n) => [...n.path.split(' ').slice(0, -1), n.path.split(' ').at(-1)!]));
    nodes.forEach((n, i) => expect({ path: n.path, offered: byWord[i].includes(n.path.split(' ').at(-1)!) }).toEqual({ path: n.path, offered: true }));
    const leaves = nodes.filter((n) => n.subcommands.length === 0);
    const flags = complete(...leaves.map((n) => [...n.path.split(' '), '-']));
    leaves.forEach((n, i) => expect({ path: n.path, flags: flags[i] }).toEqual({ path: n.path, flags: expect.arrayContaining(n.options.flatMap((o) => o.flags)) }));
    expect(leaves.length).toBeGreaterThan(30);
  });
});

/** The shared part of the scripts: the command tables and the POSIX walk (everything before the shell's own wrapper). */
const sharedOf = (script: string, wrapper: RegExp) => script.slice(script.indexOf('_kairr_node() {'), script.search(wrapper));

describe('the walk both scripts share', () => {
  it('is the same text in both', () => {
    const bash = spawnSync('cat', [bashFile], { encoding: 'utf8' }).stdout;
    expect(sharedOf(zshText, /^_kairr\(\) \{/m)).toBe(sharedOf(bash, /^_kairr_bash\(\) \{/m));
    expect(sharedOf(zshText, /^_kairr\(\) \{/m)).toContain('emulate -L sh');
  });

  it('is POSIX sh: dash runs it and gives the candidates, with their descriptions', () => {
    const file = join(dir, 'shared.sh');
    writeFileSync(file, sharedOf(zshText, /^_kairr\(\) \{/m));
    const r = spawnSync('sh', ['-c', `. '${file}'; _kairr_complete job su; printf '%s' "$_kc_out"; _kairr_complete lineage x --direction ''; printf '%s' "$_kc_out"; _kairr_complete job submit tr; echo "files=$_kc_files"`], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^submit:Submit a batch script.*\nup\ndown\nboth\nfiles=1\n$/);
  });
});

describe('the zsh script', () => {
  it('is a completion function for compinit (#compdef) that registers itself when sourced', () => {
    expect(zshText.startsWith('#compdef kairr\n')).toBe(true);
    expect(zshText).toMatch(/^_kairr\(\) \{\n[\s\S]*_kairr_complete "\$\{\(@\)words\[2,CURRENT\]\}"[\s\S]*_describe -t kairr 'kairr' _kc_described[\s\S]*compadd -a _kc_plain[\s\S]*_files[\s\S]*\n\}\n/m);
    expect(zshText).toMatch(/if \[ "\$funcstack\[1\]" = "_kairr" \]; then\n {2}_kairr "\$@"\nelse\n {2}compdef _kairr kairr\nfi\n$/);
    // bash's own words stay out of it
    expect(zshText).not.toMatch(/COMP_WORDS|COMPREPLY|compgen|complete -F/);
  });

  // .ci/run installs zsh; without it this fails (spawnSync's error), it is never skipped.
  it('runs in zsh (with compsys stubbed: compadd, _describe, _files, compdef)', () => {
    const file = join(dir, '_kairr');
    writeFileSync(file, zshText);
    const stubs = `compdef() { : }
_describe() { local a=\${@[-1]}; print -rl -- "\${(@)\${(@P)a}%%:*}" }
compadd() { print -rl -- "\${(@P)2}" }
_files() { print -r -- '<files>' }
source '${file}'
words=(kairr job su); CURRENT=3; _kairr; print -- --end--
words=(kairr lineage x --direction ''); CURRENT=5; _kairr; print -- --end--
words=(kairr job submit tr); CURRENT=4; _kairr; print -- --end--`;
    const r = spawnSync('/usr/bin/zsh', ['-f', '-c', stubs], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('--end--\n').slice(0, 3)).toEqual(['submit\n', 'up\ndown\nboth\n', '<files>\n']);
  });
});

it('kairr completion --help says how to install it; another shell is a usage error', async () => {
  const help = await kairr(['completion', '--help']);
  expect(help.out).toMatch(/Examples:\n {2}kairr completion bash > ~\/\.local\/share\/bash-completion\/completions\/kairr\n {2}source <\(kairr completion zsh\)/);
  expect(help.out).toMatch(/Install:\n {2}bash .*\n.*source <\(kairr completion bash\)\n {2}zsh /);
  const fish = await kairr(['completion', 'fish']);
  expect(fish.code).toBe(2);
  expect(fish.err).toMatch(/Allowed choices are bash, zsh/);
  expect(((program.commands as Command<any, any, any>[]).find((c) => c.name() === 'completion') as Command<any, any, any>).registeredArguments[0].argChoices).toEqual(['bash', 'zsh']);
});
