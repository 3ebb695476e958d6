import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useSaveSegment, useSegment, useSegmentMembers, useSegmentPreview } from '../api/segments';
import { SNIPPETS, addCondition, parseFilter, useDebounced } from '../components/filter';
import { ErrorMessage, Loading, PageHeader } from '@/components/ui';
import { useCan } from '@/lib/session';
import { ExportButtons } from '@/features/exports';

const EMPTY = '{\n  "all": [\n    {"event": {"path_prefix": "/pricing", "within_days": 7, "min": 2}}\n  ]\n}';

/** The segment builder: edit the filter, see the live count (debounced preview), save, list members. */
export function SegmentPage() {
  const { id: routeId = 'new' } = useParams();
  const isNew = routeId === 'new';
  const navigate = useNavigate();
  const canWrite = useCan('marketer');
  const seg = useSegment(routeId, !isNew);
  const [newId, setNewId] = useState('');
  const [name, setName] = useState('');
  const [timezone, setTimezone] = useState('');
  const [text, setText] = useState(EMPTY);
  useEffect(() => {
    if (seg.data) {
      setName(seg.data.name);
      setTimezone(seg.data.timezone ?? '');
      setText(JSON.stringify(seg.data.filter, null, 2));
    }
  }, [seg.data?.etag, seg.data?.version]);
  const id = isNew ? newId : routeId;
  const parsed = parseFilter(text);
  const debounced = useDebounced(parsed.filter ? JSON.stringify(parsed.filter) : null, 400);
  const preview = useSegmentPreview(debounced ? JSON.parse(debounced) : null, timezone);
  const save = useSaveSegment(id);
  const members = useSegmentMembers(routeId, !isNew && !!seg.data, seg.data ? `${seg.data.state}/${seg.data.count}` : undefined);

  if (!isNew && seg.isPending) return <Loading />;
  if (!isNew && seg.error) return <ErrorMessage error={seg.error} />;

  const onSave = (e: React.FormEvent) => {
    e.preventDefault();
    if (!parsed.filter || !id) return;
    save.mutate(
      { name, filter: parsed.filter, ...(timezone ? { timezone } : {}) },
      { onSuccess: () => isNew && navigate(`/segments/${encodeURIComponent(id)}`) },
    );
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/segments">Segments</Link> / <span>{isNew ? 'New' : seg.data?.name}</span>
      </nav>
      <PageHeader title={isNew ? 'New segment' : seg.data?.name || routeId}>
        {!isNew && seg.data && (
          <div className="header-facts">
            <span className="badge" aria-label="State">{seg.data.state}</span>
            <span className="score-pill">
              Members <strong aria-label="Member count">{seg.data.count}</strong>
            </span>
          </div>
        )}
      </PageHeader>
      <div className="grid-2">
        <form className="card" aria-label="Segment definition" onSubmit={onSave}>
          {isNew && (
            <label>
              Id
              <input value={newId} onChange={(e) => setNewId(e.target.value)} pattern="[a-z0-9][a-z0-9_-]*" required disabled={!canWrite} />
            </label>
          )}
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required disabled={!canWrite} />
          </label>
          <label>
            Time zone (for dates without a time; UTC when empty)
            <input value={timezone} onChange={(e) => setTimezone(e.target.value)} placeholder="Europe/Berlin" disabled={!canWrite} />
          </label>
          <label>
            Filter
            <textarea rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} disabled={!canWrite} aria-invalid={!!parsed.error} />
          </label>
          {parsed.error && <p role="alert">{parsed.error}</p>}
          {canWrite && (
            <label>
              Add a condition
              <select
                value=""
                onChange={(e) => {
                  const s = SNIPPETS[e.target.value];
                  if (s) setText(JSON.stringify(addCondition(parsed.filter, s), null, 2));
                }}
              >
                <option value="">Choose…</option>
                {Object.keys(SNIPPETS).map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
          )}
          <ErrorMessage error={save.error} />
          {canWrite ? (
            <button type="submit" disabled={!parsed.filter || save.isPending}>
              Save
            </button>
          ) : (
            <p className="muted">Viewers cannot change segments.</p>
          )}
        </form>
        <section className="card" aria-labelledby="preview-h">
          <h2 id="preview-h">Live count</h2>
          {preview.isFetching && <Loading label="Counting…" />}
          <ErrorMessage error={preview.error} />
          {preview.data && (
            <>
              <p>
                <strong aria-label="Preview count">{preview.data.count}</strong>{' '}
                {preview.data.exact ? 'contacts match' : `of the ${preview.data.evaluated} contacts read match (a sample: not every contact was read)`}
              </p>
              <ul>
                {preview.data.sample.map((m) => (
                  <li key={m.id}>
                    <Link to={`/contacts/${encodeURIComponent(m.id)}`}>{m.email || m.id}</Link>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
      {!isNew && (
        <section className="card" aria-labelledby="members-h">
          <h2 id="members-h">Members</h2>
          <ErrorMessage error={members.error} />
          <ul>
            {members.data?.pages.flatMap((p) => p.members).map((m) => (
              <li key={m.id}>
                <Link to={`/contacts/${encodeURIComponent(m.id)}`}>{m.email || m.id}</Link> {m.stage && <span className="badge">{m.stage}</span>}
              </li>
            ))}
          </ul>
          {members.hasNextPage && (
            <button type="button" onClick={() => void members.fetchNextPage()} disabled={members.isFetchingNextPage}>
              More members
            </button>
          )}
        </section>
      )}
      {!isNew && <ExportButtons segmentId={routeId} />}
    </>
  );
}
