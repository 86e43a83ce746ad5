// Schedule expressions, checked against the examples of the EventBridge user guide.
import { InvalidScheduleExpressionError, nextFireTime, parseScheduleExpression } from '../../events';

const anchor = new Date('2024-01-01T00:00:00Z');

function next(expression: string, after: string): string | undefined {
  return nextFireTime(parseScheduleExpression(expression), new Date(after), anchor)?.toISOString();
}

describe('rate expressions', () => {
  test.each([
    ['rate(1 minute)', '2024-01-01T00:00:00Z', '2024-01-01T00:01:00.000Z'],
    ['rate(5 minutes)', '2024-01-01T00:07:30Z', '2024-01-01T00:10:00.000Z'],
    ['rate(1 hour)', '2024-01-01T00:00:00Z', '2024-01-01T01:00:00.000Z'],
    ['rate(1 day)', '2024-01-01T12:00:00Z', '2024-01-02T00:00:00.000Z'],
    ['rate(3 days)', '2024-01-03T23:59:59Z', '2024-01-04T00:00:00.000Z'],
  ])('%s after %s fires at %s (one period after the rule was created, then every period)', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  test.each(['rate(1 minutes)', 'rate(5 minute)', 'rate(0 minutes)', 'rate(5 weeks)', 'rate(1.5 hours)', 'every 5 minutes'])('rejects %s', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(InvalidScheduleExpressionError);
  });
});

describe('cron expressions (UTC)', () => {
  test.each([
    // The examples table of the user guide.
    ['cron(0 10 * * ? *)', '2024-01-01T09:59:00Z', '2024-01-01T10:00:00.000Z'],
    ['cron(0 10 * * ? *)', '2024-01-01T10:00:00Z', '2024-01-02T10:00:00.000Z'],
    ['cron(15 12 * * ? *)', '2024-01-01T12:15:30Z', '2024-01-02T12:15:00.000Z'],
    ['cron(0 18 ? * MON-FRI *)', '2024-01-05T18:00:00Z', '2024-01-08T18:00:00.000Z'], // Friday -> Monday
    ['cron(0 8 1 * ? *)', '2024-01-01T08:00:00Z', '2024-02-01T08:00:00.000Z'],
    ['cron(0/15 * * * ? *)', '2024-01-01T10:07:00Z', '2024-01-01T10:15:00.000Z'],
    ['cron(0/10 * ? * MON-FRI *)', '2024-01-06T00:00:00Z', '2024-01-08T00:00:00.000Z'], // Saturday -> Monday
    ['cron(0/5 8-17 ? * MON-FRI *)', '2024-01-05T17:55:00Z', '2024-01-08T08:00:00.000Z'],
    ['cron(0/30 20-2 ? * MON-FRI *)', '2024-01-01T02:30:00Z', '2024-01-01T20:00:00.000Z'], // wrapping hours 20..2
    ['cron(0/30 20-2 ? * MON-FRI *)', '2024-01-01T23:30:00Z', '2024-01-02T00:00:00.000Z'],
    // The put-rule examples.
    ['cron(0 12 * * ? *)', '2024-03-10T12:00:01Z', '2024-03-11T12:00:00.000Z'],
    ['cron(5,35 14 * * ? *)', '2024-03-10T14:05:00Z', '2024-03-10T14:35:00.000Z'],
    ['cron(15 10 ? * 6L 2019-2022)', '2019-01-01T00:00:00Z', '2019-01-25T10:15:00.000Z'], // last Friday of January 2019
    // The wildcards described in the guide.
    ['cron(0 9 ? * 3#2 *)', '2024-01-01T00:00:00Z', '2024-01-09T09:00:00.000Z'], // second Tuesday
    ['cron(0 9 15W * ? *)', '2024-06-01T00:00:00Z', '2024-06-14T09:00:00.000Z'], // 15 June 2024 is a Saturday
    ['cron(0 9 1W * ? *)', '2024-06-01T00:00:00Z', '2024-06-03T09:00:00.000Z'], // 1 June 2024 is a Saturday
    ['cron(0 0 L * ? *)', '2024-02-01T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['cron(0 0 LW * ? *)', '2024-03-01T00:00:00Z', '2024-03-29T00:00:00.000Z'], // 31 March 2024 is a Sunday
    ['cron(0 0 1 JAN,JUL ? *)', '2024-01-02T00:00:00Z', '2024-07-01T00:00:00.000Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  test('a schedule whose years are over never fires again', () => {
    expect(next('cron(15 10 ? * 6L 2019-2022)', '2023-01-01T00:00:00Z')).toBeUndefined();
  });

  test.each([
    ['five fields', 'cron(0 10 * * ?)'],
    ['both day fields given', 'cron(0 10 * * MON *)'],
    ['neither day field is ?', 'cron(0 10 1 * 2 *)'],
    ['both day fields ?', 'cron(0 10 ? * ? *)'],
    ['minutes out of range', 'cron(60 10 * * ? *)'],
    ['an unknown month name', 'cron(0 10 * FOO ? *)'],
    ['two # expressions', 'cron(0 10 ? * 3#1,6#3 *)'],
  ])('rejects %s', (_description, expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(InvalidScheduleExpressionError);
  });
});
