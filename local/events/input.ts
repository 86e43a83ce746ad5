// What a rule target receives ("Transforming target input"): the whole event by default, or
// Input (constant JSON), InputPath (a JSONPath into the event), or an InputTransformer whose
// InputTemplate refers to <variables> from InputPathsMap and the predefined aws.events.* ones.
// Template rules: a variable outside quotes is inserted as JSON (strings get quotes); inside a
// quoted string it is inserted raw, unescaped, as EventBridge documents. A result that parses as
// JSON is delivered as that value, otherwise as the text.
import type { EventEnvelope, LocalEventTarget } from './types';

export interface InputContext {
  ruleName: string;
  ruleArn: string;
  ingestionTime: string;
}

export function targetPayload(target: LocalEventTarget, event: EventEnvelope, context: InputContext): unknown {
  if (target.input !== undefined) return parseOrText(target.input);
  if (target.inputPath !== undefined) return evaluatePath(target.inputPath, event) ?? null;
  if (target.inputTransformer) return transform(target.inputTransformer, event, context);
  return event;
}

function transform(transformer: NonNullable<LocalEventTarget['inputTransformer']>, event: EventEnvelope, context: InputContext): unknown {
  const variables = new Map<string, unknown>([
    ['aws.events.rule-arn', context.ruleArn],
    ['aws.events.rule-name', context.ruleName],
    ['aws.events.event', event],
    ['aws.events.event.json', JSON.stringify(event)],
    ['aws.events.event.ingestion-time', context.ingestionTime],
  ]);
  for (const [name, path] of Object.entries(transformer.inputPathsMap ?? {})) {
    // A path that matches nothing creates no variable; it is then inserted as null / empty.
    const value = evaluatePath(path, event);
    if (value !== undefined) variables.set(name, value);
  }
  const definedNames = new Set([...Object.keys(transformer.inputPathsMap ?? {}), ...variables.keys()]);

  const template = transformer.inputTemplate;
  let output = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === '\\' && inString) {
      output += char + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') inString = !inString;
    if (char === '<') {
      const close = template.indexOf('>', i);
      const name = close > i ? template.slice(i + 1, close) : '';
      if (definedNames.has(name)) {
        const value = variables.get(name);
        output += inString ? (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)) : JSON.stringify(value ?? null);
        i = close;
        continue;
      }
    }
    output += char;
  }
  return parseOrText(output);
}

/** JSONPath as EventBridge uses it: $, $.a.b, $.a[0], $['a.b'] (hyphens allowed in dotted names). */
export function evaluatePath(path: string, document: unknown): unknown {
  if (!path.startsWith('$')) return undefined;
  const segments: Array<string | number> = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
  let consumed = 1;
  for (let match = pattern.exec(path); match; match = pattern.exec(path)) {
    if (match.index !== consumed) return undefined;
    consumed = match.index + match[0].length;
    segments.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3] ?? match[4]));
  }
  if (consumed !== path.length) return undefined;
  let current: unknown = document;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
