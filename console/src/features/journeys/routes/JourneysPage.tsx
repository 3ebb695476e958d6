import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading, PageHeader } from '@/components/ui';
import type { DefinitionView, Journey } from '@/types/api';
import { useJourneySteps, useJourneys } from '../api/journeys';
import { totalsOf } from '../components/graph';

/** Every journey with its state, entries, active runs and conversions. */
export function JourneysPage() {
  const list = useJourneys();
  return (
    <>
      <PageHeader title="Journeys" />
      {list.isPending && <Loading />}
      <ErrorMessage error={list.error} />
      {list.data && list.data.length === 0 && (
        <EmptyState title="No journeys yet">
          Add one as a file in <code>definitions/journeys/&lt;id&gt;.json</code> (the welcome journey is the example in the README), or
          send it with <code>PUT /v1/journeys/&lt;id&gt;</code>; it shows here once saved.
        </EmptyState>
      )}
      {list.data && list.data.length > 0 && (
        <table className="table">
          <caption className="sr-only">Journeys</caption>
          <thead>
            <tr>
              <th scope="col">Journey</th>
              <th scope="col">State</th>
              <th scope="col">Trigger</th>
              <th scope="col">Entries</th>
              <th scope="col">Active</th>
              <th scope="col">Conversions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((d) => (
              <JourneyRow key={d.id} d={d} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function JourneyRow({ d }: { d: DefinitionView<Journey> }) {
  const steps = useJourneySteps(d.id);
  const t = totalsOf(steps.data?.nodes);
  const j = d.definition;
  const n = (v: number) => (steps.data ? v : steps.error ? '?' : '…');
  return (
    <tr>
      <td>
        <Link to={`/journeys/${encodeURIComponent(d.id)}`}>{j.name || d.id}</Link>
      </td>
      <td>
        <span className={`badge badge-${j.status}`}>{j.status}</span>
      </td>
      <td>
        {j.trigger?.kind}
        {j.trigger?.event ? `: ${j.trigger.event}` : ''}
      </td>
      <td aria-label={`Entries of ${d.id}`}>{n(t.entries)}</td>
      <td aria-label={`Active runs of ${d.id}`}>{n(t.active)}</td>
      <td aria-label={`Conversions of ${d.id}`}>{n(t.converted)}</td>
    </tr>
  );
}
