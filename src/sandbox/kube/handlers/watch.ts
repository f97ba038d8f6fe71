/**
 * Watch: a chunked stream of `{"type": …, "object": …}` lines. Starts from a resourceVersion (replaying the
 * store's history), or with synthetic ADDED events for the current state when none (or "0") is given or a
 * watch-list asks for them (`sendInitialEvents`); sends BOOKMARKs when asked; a resourceVersion older than the
 * history ends in an ERROR event with 410 Expired.
 */
import { gone, invalid, type FieldError } from '../api-errors.js';
import type { KubeObject } from '../objects.js';
import { apiVersionOf, storageKey, type ResourceType } from '../registry.js';
import { asServed } from '../resources.js';
import type { StoreChange, WatchEventType } from '../storage.js';
import type { ResourceRequestContext } from './context.js';
import { selectorFilter } from './list-options.js';

/** The apiserver's watch cache sends a bookmark about every minute, and one 2 s before a watch's timeout. */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;
const PRE_TIMEOUT_BOOKMARK_MS = 2_000;

/**
 * Event lines already encoded for a stored object (shared by all watchers of a change), by event type and
 * served version: a fan-out to many watchers serialises each change once.
 */
const encodedEvents = new WeakMap<object, Map<string, string>>();

function encodeEvent(eventType: string, stored: KubeObject, type: ResourceType): string {
  let lines = encodedEvents.get(stored);
  if (!lines) encodedEvents.set(stored, (lines = new Map()));
  const cacheKey = `${eventType} ${apiVersionOf(type)}`;
  let line = lines.get(cacheKey);
  if (line === undefined) {
    line = JSON.stringify({ type: eventType, object: asServed(stored, type) }) + '\n';
    lines.set(cacheKey, line);
  }
  return line;
}

/**
 * The apiserver's checks of a watch's options (validateWatchOptions): a watch-list (`sendInitialEvents`) must ask
 * for NotOlderThan, and `resourceVersionMatch` means nothing to a watch that is not one.
 */
function validateWatchOptions(query: URLSearchParams): void {
  const match = query.get('resourceVersionMatch') ?? '';
  const sendsInitialEvents = query.has('sendInitialEvents');
  const errors: FieldError[] = [];
  const forbid = (field: string, why: string): number =>
    errors.push({ type: 'FieldValueForbidden', field, body: `Forbidden: ${why}` });
  if (sendsInitialEvents && match !== 'NotOlderThan')
    forbid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  if (match) {
    if (!sendsInitialEvents)
      forbid(
        'resourceVersionMatch',
        'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      );
    if (match !== 'NotOlderThan')
      errors.push({
        type: 'FieldValueNotSupported',
        field: 'resourceVersionMatch',
        body: `Unsupported value: ${JSON.stringify(match)}: supported values: "NotOlderThan"`,
      });
    if (query.get('continue'))
      forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
  }
  if (errors.length) throw invalid('ListOptions', 'meta.k8s.io', '', errors);
}

export function watchResources(context: ResourceRequestContext, bookmarkIntervalMs: number): void {
  const { route, query, store, response, request, operations } = context;
  validateWatchOptions(query);
  const type = route.type;
  const key = storageKey(type);
  const selected = selectorFilter(query, type);
  const inScope = (object: KubeObject): boolean =>
    (route.namespace === undefined || object.metadata.namespace === route.namespace) &&
    (route.name === undefined || object.metadata.name === route.name);
  const matches = (object: KubeObject | undefined): boolean =>
    object !== undefined && inScope(object) && selected(object);

  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  response.flushHeaders();
  const send = (eventType: WatchEventType | 'BOOKMARK' | 'ERROR', object: unknown): void => {
    response.write(JSON.stringify({ type: eventType, object }) + '\n');
  };
  const bookmark = (annotations?: Record<string, string>): void =>
    send('BOOKMARK', {
      kind: type.kind,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion: String(store.currentRevision()), ...(annotations ? { annotations } : {}) },
    });

  /** Relabels a change as the watcher sees it: moving in or out of the selection is an ADDED or DELETED. */
  const deliver = (change: Readonly<StoreChange>): void => {
    if (change.key !== key) return;
    const now = matches(change.object);
    const before = matches(change.previous);
    const sendChange = (eventType: WatchEventType): void => {
      response.write(encodeEvent(eventType, change.object, type));
    };
    if (change.type === 'MODIFIED') {
      if (now && before) sendChange('MODIFIED');
      else if (now) sendChange('ADDED');
      else if (before) sendChange('DELETED');
    } else if (now || (change.type === 'DELETED' && before)) sendChange(change.type);
  };

  const requested = query.get('resourceVersion');
  const allowBookmarks = query.get('allowWatchBookmarks') === 'true';
  const unsubscribe = store.subscribe(deliver);
  // A watch-list says itself whether it wants the current state first; other watches get it when they name
  // no resourceVersion (or "0"), and otherwise resume from the one they name.
  const sendInitialEvents = query.get('sendInitialEvents');
  if (sendInitialEvents === 'true' || (sendInitialEvents === null && (!requested || requested === '0'))) {
    for (const object of operations.list(type, route.namespace)) if (matches(object)) send('ADDED', object);
    if (sendInitialEvents === 'true' && allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else if (requested && requested !== '0') {
    const changes = store.changesSince(Number(requested));
    if (!changes) {
      send('ERROR', gone(`too old resource version: ${requested} (${store.oldestResumableRevision()})`).toStatus());
      unsubscribe();
      response.end();
      return;
    }
    for (const change of changes) deliver(change);
  }

  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  const deadline = timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : Infinity;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  /** Bookmarks come an interval apart, the last 2 s before the timeout; none after that, as in the watch cache. */
  const scheduleBookmark = (): void => {
    const now = Date.now();
    const preTimeout = deadline - PRE_TIMEOUT_BOOKMARK_MS;
    const next = Math.min(now + bookmarkIntervalMs, preTimeout);
    if (next < now) return;
    bookmarkTimer = setTimeout(() => {
      bookmark();
      if (next !== preTimeout) scheduleBookmark();
    }, next - now);
  };
  const timeoutTimer = timeoutSeconds > 0 ? setTimeout(() => finish(), timeoutSeconds * 1000) : undefined;
  const finish = (): void => {
    unsubscribe();
    clearTimeout(bookmarkTimer);
    clearTimeout(timeoutTimer);
    if (!response.writableEnded) response.end();
  };
  if (allowBookmarks) scheduleBookmark();
  request.on('close', finish);
  response.on('close', finish);
}
