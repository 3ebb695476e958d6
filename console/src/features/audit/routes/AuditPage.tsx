import { useState } from 'react';
import { Link } from 'react-router';
import { useAudit } from '../api/audit';
import { describeAction } from '../components/describe';
import { PageHeader, formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';

const KINDS = ['', 'contacts', 'templates', 'forms', 'scoring', 'interests', 'sites', 'messages', 'users'];

export function AuditPage() {
  const [kind, setKind] = useState('');
  const [actorId, setActorId] = useState('');
  const q = useAudit({ kind: kind || undefined, actorId: actorId || undefined });
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
      <QueryState
        query={q}
        loading="Loading the audit log…"
        isEmpty={(d) => d.pages.every((p) => p.entries.length === 0)}
        empty={{
          title: 'Nothing recorded yet',
          next: kind || actorId ? 'Nothing matches this filter: choose "all changes" or show everyone.' : 'Every change made through the console or the admin API appears here (who, what, when): change a contact or a template to see one.',
        }}
      >
        {(data) => (
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
              {data.pages.flatMap((p) => p.entries).map((e) => (
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
      </QueryState>
    </>
  );
}
