// KAIRR's EventBridge bus: domain events (AllocationAwarded, AllocationExhausted, ...) flow from the
// write path's outbox to the flows and connectors that subscribe to them.
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { KairrFunction } from './kairr-function';

export class KairrEventBus extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'KAIRR domain events' });
  }

  /** Lets the function publish (events:PutEvents on this bus only) and sets EVENT_BUS_NAME. */
  bindPublisher(fn: KairrFunction): void {
    fn.withEnv('EVENT_BUS_NAME', this.bus.eventBusName).allow(['events:PutEvents'], [this.bus.eventBusArn]);
  }
}
