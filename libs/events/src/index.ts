export {
  ensureEventStream,
  eventStreamLastSequence,
  eventStreamName,
  eventSubject,
} from './event-stream.ts';
export {
  eventKindOf,
  EventPublisher,
  type EventDetail,
  type EventDraft,
  type EventPublisherOptions,
} from './event-publisher.ts';
