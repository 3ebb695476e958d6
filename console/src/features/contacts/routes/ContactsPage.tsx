import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useContactSearch, type ContactSearch, type SearchBy } from '../api/contacts';
import { PageHeader, StageBadge, formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';

const PLACEHOLDER: Record<SearchBy, string> = {
  email: 'name@company.com',
  tag: 'webinar-2026',
  trait: 'plan=enterprise',
  recent: '',
};

export function ContactsPage() {
  const [by, setBy] = useState<SearchBy>('recent');
  const [value, setValue] = useState('');
  const [search, setSearch] = useState<ContactSearch>({ by: 'recent', value: '' });
  const q = useContactSearch(search);

  function submit(e: FormEvent) {
    e.preventDefault();
    setSearch({ by, value: value.trim() });
  }

  return (
    <>
      <PageHeader title="Contacts" />
      <form className="toolbar" role="search" onSubmit={submit}>
        <div className="field">
          <label htmlFor="search-by">Search by</label>
          <select id="search-by" value={by} onChange={(e) => setBy(e.target.value as SearchBy)}>
            <option value="recent">Newest contacts</option>
            <option value="email">Email</option>
            <option value="tag">Tag</option>
            <option value="trait">Trait (name=value)</option>
          </select>
        </div>
        {by !== 'recent' && (
          <label className="grow">
            {by === 'trait' ? 'Trait' : by === 'tag' ? 'Tag' : 'Email'}
            <input value={value} onChange={(e) => setValue(e.target.value)} placeholder={PLACEHOLDER[by]} required />
          </label>
        )}
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <QueryState
        query={q}
        loading="Loading contacts…"
        isEmpty={(d) => d.contacts.length === 0}
        empty={{
          title: search.by === 'recent' ? 'No contacts yet' : 'No contacts match',
          next:
            search.by === 'recent'
              ? 'Contacts appear here once a visitor identifies themselves: add a form to your site, or call identify() from the snippet.'
              : 'Try another spelling, or choose "Newest contacts" and search again.',
        }}
      >
        {(data) => (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Contacts</caption>
            <thead>
              <tr>
                <th scope="col">Contact</th>
                <th scope="col">Stage</th>
                <th scope="col">Tags</th>
                <th scope="col" className="num">
                  Page views
                </th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {data.contacts.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/contacts/${encodeURIComponent(c.id)}`}>{c.email || displayName(c.traits) || c.id}</Link>
                  </td>
                  <td>
                    <StageBadge stage={c.stage} />
                  </td>
                  <td>{(c.tags ?? []).join(', ') || <span className="muted">—</span>}</td>
                  <td className="num">{c.page_views}</td>
                  <td>{formatDate(c.last_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.truncated && <p className="muted small">Only the newest {data.scanned} contacts were searched.</p>}
        </div>
        )}
      </QueryState>
    </>
  );
}

function displayName(traits: Record<string, unknown>): string {
  const n = traits.name ?? [traits.first_name, traits.last_name].filter(Boolean).join(' ');
  return typeof n === 'string' ? n : '';
}
