// EventBridge event patterns: validation and matching, following the EventBridge user guide
// ("Creating event patterns", "Content filtering", "Arrays in event patterns", "null values")
// and the semantics of aws/event-ruler, which EventBridge uses:
//  - every field named in the pattern must match (AND); the values in a field's array are OR;
//  - if the event value is an array, the field matches when any element matches;
//  - nested pattern objects must match within one element of an event array (array consistency);
//  - matchers: exact (string, number, boolean, null), prefix, suffix, equals-ignore-case,
//    wildcard, anything-but (value, list, prefix, suffix, equals-ignore-case, wildcard), numeric,
//    exists (leaf nodes only), cidr (IPv4 and IPv6), and the $or primitive.

export type EventPattern = Record<string, unknown>;

export class InvalidEventPatternError extends Error {
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternException';
  }
}

const MATCHER_KEYS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr']);
const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

/** Parses (if a string) and validates a pattern; throws InvalidEventPatternError like PutRule. */
export function parseEventPattern(pattern: string | EventPattern): EventPattern {
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch {
      throw new InvalidEventPatternError('the pattern is not valid JSON');
    }
  }
  if (!isObject(parsed) || Object.keys(parsed).length === 0) throw new InvalidEventPatternError('the pattern must be a non-empty JSON object');
  validateObject(parsed, '');
  return parsed;
}

export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

// ---- validation -------------------------------------------------------------------------------

function validateObject(pattern: Record<string, unknown>, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (isOrPrimitive(key, value)) {
      for (const branch of value as Record<string, unknown>[]) validateObject(branch, path);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`"${here}" has an empty array`);
      for (const matcher of value) validateMatcher(matcher, here);
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0) throw new InvalidEventPatternError(`"${here}" is an empty object`);
      validateObject(value, here);
    } else {
      throw new InvalidEventPatternError(`match value for "${here}" must be an array or an object`);
    }
  }
}

function validateMatcher(matcher: unknown, here: string): void {
  if (matcher === null || ['string', 'number', 'boolean'].includes(typeof matcher)) return;
  if (!isObject(matcher)) throw new InvalidEventPatternError(`"${here}" contains a value that is neither a primitive nor a matcher`);
  const keys = Object.keys(matcher);
  if (keys.length !== 1 || !MATCHER_KEYS.has(keys[0])) throw new InvalidEventPatternError(`"${here}" contains an unrecognised matcher ${JSON.stringify(matcher)}`);
  const [operator] = keys;
  const operand = matcher[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (typeof operand === 'string') return;
      if (isObject(operand) && Object.keys(operand).join() === 'equals-ignore-case' && typeof operand['equals-ignore-case'] === 'string') return;
      throw new InvalidEventPatternError(`${operator} match pattern must be a string or {"equals-ignore-case": string} ("${here}")`);
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new InvalidEventPatternError(`equals-ignore-case match pattern must be a string ("${here}")`);
      return;
    case 'wildcard':
      validateWildcard(operand, here);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') throw new InvalidEventPatternError(`exists match pattern must be either true or false ("${here}")`);
      return;
    case 'cidr':
      if (typeof operand !== 'string' || !parseCidr(operand)) throw new InvalidEventPatternError(`cidr must be an IP range in CIDR notation ("${here}")`);
      return;
    case 'numeric':
      parseNumeric(operand, here);
      return;
    case 'anything-but':
      validateAnythingBut(operand, here);
      return;
  }
}

