/// <reference lib="dom" />
export type {
  StatusPageDocument,
  StatusPageMember,
} from '../../../libs/domain/src/status-page/status-page-document.ts';

/** One cluster event in its canonical JSON (docs/events.md): the envelope and a detail named like its kind. */
export interface ClusterEvent {
  readonly id: string;
  readonly kind: string;
  readonly member?: string;
  readonly term?: number;
  readonly timeline?: number;
  readonly occurred_at?: string;
  readonly [detail: string]: unknown;
}

/** What the page asks the user to confirm, and the REST call that carries it out. */
export interface PendingAction {
  readonly title: string;
  readonly question: string;
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly body?: unknown;
  /** For a switchover: the members the user may choose from, and the leader it starts from. */
  readonly candidates?: readonly string[];
  readonly leader?: string;
}
