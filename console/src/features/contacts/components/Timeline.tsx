import { useTimeline } from '../api/contacts';
import { formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import type { TrackedEvent } from '@/types/api';

/** The contact's events, newest first, with older pages loaded on request. */
export function Timeline({ contactId }: { contactId: string }) {
  const t = useTimeline(contactId);
  return (
    <QueryState
      query={t}
      loading="Loading the timeline…"
      isEmpty={(d) => d.pages.every((p) => p.events.length === 0)}
      empty={{ title: 'No events yet', next: 'Events appear as the snippet or the tracking API reports what this person does: install the snippet on your site, or send a track call.' }}
    >
      {(d) => <Events events={d.pages.flatMap((p) => p.events)} more={t.hasNextPage} loadingMore={t.isFetchingNextPage} loadMore={() => t.fetchNextPage()} />}
    </QueryState>
  );
}

function Events({ events, more, loadingMore, loadMore }: { events: TrackedEvent[]; more: boolean; loadingMore: boolean; loadMore: () => void }) {
  return (
    <>
      <ol className="timeline" aria-label={`Events, ${events.length} shown`}>
        {events.map((e) => (
          <li key={e.messageId}>
            <time dateTime={e.timestamp}>{formatDate(e.timestamp)}</time> <span className="event-type">{e.type}</span> {describe(e)}
          </li>
        ))}
      </ol>
      {more ? (
        <button type="button" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Load older events'}
        </button>
      ) : (
        <p className="muted small">That is every event.</p>
      )}
    </>
  );
}

function describe(e: TrackedEvent): string {
  if (e.type === 'track') return e.event ?? '';
  if (e.type === 'page') return e.name || e.context?.page?.title || e.context?.page?.path || e.context?.page?.url || '';
  if (e.type === 'identify') return Object.keys(e.traits ?? {}).join(', ');
  return '';
}
