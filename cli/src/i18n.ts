// Korean or English, following the locale (issue 19). What the CLI says in its own words (its
// errors, prompts, progress and notices) is a message: a key of the catalogue in messages.ts with
// its parameters, rendered in the user's language when it is printed. Errors carry the message,
// not text, so the one place that prints them (main.ts run) renders them; their .message stays
// English for logs and tests. What the API says (its error text, field problems) is printed as it
// came, and help text stays English (see docs/cli.md "Languages").
import { en, ko, type Catalogue } from './messages';

export type Lang = 'en' | 'ko';
export type MessageKey = keyof Catalogue;
type ParamsOf<K extends MessageKey> = Parameters<Catalogue[K]>[0];

/** A message to render later, in whichever language the output needs. */
export interface Message<K extends MessageKey = MessageKey> {
  readonly key: K;
  readonly params: ParamsOf<K>;
}

/** msg('notLoggedIn', { profile }): a message, typed by its key (a missing parameter fails tsc). */
export function msg<K extends MessageKey>(key: K, ...params: ParamsOf<K> extends undefined ? [] : [ParamsOf<K>]): Message<K> {
  return { key, params: params[0] as ParamsOf<K> };
}

const CATALOGUES: Record<Lang, Catalogue> = { en, ko };

export function render(lang: Lang, msg: Message): string {
  return (CATALOGUES[lang][msg.key] as (p: unknown) => string)(msg.params);
}

/**
 * The language of the messages, as POSIX programs choose theirs: KAIRR_LANG first (ko or en, for a
 * user who wants one without changing the locale), then LC_ALL, LC_MESSAGES and LANG, the first
 * that is set. A Korean locale (ko, ko_KR.UTF-8, ko-KR) gives Korean; anything else, C and POSIX
 * included, English.
 */
export function langOf(env: NodeJS.ProcessEnv): Lang {
  for (const name of ['KAIRR_LANG', 'LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const v = env[name];
    if (v) return /^ko([_\-.@]|$)/i.test(v) ? 'ko' : 'en';
  }
  return 'en';
}

// ---- commander's messages and the flag parsers' reasons ----

const REASONS = new Map<string, Message>();

/** A flag parser's refusal, in the catalogue's words: commander prints it inside its own sentence. */
export function reason(msg: Message): string {
  const text = render('en', msg);
  REASONS.set(text, msg);
  return text;
}

type Rule = [RegExp, (g: string[], lang: Lang) => string];
const tr = (lang: Lang, s: string) => {
  const known = REASONS.get(s);
  if (known) return render(lang, known);
  const choices = /^Allowed choices are (.*)\.$/.exec(s);
  return choices ? render(lang, msg('cmdChoices', { choices: choices[1] })) : s;
};
const RULES: Rule[] = [
  [/^error: unknown option '(.+)'$/, (g, l) => render(l, msg('cmdUnknownOption', { option: g[1] }))],
  [/^error: unknown command '(.+)'$/, (g, l) => render(l, msg('cmdUnknownCommand', { command: g[1] }))],
  [/^error: missing required argument '(.+)'$/, (g, l) => render(l, msg('cmdMissingArgument', { argument: g[1] }))],
  [/^error: option '(.+)' argument missing$/, (g, l) => render(l, msg('cmdOptionArgMissing', { option: g[1] }))],
  [/^error: required option '(.+)' not specified$/, (g, l) => render(l, msg('cmdMissingOption', { option: g[1] }))],
  [/^error: option '(.+?)' argument '(.*)' is invalid\. (.*)$/, (g, l) => render(l, msg('cmdInvalidArgument', { option: g[1], value: g[2], reason: tr(l, g[3]) }))],
  [/^error: command-argument value '(.*)' is invalid for argument '(.+?)'\. (.*)$/, (g, l) => render(l, msg('cmdInvalidCommandArgument', { value: g[1], argument: g[2], reason: tr(l, g[3]) }))],
  [/^error: too many arguments(?: for '(.+)')?\. .*$/, (g, l) => render(l, msg('cmdTooManyArguments', { command: g[1] ?? 'kairr' }))],
  [/^\(Did you mean (?:one of )?(.+)\?\)$/, (g, l) => render(l, msg('cmdDidYouMean', { suggestion: g[1] }))],
];

/** Commander's error output in the user's language, line by line (help text passes unchanged). */
export function translateCommander(text: string, lang: Lang): string {
  if (lang === 'en') return text;
  return text
    .split('\n')
    .map((line) => {
      for (const [re, f] of RULES) {
        const g = re.exec(line);
        if (g) return f(g, lang);
      }
      return line;
    })
    .join('\n');
}
