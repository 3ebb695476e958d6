import { useMessages } from '../api/contacts';
import { formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import type { MessageView } from '@/types/api';

/** The mail sent to the contact, newest first, with what happened to each. */
export function Messages({ contactId }: { contactId: string }) {
  const q = useMessages(contactId);
  return (
    <QueryState
      query={q}
      loading="Loading messages…"
      isEmpty={(d) => d.pages.every((p) => p.messages.length === 0)}
      empty={{
        title: 'No messages sent yet',
        next: 'Mail to this contact appears here with its delivery, opens and clicks: send one with POST /v1/messages, or a test send from a template page.',
      }}
    >
      {(d) => (
        <>
          <table>
            <caption className="sr-only">Messages sent, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Template</th>
                <th scope="col">Status</th>
                <th scope="col">Opens and clicks</th>
              </tr>
            </thead>
            <tbody>
              {d.pages
                .flatMap((p) => p.messages)
                .map((m) => (
                  <tr key={m.send_id}>
                    <td>
                      <time dateTime={m.sent_at ?? m.claimed_at}>{formatDate(m.sent_at ?? m.claimed_at)}</time>
                      <div className="muted small">{origin(m)}</div>
                    </td>
                    <td>{m.template_id}</td>
                    <td>
                      <span className={`badge status-${m.status}`}>{m.status}</span>
                      {m.reason && <div className="muted small">{m.reason}</div>}
                    </td>
                    <td>
                      <Engagement m={m} />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
          {q.hasNextPage ? (
            <button type="button" onClick={() => q.fetchNextPage()} disabled={q.isFetchingNextPage}>
              {q.isFetchingNextPage ? 'Loading…' : 'Older messages'}
            </button>
          ) : (
            <p className="muted small">That is every message.</p>
          )}
        </>
      )}
    </QueryState>
  );
}

function origin(m: MessageView): string {
  const s = m.source;
  if (s.campaign) return `${m.kind}, campaign ${s.campaign}`;
  if (s.journey) return `${m.kind}, journey ${s.journey}`;
  if (s.form) return `${m.kind}, form ${s.form}`;
  if (s.api) return `${m.kind}, send API`;
  return m.kind;
}

/** Human opens and clicks, and apart what machines (proxies, scanners) fetched. */
function Engagement({ m }: { m: MessageView }) {
  const human = [m.opened_at && `opened ${formatDate(m.opened_at)}`, m.clicked_at && `clicked ${formatDate(m.clicked_at)}`].filter(Boolean);
  const machine = [m.machine_opened_at && 'opened', m.machine_clicked_at && 'clicked'].filter(Boolean);
  if (human.length === 0 && machine.length === 0) return <span className="muted">none yet</span>;
  return (
    <>
      {human.length > 0 && <div>Person: {human.join(', ')}</div>}
      {machine.length > 0 && <div className="muted small">Machine: {machine.join(', ')} (privacy proxy or link scanner; not counted)</div>}
    </>
  );
}