function validateAnythingBut(operand: unknown, here: string): void {
  if (typeof operand === 'string' || typeof operand === 'number') return;
  if (Array.isArray(operand)) {
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every((item) => typeof item === 'number');
    if (operand.length > 0 && (allStrings || allNumbers)) return;
    throw new InvalidEventPatternError(`anything-but list must contain only strings or only numbers ("${here}")`);
  }
  if (isObject(operand) && Object.keys(operand).length === 1) {
    const [inner] = Object.keys(operand);
    const value = operand[inner];
    if ((inner === 'prefix' || inner === 'suffix') && typeof value === 'string') return;
    if ((inner === 'equals-ignore-case' || inner === 'wildcard') && (typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')))) {
      if (inner === 'wildcard') for (const pattern of [value].flat()) validateWildcard(pattern, here);
      return;
    }
  }
  throw new InvalidEventPatternError(`unsupported anything-but pattern ${JSON.stringify(operand)} ("${here}")`);
}

function validateWildcard(operand: unknown, here: string): void {
  if (typeof operand !== 'string') throw new InvalidEventPatternError(`wildcard match pattern must be a string ("${here}")`);
  if (operand.includes('**')) throw new InvalidEventPatternError(`consecutive wildcard characters are not allowed ("${here}")`);
  for (let i = 0; i < operand.length; i++) {
    if (operand[i] === '\\') {
      if (operand[i + 1] !== '*' && operand[i + 1] !== '\\') throw new InvalidEventPatternError(`a backslash may only escape * or \\ ("${here}")`);
      i++;
    }
  }
}

type NumericCondition = { operator: string; value: number };

function parseNumeric(operand: unknown, here: string): NumericCondition[] {
  const invalid = () => new InvalidEventPatternError(`numeric match must be [op, number] or [op, number, op, number] ("${here}")`);
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) throw invalid();
  const conditions: NumericCondition[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const [operator, value] = [operand[i], operand[i + 1]];
    if (typeof operator !== 'string' || !NUMERIC_OPERATORS.has(operator) || typeof value !== 'number' || !Number.isFinite(value)) throw invalid();
    conditions.push({ operator, value });
  }
  if (conditions.length === 2) {
    const [low, high] = conditions;
    if (!low.operator.startsWith('>') || !high.operator.startsWith('<') || low.value >= high.value) {
      throw new InvalidEventPatternError(`a numeric range must be a lower bound (> or >=) then a higher upper bound (< or <=) ("${here}")`);
    }
  }
  return conditions;
}

// ---- matching ---------------------------------------------------------------------------------

function matchObject(pattern: Record<string, unknown>, node: unknown): boolean {
  for (const [key, value] of Object.entries(pattern)) {
    if (isOrPrimitive(key, value)) {
      if (!(value as Record<string, unknown>[]).some((branch) => matchObject(branch, node))) return false;
      continue;
    }
    const present = isObject(node) && Object.hasOwn(node, key);
    const child = present ? (node as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(value)) {
      if (!matchLeaf(value, present ? leafValues(child) : [])) return false;
    } else if (isObject(value)) {
      const elements = Array.isArray(child) ? (child.flat(Infinity) as unknown[]).filter(isObject) : [];
      const matched = elements.length > 0 ? elements.some((element) => matchObject(value, element)) : matchObject(value, isObject(child) ? child : undefined);
      if (!matched) return false;
    }
  }
  return true;
}

/** Leaf values of an event field: arrays are flattened; objects are not leaves. */
function leafValues(value: unknown): unknown[] {
  if (Array.isArray(value)) return (value.flat(Infinity) as unknown[]).filter((item) => !isObject(item));
  return isObject(value) ? [] : [value];
}

function matchLeaf(matchers: unknown[], values: unknown[]): boolean {
  return matchers.some((matcher) => {
    if (!isObject(matcher)) return values.some((value) => exactlyEqual(value, matcher));
    const [operator] = Object.keys(matcher);
    const operand = matcher[operator];
    switch (operator) {
      case 'exists':
        return operand === true ? values.length > 0 : values.length === 0;
      case 'prefix':
        return values.some((value) => typeof value === 'string' && affixMatches(value, operand, 'prefix'));
      case 'suffix':
        return values.some((value) => typeof value === 'string' && affixMatches(value, operand, 'suffix'));
      case 'equals-ignore-case':
        return values.some((value) => typeof value === 'string' && sameIgnoringCase(value, operand as string));
      case 'wildcard':
        return values.some((value) => typeof value === 'string' && wildcardRegExp(operand as string).test(value));
      case 'numeric': {
        const conditions = parseNumeric(operand, '');
        return values.some((value) => typeof value === 'number' && conditions.every((condition) => compare(value, condition)));
      }
      case 'cidr': {
        const range = parseCidr(operand as string)!;
        return values.some((value) => typeof value === 'string' && inCidr(value, range));
      }
      case 'anything-but':
        return values.some((value) => !excludedBy(operand, value));
      default:
        return false;
    }
  });
}

