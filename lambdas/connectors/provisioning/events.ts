// The domain events that make the provisioning flow look at an allocation again (EventBridge rule
// on the KAIRR bus → statemachines/provisioning.asl.json). Shared by the CDK construct and tests.
import { EVENT_SOURCE } from '../../domain/events';

export const PROVISIONING_EVENT_TYPES = ['AllocationAwarded', 'AllocationSupplemented', 'AllocationExhausted', 'AllocationExpired', 'AllocationMembersChanged', 'AllocationSuspended', 'AllocationResumed'] as const;

export const PROVISIONING_EVENT_PATTERN = { source: [EVENT_SOURCE], 'detail-type': [...PROVISIONING_EVENT_TYPES] };
