// Korean or English messages, following the locale: the catalogue is complete in both languages,
// the locale is read as POSIX programs read it, commander's own errors are translated, and no
// source file prints or throws text of its own instead of a message of the catalogue.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ErrorSchema } from '../../lambdas/shared/http/schemas';
import { langOf, type MessageKey, render, translateCommander } from '../src/i18n';
import { en, ko } from '../src/messages';
import { fakeApi, kairr } from './harness';

/** Parameters that render as their own names, so a message's placeholders can be compared. */
const named = new Proxy({}, { get: (_t, k) => `<${String(k)}>` });
const placeholders = (s: string) => [...s.matchAll(/<([a-z]+)>/gi)].map((g) => g[1]).sort();
const HANGUL = /[\uac00-\ud7a3]/;
/** Messages with no words in them, only values: the same in both languages. */
const NEUTRAL: MessageKey[] = ['jobState', 'pipelineState'];

describe('the catalogue', () => {
  const keys = Object.keys(en) as MessageKey[];

  it('has every message in both languages, with the same parameters', () => {
    expect(Object.keys(ko).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      const e = render('en', { key, params: named } as never);
      const k = render('ko', { key, params: named } as never);
      expect({ key, params: placeholders(k) }).toEqual({ key, params: placeholders(e) });
    }
  });

  it('says each message in Korean in ko (not the English left in place)', () => {
    for (const key of keys.filter((k) => !NEUTRAL.includes(k))) {
      const k = render('ko', { key, params: named } as never);
      expect({ key, korean: HANGUL.test(k) }).toEqual({ key, korean: true });
      expect(k).not.toBe(render('en', { key, params: named } as never));
    }
  });
});

describe('the language', () => {
  it.each([
    [{ LANG: 'ko_KR.UTF-8' }, 'ko'],
    [{ LANG: 'ko' }, 'ko'],
    [{ LANG: 'ko-KR' }, 'ko'],
    [{ LANG: 'en_US.UTF-8' }, 'en'],
    [{ LANG: 'C' }, 'en'],
    [{}, 'en'],
    [{ LANG: 'ko_KR.UTF-8', LC_ALL: 'en_GB.UTF-8' }, 'en'],
    [{ LANG: 'en_US.UTF-8', LC_MESSAGES: 'ko_KR.UTF-8' }, 'ko'],
    [{ LC_ALL: 'ko_KR.UTF-8', KAIRR_LANG: 'en' }, 'en'],
    [{ LANG: 'en_US.UTF-8', KAIRR_LANG: 'ko' }, 'ko'],
    [{ LANG: 'kok_IN' }, 'en'],
  ])('%j → %s', (env, lang) => {
    expect(langOf(env)).toBe(lang);
  });
});

describe("commander's messages", () => {
  it('are translated line by line in Korean, and left alone in English', () => {
    const text = "error: unknown option '--tme'\n(Did you mean --time?)\n";
    expect(translateCommander(text, 'en')).toBe(text);
    expect(translateCommander(text, 'ko')).toBe("오류: 알 수 없는 옵션 '--tme'\n(--time을(를) 뜻하셨나요?)\n");
    expect(translateCommander("error: option '--direction <d>' argument 'x' is invalid. Allowed choices are up, down, both.", 'ko')).toBe("오류: 옵션 '--direction <d>'의 값 'x'이(가) 올바르지 않습니다. 허용되는 값: up, down, both.");
    expect(translateCommander('Usage: kairr job [options]', 'ko')).toBe('Usage: kairr job [options]');
  });
});

