/// <reference lib="dom" />
import { useEffect, useState } from 'preact/hooks';
import type { ClusterEvent, StatusPageDocument } from './types.ts';

/** No message for this long (the gateway sends one a second) means the connection is dead. */
const SILENCE_MS = 5_000;
const RETRY_MS = [1_000, 2_000, 5_000];
const KEPT_EVENTS = 50;

export interface LiveFeed {
  readonly document: StatusPageDocument | undefined;
  readonly events: readonly ClusterEvent[];
  readonly connected: boolean;
  /** When the page lost its gateway, while it is lost. */
  readonly lostAt: number | undefined;
}

/**
 * The gateway's server-sent events (`stream`, beside the page). EventSource retries a broken connection
 * by itself; a connection it gives up on, or one that stays silent, is opened again here, so that a page
 * left open across a gateway restart comes back by itself. A hidden tab lets its connection go, since a
 * browser keeps at most six to one host, and opens it again when shown: the gateway then sends the
 * whole document and the recent events anew.
 */
export function useLiveFeed(url: string): LiveFeed {
  const [feed, setFeed] = useState<LiveFeed>({
    document: undefined,
    events: [],
    connected: false,
    lostAt: undefined,
  });
  useEffect(() => {
    let source: EventSource | undefined;
    let attempt = 0;
    let lastMessage = Date.now();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const lost = () =>
      setFeed((current) =>
        current.connected || current.lostAt === undefined
          ? { ...current, connected: false, lostAt: current.lostAt ?? Date.now() }
          : current,
      );
    const heard = () => {
      lastMessage = Date.now();
      attempt = 0;
    };
    const open = () => {
      source?.close();
      lastMessage = Date.now();
      source = new EventSource(url);
      source.addEventListener('state', (message) => {
        heard();
        const document = JSON.parse(message.data) as StatusPageDocument;
        setFeed((current) => ({ ...current, document, connected: true, lostAt: undefined }));
      });
      source.addEventListener('events', (message) => {
        heard();
        setFeed((current) => ({ ...current, events: JSON.parse(message.data) as ClusterEvent[] }));
      });
      source.addEventListener('event', (message) => {
        heard();
        const event = JSON.parse(message.data) as ClusterEvent;
        setFeed((current) => ({
          ...current,
          events: [...current.events.filter((kept) => kept.id !== event.id), event].slice(
            -KEPT_EVENTS,
          ),
        }));
      });
      source.onerror = () => {
        lost();
        if (source?.readyState === EventSource.CLOSED) reopenLater();
      };
    };
    const reopenLater = () => {
      clearTimeout(retry);
      retry = setTimeout(open, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
      attempt += 1;
    };
    const onVisibility = () => {
      if (document.hidden) {
        clearTimeout(retry);
        source?.close();
        source = undefined;
      } else if (!source) open();
    };
    document.addEventListener('visibilitychange', onVisibility);
    const watchdog = setInterval(() => {
      if (source && Date.now() - lastMessage > SILENCE_MS) {
        lost();
        source?.close();
        lastMessage = Date.now();
        reopenLater();
      }
    }, 1_000);
    if (!document.hidden) open();
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      clearInterval(watchdog);
      clearTimeout(retry);
      source?.close();
    };
  }, [url]);
  return feed;
}
