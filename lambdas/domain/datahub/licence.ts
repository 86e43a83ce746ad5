// Licences are SPDX licence expressions (SPDX spec, annex D): ids from the SPDX licence list,
// LicenseRef-* for licences outside it, combined with AND, OR, WITH and parentheses. Ids match
// case-insensitively (as the spec says) and are stored in the list's canonical case. Deprecated
// ids (e.g. "GPL-2.0") are refused with the reason: the list replaced them with "-only"/"-or-later".
import parse = require('spdx-expression-parse');
import LICENCE_IDS = require('spdx-license-ids');
import DEPRECATED_IDS = require('spdx-license-ids/deprecated');
import EXCEPTION_IDS = require('spdx-exceptions');

const canonical = new Map<string, string>();
for (const id of LICENCE_IDS) canonical.set(id.toLowerCase(), id);
const deprecated = new Map<string, string>();
for (const id of DEPRECATED_IDS) deprecated.set(id.toLowerCase(), id);
const exceptions = new Map<string, string>();
for (const id of EXCEPTION_IDS) exceptions.set(id.toLowerCase(), id);

const LICENSE_REF = /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;
const MAX_LENGTH = 512;

export type LicenceResult = { ok: true; expression: string; ids: string[] } | { ok: false; problem: string };

type Node = ReturnType<typeof parse>;

function idsOf(node: Node, out: string[]): string[] {
  if ('license' in node) out.push(node.license);
  else idsOf(node.left, out), idsOf(node.right, out);
  return out;
}

/** Validates an SPDX expression; on success returns it in canonical case and the licence ids it names. */
export function parseLicence(raw: string): LicenceResult {
  const text = raw.trim();
  if (!text) return { ok: false, problem: 'must not be empty' };
  if (text.length > MAX_LENGTH) return { ok: false, problem: `must be at most ${MAX_LENGTH} characters long` };
  // Canonicalise each word: licence ids, exception ids and the operators.
  let unknown: string | undefined;
  let old: string | undefined;
  const words = text.split(/(\s+|\(|\))/);
  const fixed = words.map((w, i) => {
    if (!w || /^\s+$/.test(w) || w === '(' || w === ')') return w;
    const upper = w.toUpperCase();
    if (upper === 'AND' || upper === 'OR' || upper === 'WITH') return upper;
    const plus = w.endsWith('+') ? '+' : '';
    const base = plus ? w.slice(0, -1) : w;
    const prevWord = words
      .slice(0, i)
      .reverse()
      .find((x) => x && !/^\s+$/.test(x));
    if (prevWord?.toUpperCase() === 'WITH') {
      const e = exceptions.get(base.toLowerCase());
      if (!e) unknown ??= `"${base}" is not an SPDX licence exception id`;
      return (e ?? base) + plus;
    }
    if (LICENSE_REF.test(base)) return base + plus;
    const id = canonical.get(base.toLowerCase());
    if (id) return id + plus;
    if (deprecated.has(base.toLowerCase())) old ??= deprecated.get(base.toLowerCase());
    else unknown ??= `"${base}" is not an SPDX licence id (see https://spdx.org/licenses/; use LicenseRef-<name> for others)`;
    return base + plus;
  });
  if (unknown) return { ok: false, problem: unknown };
  if (old) return { ok: false, problem: `"${old}" is a deprecated SPDX id; use its -only or -or-later form (e.g. GPL-2.0-only)` };
  const expression = fixed.join('').replace(/\s+/g, ' ');
  try {
    const ids = idsOf(parse(expression), []);
    return { ok: true, expression, ids: [...new Set(ids)] };
  } catch (e) {
    return { ok: false, problem: `is not a valid SPDX expression (${(e as Error).message})` };
  }
}

/** The licence's page on spdx.org (Croissant and DCAT name licences by URL); none for a LicenseRef. */
export function licenceUrl(id: string): string | undefined {
  return LICENSE_REF.test(id) ? undefined : `https://spdx.org/licenses/${id}.html`;
}

export const isLicenceRef = (id: string) => LICENSE_REF.test(id);
