import { creditsToGpuMinutes, dispatchIdFromJobName, dispatchJobName, isValidSlurmAccountName, MAX_ACCOUNT_NAME_LENGTH, slurmAccountName, usageRecordFromJob, type SchedulerJobRecord } from '../../../lambdas/domain/scheduler-mapping';

describe('slurmAccountName', () => {
  test('is k-<allocation>-<resource>, lower-cased', () => {
    expect(slurmAccountName('alloc-01JD3X8E0C7K9M2N4P6Q8R0S2T', 'h200')).toBe('k-alloc-01jd3x8e0c7k9m2n4p6q8r0s2t-h200');
  });

  test('replaces characters Slurm would parse and stays valid', () => {
    const name = slurmAccountName('Alloc/2026 #7', 'gh200');
    expect(name).toBe('k-alloc-2026-7-gh200');
    expect(isValidSlurmAccountName(name)).toBe(true);
  });

  test('long ids keep a readable head and a hash, within the length limit, and stay distinct', () => {
    const a = slurmAccountName(`alloc-${'x'.repeat(80)}a`, 'b200');
    const b = slurmAccountName(`alloc-${'x'.repeat(80)}b`, 'b200');
    expect(a.length).toBeLessThanOrEqual(MAX_ACCOUNT_NAME_LENGTH);
    expect(a).toMatch(/^k-alloc-x+-[0-9a-f]{10}-b200$/);
    expect(a).not.toBe(b);
  });
});

describe('creditsToGpuMinutes', () => {
  test.each([
    [100, 1, 6000],
    [100, 0.8, 7500],
    [10, 1.8, 333], // 333.33 rounded down: never more than awarded
    [0.3, 0.1, 180], // binary fractions do not lose a minute
    [0, 1, 0],
  ])('%p credits at %p per GPU-hour = %p GPU-minutes', (credits, rate, minutes) => {
    expect(creditsToGpuMinutes(credits, rate)).toBe(minutes);
  });

  test('refuses a non-positive rate and negative credits', () => {
    expect(() => creditsToGpuMinutes(1, 0)).toThrow(RangeError);
    expect(() => creditsToGpuMinutes(-1, 1)).toThrow(RangeError);
  });
});

describe('dispatch ids on job names', () => {
  test('round-trip through the job name', () => {
    expect(dispatchIdFromJobName(dispatchJobName('disp-01jd3x'))).toBe('disp-01jd3x');
    expect(dispatchIdFromJobName('my-own-job')).toBeUndefined();
  });

  test('refuse ids that would need quoting or split a Slurm list', () => {
    expect(() => dispatchJobName('a,b')).toThrow(RangeError);
    expect(() => dispatchJobName('')).toThrow(RangeError);
  });
});

describe('usageRecordFromJob', () => {
  const job: SchedulerJobRecord = {
    siteId: 'spc',
    cluster: 'spc',
    jobId: '42',
    account: 'k-a-h200',
    user: 'alice',
    partition: 'h200',
    gpus: 4,
    start: '2026-05-01T10:00:00.000Z',
    end: '2026-05-01T10:30:00.000Z',
    elapsedSeconds: 1800,
    state: 'COMPLETED',
    asOf: '2026-05-01T10:31:00.000Z',
  };
  const resources = (p: string) => ({ h200: 'h200', b200: 'b200' })[p];

  test('GPU-seconds are GPUs × elapsed; a finished job is final', () => {
    expect(usageRecordFromJob(job, resources)).toMatchObject({ usageKey: 'spc#spc#42', resourceId: 'h200', gpuSeconds: 7200, final: true });
  });

  test('a running job is reported, not final', () => {
    const running = { ...job, end: undefined, state: 'RUNNING', elapsedSeconds: 60 };
    expect(usageRecordFromJob(running, resources)).toMatchObject({ gpuSeconds: 240, final: false });
  });

  test('a job that never started, or ran on a partition KAIRR does not know, is not usage', () => {
    expect(usageRecordFromJob({ ...job, start: undefined }, resources)).toBeUndefined();
    expect(usageRecordFromJob({ ...job, partition: 'debug' }, resources)).toBeUndefined();
  });
});
