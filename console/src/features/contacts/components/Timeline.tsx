import { useTimeline } from '../api/contacts';
import { EmptyState, ErrorMessage, Loading, formatDate } from '@/components/ui';
import type { TrackedEvent } from '@/types/api';

/** The contact's events, newest first, with older pages loaded on request. */
export function Timeline({ contactId }: { contactId: string }) {
  const t = useTimeline(contactId);
  if (t.isPending) return <Loading label="Loading the timeline…" />;
  if (t.error && !t.data) return <ErrorMessage error={t.error} />;
  const events = t.data?.pages.flatMap((p) => p.events) ?? [];
  if (events.length === 0) {
    return <EmptyState title="No events yet">Events appear as the snippet or the tracking API reports what this person does.</EmptyState>;
  }
  return (
    <>
      <ol className="timeline" aria-label={`Events, ${events.length} shown`}>
        {events.map((e) => (
          <li key={e.messageId}>
            <time dateTime={e.timestamp}>{formatDate(e.timestamp)}</time> <span className="event-type">{e.type}</span> {describe(e)}
          </li>
        ))}
      </ol>
      <ErrorMessage error={t.error} />
      {t.hasNextPage ? (
        <button type="button" onClick={() => t.fetchNextPage()} disabled={t.isFetchingNextPage}>
          {t.isFetchingNextPage ? 'Loading…' : 'Load older events'}
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
