import { useState } from 'react';
import { Link } from 'react-router';
import { splitEmails, useChangeMembers, useCreateList, useListMembers, useLists } from '../api/lists';
import { EmptyState, ErrorMessage, Loading, PageHeader } from '@/components/ui';
import { useCan } from '@/lib/session';
import { ExportButtons } from '@/features/exports';

export function ListsPage() {
  const q = useLists();
  const canWrite = useCan('marketer');
  const [open, setOpen] = useState('');
  return (
    <>
      <PageHeader title="Lists" />
      {q.isPending && <Loading />}
      <ErrorMessage error={q.error} />
      {canWrite && <NewList />}
      {q.data && q.data.lists.length === 0 && <EmptyState title="No lists yet">Create one above, or import a CSV into one.</EmptyState>}
      {q.data && q.data.lists.length > 0 && (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Static lists</caption>
            <thead>
              <tr>
                <th scope="col">List</th>
                <th scope="col">Members</th>
              </tr>
            </thead>
            <tbody>
              {q.data.lists.map((l) => (
                <tr key={l.id}>
                  <td>
                    <button type="button" className="link" onClick={() => setOpen(open === l.id ? '' : l.id)} aria-expanded={open === l.id}>
                      {l.name || l.id}
                    </button>
                  </td>
                  <td>{l.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && <ListDetail id={open} canWrite={canWrite} />}
      {open && <ExportButtons listId={open} />}
    </>
  );
}

function NewList() {
  const create = useCreateList();
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  return (
    <form
      className="card"
      aria-label="New list"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ id, name }, { onSuccess: () => (setId(''), setName('')) });
      }}
    >
      <label>
        Id
        <input value={id} onChange={(e) => setId(e.target.value)} pattern="[a-z0-9][a-z0-9_-]*" required />
      </label>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <ErrorMessage error={create.error} />
      <button type="submit" disabled={create.isPending}>
        Create list
      </button>
    </form>
  );
}

function ListDetail({ id, canWrite }: { id: string; canWrite: boolean }) {
  const members = useListMembers(id);
  const change = useChangeMembers(id);
  const [text, setText] = useState('');
  const emails = splitEmails(text);
  return (
    <section className="card" aria-label={`Members of ${id}`}>
      <h2>Members of {id}</h2>
      {canWrite && (
        <form
          aria-label="Change members"
          onSubmit={(e) => {
            e.preventDefault();
            change.mutate({ emails });
          }}
        >
          <label>
            Emails (one per line or comma-separated)
            <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} />
          </label>
          <button type="submit" disabled={emails.length === 0 || change.isPending}>
            Add
          </button>{' '}
          <button type="button" disabled={emails.length === 0 || change.isPending} onClick={() => change.mutate({ emails, remove: true })}>
            Remove
          </button>
          <ErrorMessage error={change.error} />
          {change.data && (
            <p role="status">
              {change.data.added !== undefined ? `${change.data.added} added` : `${change.data.removed} removed`}
              {change.data.not_found.length > 0 && `; not found: ${change.data.not_found.join(', ')}`}
            </p>
          )}
        </form>
      )}
      <ErrorMessage error={members.error} />
      <ul>
        {members.data?.pages.flatMap((p) => p.members).map((m) => (
          <li key={m.id}>
            <Link to={`/contacts/${encodeURIComponent(m.id)}`}>{m.email || m.id}</Link>
          </li>
        ))}
      </ul>
      {members.hasNextPage && (
        <button type="button" onClick={() => void members.fetchNextPage()}>
          More members
        </button>
      )}
    </section>
  );
}
