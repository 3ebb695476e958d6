import { Link, useParams, useSearchParams } from 'react-router';
import { useVersions } from '@/components/definitions';
import { ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';
import type { JourneyStepContact } from '@/types/api';
import { useStepContacts } from '../api/journeys';

/** Drill-down from the journey map: the contacts whose run rests at one step, each linking to its contact page. */
export function JourneyStepPage() {
  const { id = '', step = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const raw = params.get('version');
  const version = raw !== null && raw !== '' && Number.isInteger(Number(raw)) ? Number(raw) : null;
  const versions = useVersions('journeys', id);
  const contacts = useStepContacts(id, step, version);
  const rows = contacts.data?.pages.flatMap((p) => p.contacts) ?? [];
  const shown = contacts.data?.pages[0]?.version;
  const choices = [...new Set([...(versions.data?.versions ?? []).map((v) => v.version), ...(shown !== undefined ? [shown] : []), ...(version !== null ? [version] : [])])].sort(
    (a, b) => b - a,
  );
  const setVersion = (v: string) => {
    const next = new URLSearchParams(params);
    if (v === '') next.delete('version');
    else next.set('version', v);
    setParams(next);
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/journeys">Journeys</Link> / <Link to={`/journeys/${encodeURIComponent(id)}`}>{id}</Link> / <span>{step}</span>
      </nav>
      <PageHeader title={`Contacts at ${step}`} />
      <section className="card" aria-labelledby="at-h">
        <div className="row">
          <h2 id="at-h">Runs resting here{shown !== undefined ? ` (version ${shown})` : ''}</h2>
          <label>
            Version{' '}
            <select value={version ?? ''} onChange={(e) => setVersion(e.target.value)}>
              <option value="">The version in effect</option>
              {choices.map((v) => (
                <option key={v} value={v}>
                  Version {v}
                </option>
              ))}
            </select>
          </label>
        </div>
        <p className="muted small">Soonest wake first, runs held by a pause last. A run that moved on in the last moments may still be listed until the next refresh.</p>
        <ErrorMessage error={contacts.error} />
        {contacts.isPending ? (
          <Loading />
        ) : rows.length === 0 ? (
          <p>No contact is at this step of this version now.</p>
        ) : (
          <table aria-label={`Contacts at ${step}`}>
            <thead>
              <tr>
                <th scope="col">Contact</th>
                <th scope="col">Here since</th>
                <th scope="col">Waiting</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.run_id}>
                  <td>
                    <Link to={`/contacts/${encodeURIComponent(c.contact_id)}`}>{c.email || c.contact_id}</Link>
                  </td>
                  <td>
                    <time dateTime={c.since}>{formatDate(c.since)}</time>
                  </td>
                  <td>{waiting(c)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {contacts.hasNextPage && (
          <button type="button" onClick={() => void contacts.fetchNextPage()} disabled={contacts.isFetchingNextPage}>
            More contacts
          </button>
        )}
      </section>
    </>
  );
}

function waiting(c: JourneyStepContact): string {
  if (c.held) return 'held: the journey is paused';
  const parts = [];
  if (c.waiting_for) parts.push(`for ${c.waiting_for}`);
  if (c.waiting_until) parts.push(`${c.waiting_for ? 'at most until' : 'until'} ${formatDate(c.waiting_until)}`);
  return parts.join(', ') || '—';
}
