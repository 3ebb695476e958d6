import { Link } from 'react-router';
import { useTemplates } from '../api/templates';
import { EmptyState, ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';

export function TemplatesPage() {
  const q = useTemplates();
  return (
    <>
      <PageHeader title="Templates" />
      {q.isPending && <Loading />}
      <ErrorMessage error={q.error} />
      {q.data && q.data.templates.length === 0 && (
        <EmptyState title="No templates yet">Add one under definitions/templates/ in the repo, or save one through the API.</EmptyState>
      )}
      {q.data && q.data.templates.length > 0 && (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Email templates</caption>
            <thead>
              <tr>
                <th scope="col">Template</th>
                <th scope="col">Subject</th>
                <th scope="col">Kind</th>
                <th scope="col">Source</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {q.data.templates.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/templates/${encodeURIComponent(t.id)}`}>{t.name || t.id}</Link>
                  </td>
                  <td>{t.subject}</td>
                  <td>{t.kind}</td>
                  <td>{t.source === 'repo' ? 'repo' : t.overrides_repo ? 'edited (overrides repo)' : 'edited'}</td>
                  <td>{formatDate(t.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
