// Domain events KAIRR publishes on its EventBridge bus (source "kairr"). Connectors and flows
// subscribe to them by detail-type. Every event carries its own id, so consumers can de-duplicate.

export const EVENT_SOURCE = 'kairr';

export type AllocationEventType = 'AllocationAwarded' | 'AllocationSupplemented' | 'AllocationExhausted' | 'AllocationExpired' | 'AllocationMembersChanged' | 'AllocationSuspended' | 'AllocationResumed';

export type NotificationEventType = 'ProposalSubmitted' | 'ReviewerAssigned' | 'ReviewReminder' | 'ProposalDecided';

export interface DomainEvent {
  eventId: string;
  type: AllocationEventType | NotificationEventType | string;
  time: string;
  detail: Record<string, unknown>;
}
