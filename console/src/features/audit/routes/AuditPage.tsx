import { useState } from 'react';
import { Link } from 'react-router';
import { useAudit } from '../api/audit';
import { describeAction } from '../components/describe';
import { EmptyState, ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';

const KINDS = ['', 'contacts', 'templates', 'forms', 'scoring', 'interests', 'sites', 'messages', 'users'];

export function AuditPage() {
  const [kind, setKind] = useState('');
  const [actorId, setActorId] = useState('');
  const q = useAudit({ kind: kind || undefined, actorId: actorId || undefined });
  const entries = q.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <>
      <PageHeader title="Audit log" />
      <div className="toolbar">
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k || 'all changes'}
              </option>
            ))}
          </select>
        </label>
        {actorId && (
          <button type="button" onClick={() => setActorId('')}>
            Show everyone
          </button>
        )}
      </div>
      {q.isPending && <Loading />}
      <ErrorMessage error={q.error} />
      {!q.isPending && entries.length === 0 && !q.error && (
        <EmptyState title="Nothing recorded yet">Every change made through the console or the admin API appears here: who, what and when.</EmptyState>
      )}
      {entries.length > 0 && (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>{formatDate(e.at)}</td>
                  <td>
                    <button type="button" className="link" onClick={() => setActorId(e.actor_id)} title="Show only this person's changes">
                      {e.actor}
                    </button>{' '}
                    <span className="muted small">{e.role}</span>
                  </td>
                  <td title={e.action}>{describeAction(e.action)}</td>
                  <td>
                    {e.kind === 'contacts' && e.target ? (
                      <Link to={`/contacts/${encodeURIComponent(e.target)}`}>{e.target}</Link>
                    ) : (
                      e.target ?? <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {q.hasNextPage && (
            <button type="button" onClick={() => q.fetchNextPage()} disabled={q.isFetchingNextPage}>
              {q.isFetchingNextPage ? 'Loading…' : 'Older entries'}
            </button>
          )}
        </div>
      )}
    </>
  );
}
