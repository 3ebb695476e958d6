import { Link } from 'react-router';
import { useSegments } from '../api/segments';
import { EmptyState, ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';
import { useCan } from '@/lib/session';

export function SegmentsPage() {
  const q = useSegments();
  const canWrite = useCan('marketer');
  return (
    <>
      <PageHeader title="Segments">{canWrite && <Link to="/segments/new">New segment</Link>}</PageHeader>
      {q.isPending && <Loading />}
      <ErrorMessage error={q.error} />
      {q.data && q.data.segments.length === 0 && <EmptyState title="No segments yet">Create one, or add one under definitions/segments/.</EmptyState>}
      {q.data && q.data.segments.length > 0 && (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Segments</caption>
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col">Members</th>
                <th scope="col">State</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {q.data.segments.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link to={`/segments/${encodeURIComponent(s.id)}`}>{s.name || s.id}</Link>
                  </td>
                  <td>{s.count}</td>
                  <td>{s.state}</td>
                  <td>{formatDate(s.updated_at ?? undefined)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
