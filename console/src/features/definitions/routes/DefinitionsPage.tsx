// Every kind of definition, and which ones differ from the repo (drift).
import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';
import { SourceBadge, useDrift } from '@/components/definitions';
import { kindInfo, pageOf } from '../kinds';

export function DefinitionsPage() {
  const q = useDrift();
  const all = q.data?.kinds.flatMap((k) => k.definitions) ?? [];
  const drifted = all.filter((d) => d.source === 'api' && d.overrides_repo && d.differs_from_repo).length;
  const onlyHere = all.filter((d) => d.source === 'api' && !d.overrides_repo).length;
  const plural = (n: number, one: string, many: string) => `${n} definition${n === 1 ? '' : 's'} ${n === 1 ? one : many}`;
  return (
    <>
      <PageHeader title="Definitions" />
      <p className="muted intro">
        Forms, templates, scoring, topics, interests and sending settings live in the repo’s <code>definitions/</code> folder. A change saved in the console
        overrides the repo’s version until someone restores it; <code>leadflow defs pull</code> writes the changes back into the repo.
      </p>
      {q.isPending && <Loading />}
      <ErrorMessage error={q.error} />
      {q.data && (
        <p role="status" className={drifted || onlyHere ? 'notice notice-warn' : 'notice notice-ok'}>
          {drifted || onlyHere
            ? [
                drifted ? `${plural(drifted, 'edited here differs', 'edited here differ')} from the repo.` : '',
                onlyHere ? `${plural(onlyHere, 'exists', 'exist')} only here, not in the repo.` : '',
                'Pull them into the repo with leadflow defs pull, or restore the repo version on a definition’s page.',
              ]
                .filter(Boolean)
                .join(' ')
            : 'Everything in effect is the repo’s version.'}
        </p>
      )}
      {q.data?.kinds.map((k) => {
        const info = kindInfo(k.kind);
        return (
          <section key={k.kind} className="card" aria-labelledby={`drift-${k.kind}`}>
            <h2 id={`drift-${k.kind}`}>{info ? <Link to={info.path}>{info.label}</Link> : k.kind}</h2>
            {k.definitions.length === 0 ? (
              <EmptyState title={`No ${info?.label.toLowerCase() ?? k.kind} yet`}>
                {info ? (
                  <>
                    Add one under <code>{info.repo}</code> in the repo and deploy, or save one through the API.
                  </>
                ) : (
                  <>Add one through the API (PUT /v1/definitions/{k.kind}/&lt;id&gt;).</>
                )}
              </EmptyState>
            ) : (
              <table>
                <caption className="sr-only">{info?.label} and their drift from the repo</caption>
                <thead>
                  <tr>
                    <th scope="col">Definition</th>
                    <th scope="col">In effect</th>
                    <th scope="col">Version</th>
                    <th scope="col">Last change</th>
                  </tr>
                </thead>
                <tbody>
                  {k.definitions.map((d) => (
                    <tr key={d.id}>
                      <td>{pageOf(k.kind, d.id) ? <Link to={pageOf(k.kind, d.id)!}>{k.singleton ? info?.label : d.id}</Link> : d.id}</td>
                      <td>
                        <SourceBadge d={{ ...d, overrides_repo: d.overrides_repo }} />
                      </td>
                      <td className="num">{d.version}</td>
                      <td>{d.updated_at ? `${formatDate(d.updated_at)}${d.updated_by ? ` by ${d.updated_by}` : ''}` : 'never edited'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </>
  );
}