function excludedBy(operand: unknown, value: unknown): boolean {
  if (Array.isArray(operand)) return operand.some((excluded) => exactlyEqual(value, excluded));
  if (!isObject(operand)) return exactlyEqual(value, operand);
  const [inner] = Object.keys(operand);
  const innerValue = operand[inner];
  // Only strings can be excluded by a prefix/suffix/case/wildcard rule; other values are not
  // strings, so they are "anything but" those strings and match.
  if (typeof value !== 'string') return false;
  switch (inner) {
    case 'prefix':
      return value.startsWith(innerValue as string);
    case 'suffix':
      return value.endsWith(innerValue as string);
    case 'equals-ignore-case':
      return [innerValue].flat().some((candidate) => sameIgnoringCase(value, candidate as string));
    case 'wildcard':
      return [innerValue].flat().some((candidate) => wildcardRegExp(candidate as string).test(value));
    default:
      return false;
  }
}

function affixMatches(value: string, operand: unknown, kind: 'prefix' | 'suffix'): boolean {
  if (typeof operand === 'string') return kind === 'prefix' ? value.startsWith(operand) : value.endsWith(operand);
  const affix = (operand as Record<string, string>)['equals-ignore-case'];
  const part = kind === 'prefix' ? value.slice(0, affix.length) : value.slice(Math.max(0, value.length - affix.length));
  return part.length === affix.length && sameIgnoringCase(part, affix);
}

function exactlyEqual(value: unknown, expected: unknown): boolean {
  return typeof value === typeof expected && value === expected;
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function compare(value: number, { operator, value: bound }: NumericCondition): boolean {
  switch (operator) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    default:
      return value >= bound;
  }
}

const wildcardCache = new Map<string, RegExp>();

function wildcardRegExp(pattern: string): RegExp {
  let cached = wildcardCache.get(pattern);
  if (!cached) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const char = pattern[i];
      if (char === '\\') source += escapeRegExp(pattern[++i] ?? '\\');
      else if (char === '*') source += '.*';
      else source += escapeRegExp(char);
    }
    cached = new RegExp(`^${source}$`, 's');
    wildcardCache.set(pattern, cached);
  }
  return cached;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---- IP ranges --------------------------------------------------------------------------------

interface CidrRange {
  bytes: number[];
  prefixBits: number;
}

function parseCidr(cidr: string): CidrRange | undefined {
  const [address, bits] = cidr.split('/');
  const bytes = parseIp(address ?? '');
  const prefixBits = Number(bits);
  if (!bytes || bits === undefined || !Number.isInteger(prefixBits) || prefixBits < 0 || prefixBits > bytes.length * 8) return undefined;
  return { bytes, prefixBits };
}

function inCidr(address: string, range: CidrRange): boolean {
  const bytes = parseIp(address);
  if (!bytes || bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.prefixBits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((bytes[bit >> 3] & mask) !== (range.bytes[bit >> 3] & mask)) return false;
  }
  return true;
}

function parseIp(address: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
    const parts = address.split('.').map(Number);
    return parts.every((part) => part <= 255) ? parts : undefined;
  }
  if (!address.includes(':')) return undefined;
  const [head, tail, extra] = address.split('::');
  if (extra !== undefined) return undefined;
  const toGroups = (text: string | undefined) => (text ? text.split(':') : []);
  const headGroups = toGroups(head);
  const tailGroups = toGroups(tail);
  const missing = 8 - headGroups.length - tailGroups.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  if (groups.length !== 8 || !groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

// ---- helpers ----------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "$or" is the OR primitive only as an array of at least two objects (event-ruler's rule). */
function isOrPrimitive(key: string, value: unknown): boolean {
  return key === '$or' && Array.isArray(value) && value.length >= 2 && value.every(isObject);
}
