import { Link } from 'react-router';
import { useTemplates } from '../api/templates';
import { PageHeader, formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';

export function TemplatesPage() {
  const q = useTemplates();
  return (
    <>
      <PageHeader title="Templates" />
      <QueryState
        query={q}
        loading="Loading templates…"
        isEmpty={(d) => d.templates.length === 0}
        empty={{ title: 'No templates yet', next: 'Add one under definitions/templates/ in the repo, or save one with PUT /v1/templates/{id}; it appears here to edit.' }}
      >
        {(data) => (
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
              {data.templates.map((t) => (
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
      </QueryState>
    </>
  );
}
