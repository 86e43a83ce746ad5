// Event pattern matching against the examples in the EventBridge user guide (content filtering,
// arrays, null values) and the aws/event-ruler README, which EventBridge follows.
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern } from '../../events';

// The sample event of the event-ruler README ("Ruler by Example").
const EC2_EVENT = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', 'instance-id': 'i-000000aaaaaa00000', state: 'running' },
};

function withDetail(detail: Record<string, unknown>) {
  return { ...EC2_EVENT, detail: { ...EC2_EVENT.detail, ...detail } };
}

function matches(pattern: object, event: unknown): boolean {
  return matchesEventPattern(parseEventPattern(pattern as Record<string, unknown>), event);
}

type Case = [description: string, pattern: object, event: unknown, expected: boolean];

const cases: Case[] = [
  // Exact values, AND across fields, OR within a field's array.
  [
    'simple matching (ruler example)',
    {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      detail: { state: ['initializing', 'running'] },
    },
    EC2_EVENT,
    true,
  ],
  ['a value outside the OR list', { detail: { state: ['initializing', 'stopped'] } }, EC2_EVENT, false],
  ['every field must match', { source: ['aws.ec2'], detail: { state: ['stopped'] } }, EC2_EVENT, false],
  ['a field missing from the event', { detail: { owner: ['me'] } }, EC2_EVENT, false],
  ['a nested pattern against a scalar event value', { source: { inner: ['x'] } }, EC2_EVENT, false],
  ['numbers match numbers', { detail: { 'c-count': [5] } }, EC2_EVENT, true],
  ['a string does not match a number', { detail: { 'c-count': ['5'] } }, EC2_EVENT, false],
  ['booleans', { detail: { ok: [true] } }, withDetail({ ok: true }), true],
  // Prefix / suffix / equals-ignore-case / wildcard.
  ['prefix (docs: time)', { time: [{ prefix: '2017-10-02' }] }, EC2_EVENT, true],
  ['prefix that does not match', { time: [{ prefix: '2017-10-03' }] }, EC2_EVENT, false],
  ['prefix only applies to strings', { detail: { 'c-count': [{ prefix: '5' }] } }, EC2_EVENT, false],
  ['prefix ignoring case (docs: EventB)', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, withDetail({ service: 'eventbridge' }), true],
  ['prefix ignoring case, other letters', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, withDetail({ service: 'EVENTS' }), false],
  ['suffix (docs: .png)', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'cat.png' }), true],
  ['suffix is case sensitive', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'cat.PNG' }), false],
  ['suffix ignoring case', { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, withDetail({ FileName: 'cat.PNG' }), true],
  ['equals-ignore-case (ruler: EC2)', { source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, EC2_EVENT, true],
  ['wildcard (ruler: Simple*Service)', { detail: { name: [{ wildcard: 'Simple*Service' }] } }, withDetail({ name: 'SimpleQueueService' }), true],
  ['wildcard must cover the whole value', { detail: { name: [{ wildcard: 'Simple*Service' }] } }, withDetail({ name: 'SimpleQueueServices' }), false],
  ['an escaped wildcard matches a literal *', { detail: { name: [{ wildcard: 'a\\*b' }] } }, withDetail({ name: 'a*b' }), true],
  ['an escaped wildcard is not a wildcard', { detail: { name: [{ wildcard: 'a\\*b' }] } }, withDetail({ name: 'axxb' }), false],
  // anything-but (docs examples).
  ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, EC2_EVENT, true],
  ['anything-but the same string', { detail: { state: [{ 'anything-but': 'running' }] } }, EC2_EVENT, false],
  ['anything-but needs the field to exist', { detail: { missing: [{ 'anything-but': 'x' }] } }, EC2_EVENT, false],
  ['anything-but a number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, EC2_EVENT, true],
  ['anything-but the same number', { detail: { 'd-count': [{ 'anything-but': 3 }] } }, EC2_EVENT, false],
  ['anything-but a list of strings', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, EC2_EVENT, true],
  ['anything-but a list containing the value', { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, EC2_EVENT, false],
  ['anything-but a list of numbers', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, EC2_EVENT, true],
  ['anything-but a list of numbers containing the value', { detail: { 'x-limit': [{ 'anything-but': [100, 301.8] }] } }, EC2_EVENT, false],
  ['anything-but a prefix (docs: init)', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, EC2_EVENT, true],
  ['anything-but a prefix the value has', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, withDetail({ state: 'initializing' }), false],
  ['anything-but a suffix (docs: .png)', { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, withDetail({ FileName: 'a.png' }), false],
  ['anything-but ignoring case', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } }, EC2_EVENT, false],
  ['anything-but a wildcard (docs: */lib/*)', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, withDetail({ FilePath: '/usr/lib/a.so' }), false],
  ['anything-but a wildcard, other path', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, withDetail({ FilePath: '/usr/bin/a' }), true],
  // numeric (docs example: all three must hold).
  ['numeric ranges and equality (docs)', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, EC2_EVENT, true],
  ['numeric: the upper bound is inclusive with <=', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, withDetail({ 'c-count': 5 }), true],
  ['numeric: > 0 excludes 0', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, withDetail({ 'c-count': 0 }), false],
  ['numeric: above the range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, withDetail({ 'c-count': 6 }), false],
  ['numeric only matches JSON numbers', { detail: { 'c-count': [{ numeric: ['>', 0] }] } }, withDetail({ 'c-count': '5' }), false],
  // IP addresses.
  ['cidr (docs: 10.0.0.0/24)', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, EC2_EVENT, true],
  ['cidr outside the range', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, withDetail({ 'source-ip': '10.0.1.1' }), false],
  ['cidr IPv6', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, withDetail({ ip: '2001:db8:1::7' }), true],
  ['cidr IPv6 outside', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, withDetail({ ip: '2001:db9::1' }), false],
  // exists (docs: exists works on leaf nodes only).
  ['exists: true on a present field', { detail: { 'c-count': [{ exists: true }] } }, EC2_EVENT, true],
  ['exists: false on a present field', { detail: { 'c-count': [{ exists: false }] } }, EC2_EVENT, false],
  ['exists: false on an absent field (docs)', { detail: { 'c-count': [{ exists: false }] } }, { 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['initializing', 'running'] } }, true],
  ['exists: false when the field is not a leaf (docs)', { detail: { 'c-count': [{ exists: false }] } }, { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } }, true],
  ['exists: true is false for a non-leaf', { detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } }, false],
  ['exists: false when the whole parent is absent', { detail: { 'c-count': [{ exists: false }] } }, { source: 'x' }, true],
  // null and empty strings (docs).
  ['an empty string matches ""', { detail: { eventVersion: [''] } }, { detail: { eventVersion: '', responseElements: null } }, true],
  ['null matches null', { detail: { responseElements: [null] } }, { detail: { eventVersion: '', responseElements: null } }, true],
  ['"" does not match null', { detail: { responseElements: [''] } }, { detail: { eventVersion: '', responseElements: null } }, false],
  ['null does not match ""', { detail: { eventVersion: [null] } }, { detail: { eventVersion: '', responseElements: null } }, false],
  // Arrays (docs: intersection of pattern array and event array).
  [
    'an event array intersecting the pattern array (docs)',
    {
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f', 'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f'],
    },
    {
      resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate', 'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'],
    },
    true,
  ],
  ['an event array with no common value', { resources: ['a', 'b'] }, { resources: ['c', 'd'] }, false],
  ['anything-but over an array matches when any element differs', { resources: [{ 'anything-but': 'a' }] }, { resources: ['a', 'b'] }, true],
];

