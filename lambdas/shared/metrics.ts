// Custom CloudWatch metrics in the embedded metric format (EMF): one JSON line on stdout, which
// Lambda's log delivery turns into a metric (namespace KAIRR) without an API call or an IAM grant.
// Locally the line just lands in the function log. Alarms on these metrics are set in lib/.
export const METRIC_NAMESPACE = 'KAIRR';

export function emitMetric(name: string, value: number, dimensions: Record<string, string>, unit: 'Count' | 'Milliseconds' = 'Count'): void {
  const line = {
    _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: unit }] }] },
    ...dimensions,
    [name]: value,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
