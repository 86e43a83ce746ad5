// Stable error names for Step Functions' Retry/Catch; the flow's failure text; network helpers.
import { asStepError, STEP_ERROR } from '../../../lambdas/connectors/step-errors';
import { causeText } from '../../../lambdas/connectors/provisioning/steps';
import { AuthSchedulerError, NotFoundSchedulerError, PermanentSchedulerError, TransientSchedulerError } from '../../../lambdas/connectors/driver';
import { StaleWriteError } from '../../../lambdas/shared/store/write-path';
import { NotFoundError } from '../../../lambdas/domain/errors';
import { cidrsOverlap, schedulerPorts } from '../../../lib/connectors/network';
import { useStageConfig } from '../../support/config';

describe('asStepError', () => {
  test.each([
    [new TransientSchedulerError('down'), STEP_ERROR.transient],
    [new StaleWriteError('allocation/x'), STEP_ERROR.transient],
    [Object.assign(new Error('throttled'), { name: 'ThrottlingException' }), STEP_ERROR.transient],
    [Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } }), STEP_ERROR.transient],
    [new PermanentSchedulerError('refused'), STEP_ERROR.permanent],
    [new AuthSchedulerError('401'), STEP_ERROR.permanent],
    [new NotFoundSchedulerError('no job'), STEP_ERROR.permanent],
    [new NotFoundError('Allocation', 'x'), STEP_ERROR.notFound],
    [new Error('bug'), STEP_ERROR.permanent],
  ])('%s → %s, keeping the message', (e, name) => {
    const s = asStepError(e);
    expect(s.name).toBe(name);
    expect(s.message).toBe((e as Error).message);
  });
});

test('causeText takes the Lambda error message out of the Cause JSON, or the raw cause', () => {
  expect(causeText({ Error: 'Connector.Permanent', Cause: JSON.stringify({ errorType: 'Connector.Permanent', errorMessage: 'invalid account', trace: [] }) })).toBe('Connector.Permanent: invalid account');
  expect(causeText({ Error: 'States.Timeout', Cause: 'task timed out' })).toBe('States.Timeout: task timed out');
  expect(causeText({}).length).toBeLessThanOrEqual(480);
});

describe('network helpers', () => {
  test('cidrsOverlap', () => {
    expect(cidrsOverlap('10.20.0.0/16', '10.20.8.0/22')).toBe(true);
    expect(cidrsOverlap('10.250.0.0/22', '10.20.0.0/16')).toBe(false);
    expect(cidrsOverlap('10.250.3.0/24', '10.250.0.0/22')).toBe(true);
    expect(cidrsOverlap('10.250.4.0/24', '10.250.0.0/22')).toBe(false);
  });

  test('schedulerPorts: the URL port, else 443 for https and 80 for http', () => {
    const sites = useStageConfig('example').sites;
    expect(schedulerPorts(sites)).toEqual([6820]);
    const site = (endpoint: string) => ({ ...sites[0], scheduler: { ...sites[0].scheduler, endpoint } });
    expect(schedulerPorts([site('https://a.example'), site('http://b.example'), site('http://c.example:6830')])).toEqual([80, 443, 6830]);
  });
});