const EMPLOYEES = {
  employees: [
    { firstName: 'John', lastName: 'Doe' },
    { firstName: 'Anna', lastName: 'Smith' },
    { firstName: 'Peter', lastName: 'Jones' },
  ],
};

cases.push(
  // Array consistency (ruler README, rulesForJSONEvent).
  ['a nested field inside an array of objects', { employees: { firstName: ['Anna'] } }, EMPLOYEES, true],
  ['two fields from one array element', { employees: { firstName: ['Anna'], lastName: ['Smith'] } }, EMPLOYEES, true],
  ['two fields from different array elements do not match', { employees: { firstName: ['Anna'], lastName: ['Jones'] } }, EMPLOYEES, false],
  ['nested arrays are flattened', { employees: { firstName: ['Peter'] } }, { employees: [[EMPLOYEES.employees[0]], [EMPLOYEES.employees[2]]] }, true],
  // $or (ruler README).
  ['$or: source AND (metricName OR namespace)', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/ES' }, true],
  ['$or: no branch matches', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/S3' }, false],
  ['$or nested inside detail, with an AND inside a branch', { detail: { $or: [{ a: [1] }, { b: [2], c: [3] }] } }, { detail: { b: 2, c: 3 } }, true],
  ['$or branch with a partial AND', { detail: { $or: [{ a: [1] }, { b: [2], c: [3] }] } }, { detail: { b: 2, c: 4 } }, false],
  [
    'the complex example (docs + ruler)',
    {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    },
    EC2_EVENT,
    true,
  ],
);

describe('event pattern matching', () => {
  test.each(cases)('%s', (_description, pattern, event, expected) => {
    expect(matches(pattern, event)).toBe(expected);
  });
});

describe('event pattern validation', () => {
  test.each([
    ['a value that is not an array', { source: 'aws.ec2' }],
    ['an empty pattern', {}],
    ['an empty array', { source: [] }],
    ['an unknown matcher', { source: [{ contains: 'x' }] }],
    ['a matcher with two keys', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['a non-string prefix', { source: [{ prefix: 1 }] }],
    ['a numeric matcher with a bad operator', { n: [{ numeric: ['!=', 1] }] }],
    ['a numeric range upside down', { n: [{ numeric: ['>', 5, '<', 1] }] }],
    ['exists with a non-boolean', { n: [{ exists: 'yes' }] }],
    ['anything-but mixing strings and numbers', { n: [{ 'anything-but': ['a', 1] }] }],
    ['consecutive wildcards', { n: [{ wildcard: 'a**b' }] }],
    ['a bad cidr', { n: [{ cidr: '10.0.0.0/33' }] }],
  ])('rejects %s', (_description, pattern) => {
    expect(() => parseEventPattern(pattern as Record<string, unknown>)).toThrow(InvalidEventPatternError);
  });

  test('accepts a JSON string, as CloudFormation stores it', () => {
    expect(parseEventPattern('{"source":["kairr.awards"]}')).toEqual({ source: ['kairr.awards'] });
  });
});
