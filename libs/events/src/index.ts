export { ensureEventStream, eventStreamName, eventSubject } from './event-stream.ts';
export { EventPublisher, type EventDraft, type EventPublisherOptions } from './event-publisher.ts';
