import { useState } from 'react';
import { guess, parseHeader } from '../api/header';
import { useErrorReport, useImports, useStartImport } from '../api/imports';
import { EmptyState, ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';
import { useLists } from '@/features/lists/api/lists';
import { useCan } from '@/lib/session';
import type { ImportDefinition } from '@/types/api';

/** Imports: start a CSV import (column mapping from the file's header row), follow its progress, fetch the error report. */
export function ImportsPage() {
  const q = useImports();
  const canWrite = useCan('marketer');
  return (
    <>
      <PageHeader title="Imports" />
      {canWrite && <NewImport />}
      {q.isPending && <Loading />}
      <ErrorMessage error={q.error} />
      {q.data && q.data.imports.length === 0 && <EmptyState title="No imports yet" />}
      {q.data && q.data.imports.length > 0 && <ImportTable imports={q.data.imports} canReadReport={canWrite} />}
    </>
  );
}

function ImportTable({ imports, canReadReport }: { imports: NonNullable<ReturnType<typeof useImports>['data']>['imports']; canReadReport: boolean }) {
  const report = useErrorReport();
  return (
    <div className="card table-card">
      <table>
        <caption className="sr-only">Recent imports</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">State</th>
            <th scope="col">Progress</th>
            <th scope="col">Rows</th>
            <th scope="col">Imported</th>
            <th scope="col">Failed</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {imports.map((i) => (
            <tr key={i.id}>
              <td>{i.definition.file_name || i.id}</td>
              <td>
                <span className="badge">{i.state}</span> {i.error}
              </td>
              <td>
                <progress aria-label={`Progress of ${i.definition.file_name || i.id}`} max={1} value={i.progress} /> {Math.round(i.progress * 100)}%
              </td>
              <td>{i.rows}</td>
              <td>{i.imported}</td>
              <td>
                {i.failed}{' '}
                {i.error_report && canReadReport && (
                  <button
                    type="button"
                    className="link"
                    onClick={() => report.mutate(i.error_report!, { onSuccess: (r) => window.location.assign(r.url) })}
                  >
                    Error report
                  </button>
                )}
              </td>
              <td>{formatDate(i.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorMessage error={report.error} />
    </div>
  );
}

const PURPOSES = ['marketing', 'advertising'];

function NewImport() {
  const start = useStartImport();
  const lists = useLists();
  const [file, setFile] = useState<File | null>(null);
  const [headers, setHeaders] = useState<string[]>([]);
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [tagsCol, setTagsCol] = useState('');
  const [consentCol, setConsentCol] = useState('');
  const [traits, setTraits] = useState<Record<string, string>>({});
  const [listId, setListId] = useState('');
  const [evidence, setEvidence] = useState('');
  const [purposes, setPurposes] = useState<string[]>(['marketing']);
  const [readError, setReadError] = useState('');

  const onFile = async (f: File | null) => {
    setFile(f);
    setReadError('');
    if (!f) return setHeaders([]);
    const h = parseHeader(await f.slice(0, 64 * 1024).text());
    if (h.length === 0) setReadError('The file has no header row.');
    setHeaders(h);
    setEmail(guess(h, 'email', 'emailaddress', 'mail'));
    setPhone(guess(h, 'phone', 'mobile', 'phonenumber'));
    setTagsCol(guess(h, 'tags'));
    setConsentCol(guess(h, 'optin', 'consent'));
    setTraits({});
  };

  const mapped = new Set([email, phone, tagsCol, consentCol]);
  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!file || !email) return;
    const traitMap: Record<string, string> = {};
    for (const [header, name] of Object.entries(traits)) if (name.trim()) traitMap[name.trim()] = header;
    const def: ImportDefinition = {
      file_name: file.name,
      columns: {
        email,
        ...(phone ? { phone } : {}),
        ...(tagsCol ? { tags: tagsCol } : {}),
        ...(consentCol ? { consent: consentCol } : {}),
        ...(Object.keys(traitMap).length ? { traits: traitMap } : {}),
      },
      ...(listId ? { list_id: listId } : {}),
      ...(evidence.trim() ? { consent: { evidence: evidence.trim(), purposes } } : {}),
    };
    start.mutate({ def, file });
  };

  const columnSelect = (label: string, value: string, set: (v: string) => void, required = false) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.target.value)} required={required}>
        <option value="">{required ? 'Choose…' : '(none)'}</option>
        {headers.map((h) => (
          <option key={h} value={h}>
            {h}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <form className="card" aria-label="New import" onSubmit={onSubmit}>
      <h2>Import a CSV file</h2>
      <label>
        File
        <input type="file" accept=".csv,text/csv" onChange={(e) => void onFile(e.target.files?.[0] ?? null)} />
      </label>
      {readError && <p role="alert">{readError}</p>}
      {headers.length > 0 && (
        <>
          <fieldset>
            <legend>Columns</legend>
            {columnSelect('Email column', email, setEmail, true)}
            {columnSelect('Phone column', phone, setPhone)}
            {columnSelect('Tags column', tagsCol, setTagsCol)}
            {columnSelect('Consent column', consentCol, setConsentCol)}
            {headers
              .filter((h) => !mapped.has(h))
              .map((h) => (
                <label key={h}>
                  Trait for “{h}”
                  <input
                    value={traits[h] ?? ''}
                    placeholder="(not imported)"
                    pattern="[A-Za-z0-9_.\-]*"
                    onChange={(e) => setTraits({ ...traits, [h]: e.target.value })}
                  />
                </label>
              ))}
          </fieldset>
          <label>
            Add to list
            <select value={listId} onChange={(e) => setListId(e.target.value)}>
              <option value="">(no list)</option>
              {lists.data?.lists.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name || l.id}
                </option>
              ))}
            </select>
          </label>
          <fieldset>
            <legend>Consent basis</legend>
            <p className="muted">
              Without a basis (and without a consent column) imported contacts are not marketable. With a consent column, only its “yes” rows
              get consent.
            </p>
            <label>
              Evidence (where and when consent was collected)
              <input value={evidence} onChange={(e) => setEvidence(e.target.value)} />
            </label>
            {PURPOSES.map((p) => (
              <label key={p}>
                <input
                  type="checkbox"
                  checked={purposes.includes(p)}
                  onChange={(e) => setPurposes(e.target.checked ? [...purposes, p] : purposes.filter((x) => x !== p))}
                />{' '}
                {p}
              </label>
            ))}
          </fieldset>
        </>
      )}
      <ErrorMessage error={start.error} />
      <button type="submit" disabled={!file || !email || start.isPending}>
        {start.isPending ? 'Uploading…' : 'Start import'}
      </button>
      {start.data && <p role="status">Import {start.data.id} started.</p>}
    </form>
  );
}
