import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading, formatDate } from '@/components/ui';
import { useCan } from '@/lib/session';
import type { JourneyRun } from '@/types/api';
import { useContactJourneys, useStopRun } from '../api/journeys';

/** The contact's journey runs: where each is, what it waits for, and (for marketers) a stop button. */
export function ContactJourneys({ contactId }: { contactId: string }) {
  const runs = useContactJourneys(contactId);
  const stop = useStopRun(contactId);
  const canStop = useCan('marketer');
  if (runs.isPending) return <Loading />;
  if (runs.error) return <ErrorMessage error={runs.error} />;
  const list = Array.isArray(runs.data.runs) ? runs.data.runs : [];
  if (list.length === 0) return <EmptyState title="In no journey">This contact has not entered a journey.</EmptyState>;
  return (
    <>
      <ErrorMessage error={stop.error} />
      <table>
        <caption className="sr-only">Journey runs</caption>
        <thead>
          <tr>
            <th scope="col">Journey</th>
            <th scope="col">Status</th>
            <th scope="col">Step</th>
            <th scope="col">Waiting</th>
            <th scope="col">Started</th>
            {canStop && <th scope="col"><span className="sr-only">Stop</span></th>}
          </tr>
        </thead>
        <tbody>
          {list.map((r) => (
            <tr key={r.run_id}>
              <td>
                <Link to={`/journeys/${encodeURIComponent(r.journey_id)}`}>{r.journey_id}</Link> <span className="muted small">v{r.version}</span>
              </td>
              <td>
                <span className="badge">{r.status}</span>
              </td>
              <td>{r.step || '—'}</td>
              <td>{waiting(r)}</td>
              <td>{formatDate(r.started_at)}</td>
              {canStop && (
                <td>
                  {r.status === 'active' && (
                    <button
                      type="button"
                      aria-label={`Stop ${r.journey_id} run`}
                      disabled={stop.isPending}
                      onClick={() => {
                        if (window.confirm(`Stop this contact's run of ${r.journey_id}? It ends at once.`)) stop.mutate(r.run_id);
                      }}
                    >
                      Stop
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function waiting(r: JourneyRun): string {
  if (r.status !== 'active') return '—';
  const parts: string[] = [];
  if (r.waiting_for) parts.push(`for ${r.waiting_for}`);
  if (r.waiting_until && !r.waiting_until.startsWith('0001-')) parts.push(`until ${formatDate(r.waiting_until)}`);
  return parts.length ? parts.join(', ') : 'moving on';
}