describe('the CLI follows the locale', () => {
  const ko = { LANG: 'ko_KR.UTF-8' };

  it('says "not logged in" in Korean under a Korean locale, in English otherwise', async () => {
    const k = await kairr(['alloc', 'list', '--api', 'http://api.test'], { env: ko });
    expect(k.code).toBe(1);
    expect(k.err).toBe('오류: 로그인하지 않았습니다 (프로필 "default"): kairr auth login을 실행하거나 KAIRR_TOKEN을 설정하세요\n');
    const e = await kairr(['alloc', 'list', '--api', 'http://api.test'], { env: { LANG: 'en_US.UTF-8' } });
    expect(e.err).toBe('error: not logged in (profile "default"): run kairr auth login, or set KAIRR_TOKEN\n');
  });

  it("names a mistyped flag in Korean, with commander's suggestion, and exits 2", async () => {
    const r = await kairr(['job', 'submit', 's.sh', '--alloc', 'a', '--site', 'kisti6', '--resource', 'gh200', '--gpus', '1', '--tme', '2h'], { env: ko });
    expect(r.code).toBe(2);
    expect(r.err).toContain("오류: 알 수 없는 옵션 '--tme'");
    expect(r.err).toContain('(--time을(를) 뜻하셨나요?)');
  });

  it("puts a flag parser's reason, in Korean, inside commander's sentence", async () => {
    const r = await kairr(['job', 'submit', 's.sh', '--alloc', 'a', '--site', 'kisti6', '--resource', 'gh200', '--gpus', '1', '--time', 'soon'], { env: ko });
    expect(r.code).toBe(2);
    expect(r.err).toContain("오류: 옵션 '--time <limit>'의 값 'soon'이(가) 올바르지 않습니다. \"soon\"은(는) 시간 제한이 아닙니다");
  });

  it("keeps the API's own words, framed in Korean", async () => {
    const body = { error: { code: 'validation_failed', message: 'The request is invalid', details: [{ path: 'limit', problem: 'must be at most 100' }] } };
    expect(ErrorSchema.safeParse(body).success).toBe(true);
    const api = fakeApi({ 'GET /v1/allocations': [400, body] });
    const r = await kairr(['alloc', 'list'], { env: { ...ko, KAIRR_API: 'http://api.test', KAIRR_TOKEN: 't' }, fetch: api.fetch as never });
    expect(r.code).toBe(1);
    expect(r.err).toBe('오류: The request is invalid (validation_failed, HTTP 400)\n  limit: must be at most 100\n');
  });

  it('KAIRR_LANG=en keeps English under a Korean locale', async () => {
    const r = await kairr(['alloc', 'list', '--api', 'http://api.test'], { env: { ...ko, KAIRR_LANG: 'en' } });
    expect(r.err).toMatch(/^error: not logged in/);
  });
});

describe('the sources', () => {
  const root = join(__dirname, '..', 'src');
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
  // Text the CLI says in its own words must be a message: thrown errors, parser refusals, what goes
  // to stderr and progress. Tables' column headers stay English: they name the API's fields.
  // A literal of only control characters and interpolated values (`\r${frame}`, '\n') says nothing.
  const RULES: [RegExp, string][] = [
    [/new (UsageError|CliError|QueryError|InvalidArgumentError)\(\s*([`'"])/, 'an error thrown with literal text'],
    [/\berr\.write\(\s*([`'"])/, 'literal text written to stderr'],
    [/\bprogress\([^,()]+,\s*([`'"])/, 'literal progress text'],
  ];
  const hasWords = (line: string, re: RegExp) => {
    const g = re.exec(line)!;
    let rest = line.slice(g.index + g[0].length);
    for (let before = ''; before !== rest; ) [before, rest] = [rest, rest.replace(/\$?\{[^{}]*\}/g, '')];
    const text = rest.slice(0, rest.indexOf(g[g.length - 1]) < 0 ? undefined : rest.indexOf(g[g.length - 1]));
    return /[A-Za-z]{2,}/.test(text.replace(/\\[nrt]/g, ''));
  };

  it('throw and print messages of the catalogue, never literal text', () => {
    const found: string[] = [];
    for (const file of files(root)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const [re, what] of RULES) if (re.test(line) && hasWords(line, re)) found.push(`${relative(root, file)}:${i + 1}: ${what}: ${line.trim().slice(0, 100)}`);
        });
    }
    expect(found).toEqual([]);
  });
});
