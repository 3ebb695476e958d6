// The pieces every definition page is built of: where the definition comes
// from (repo or an edit, drift), restoring the repo version, the save bar
// with its 412 conflict, and the version history.
import { useState } from 'react';
import { ErrorMessage, Loading, formatDate } from '@/components/ui';
import type { DefinitionKind, DefinitionView } from '@/types/api';
import { toText, useRestoreRepo, useVersion, useVersions } from './api';
import type { DefinitionDraft } from './useDefinitionDraft';
import { diffLines } from './text';

/** Where the definition in effect comes from, and whether it drifts from the repo. */
export function SourceBadge({ d }: { d: Pick<DefinitionView, 'source' | 'overrides_repo' | 'differs_from_repo'> }) {
  if (d.source === 'repo') return <span className="badge badge-repo">repo version</span>;
  if (!d.overrides_repo) return <span className="badge badge-edited">added in the console (not in the repo)</span>;
  if (d.differs_from_repo) return <span className="badge badge-drift">edited: differs from the repo</span>;
  return <span className="badge">edited: same as the repo</span>;
}

export function DriftFacts({ d }: { d: DefinitionView }) {
  return (
    <dl className="facts small">
      <div className="fact-row">
        <dt>In effect</dt>
        <dd>
          <SourceBadge d={d} />
        </dd>
      </div>
      <div className="fact-row">
        <dt>Version</dt>
        <dd>{d.version === 0 ? 'the repo’s (never edited)' : `${d.version}${d.updated_by ? `, by ${d.updated_by}` : ''}, ${formatDate(d.updated_at ?? undefined)}`}</dd>
      </div>
      {d.source === 'api' && d.since && (
        <div className="fact-row">
          <dt>Edited since</dt>
          <dd>{formatDate(d.since)}</dd>
        </div>
      )}
    </dl>
  );
}

/** Removes the edit so the repo's version is in effect again (two steps: no accidental clicks). */
export function RestoreRepo({ kind, id, draft }: { kind: DefinitionKind; id: string; draft: DefinitionDraft }) {
  const restore = useRestoreRepo(kind, id);
  const [asking, setAsking] = useState(false);
  // Set once the editor shows the repo's version again, not merely when the DELETE answered.
  const [restored, setRestored] = useState(false);
  const base = draft.base;
  const restorable = !!base && base.source === 'api' && base.overrides_repo;
  // After a restore the repo's version is the base: no button, but the notice stays.
  if (!restorable && !restored && !restore.error) return null;
  return (
    <div className="restore">
      {!restorable || !base ? null : !asking ? (
        <button
          type="button"
          onClick={() => {
            setAsking(true);
            setRestored(false);
          }}
        >
          Restore the repo version
        </button>
      ) : (
        <div role="group" aria-label="Confirm restoring the repo version" className="actions">
          <span>Throw away the edit{draft.dirty ? ' and your unsaved changes' : ''} and use the repo’s version?</span>
          <button
            type="button"
            className="danger"
            disabled={restore.isPending}
            onClick={() =>
              restore.mutate(base.etag, {
                onSuccess: () => {
                  setAsking(false);
                  void draft.refetch().then((r) => {
                    if (r.data) draft.reset(r.data);
                    setRestored(true);
                  });
                },
              })
            }
          >
            Yes, restore the repo version
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </div>
      )}
      {restored && !asking && (
        <p role="status" className="notice notice-ok">
          The repo version is in effect again.
        </p>
      )}
      <ErrorMessage error={restore.error} />
    </div>
  );
}

/** Save button, validation state, the saved notice, and the conflict when someone else saved first. */
export function SaveBar({ draft, noun, children }: { draft: DefinitionDraft; noun: string; children?: React.ReactNode }) {
  const { save, dirty, problems, validating, valid, conflict, latest } = draft;
  return (
    <div className="save-bar">
      <p className="muted small" role="status" aria-live="polite">
        {!dirty
          ? 'No unsaved changes.'
          : validating
            ? 'Checking…'
            : valid === true
              ? 'Valid: ready to save.'
              : problems.length > 0
                ? `${problems.length} problem${problems.length > 1 ? 's' : ''} to fix before saving.`
                : ''}
      </p>
      <ErrorMessage error={draft.validationError} />
      {conflict && (
        <div role="alert" className="notice notice-warn conflict">
          <strong>Not saved: someone else saved this {noun} after you opened it.</strong> Your changes are still in the editor. Compare
          them with the newest version below, then keep theirs or save yours over it.
          {latest && latest.etag !== draft.base?.etag && (
            <>
              <DiffView before={toText(latest.definition)} after={draft.text} label={`Your changes against version ${latest.version}`} />
              <div className="actions">
                <button type="button" onClick={() => draft.reset(latest)}>
                  Discard mine, load version {latest.version}
                </button>
                <button type="button" className="primary" onClick={() => draft.submit(latest.etag)}>
                  Save mine over version {latest.version}
                </button>
              </div>
            </>
          )}
        </div>
      )}
      {save.error && !conflict && !(problems.length > 0) && <ErrorMessage error={save.error} />}
      {save.isSuccess && !dirty && (
        <p role="status" className="notice notice-ok">
          Saved as version {save.data.version}.
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" disabled={!dirty || save.isPending} onClick={() => draft.submit()}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        {dirty && (
          <button type="button" onClick={() => draft.base && draft.reset(draft.base)}>
            Discard changes
          </button>
        )}
        {children}
      </div>
    </div>
  );
}

export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = diffLines(before, after);
  const changed = lines.some((l) => l.op !== ' ');
  return (
    <figure className="diff">
      <figcaption className="small muted">{label}</figcaption>
      {!changed ? (
        <p className="small">No differences.</p>
      ) : (
        <pre tabIndex={0} aria-label={label}>
          {lines.map((l, i) => (
            <div key={i} className={l.op === '+' ? 'diff-add' : l.op === '-' ? 'diff-del' : 'diff-same'}>
              <span aria-hidden="true">{l.op} </span>
              {l.op !== ' ' && <span className="sr-only">{l.op === '+' ? 'added: ' : 'removed: '}</span>}
              {l.text}
            </div>
          ))}
        </pre>
      )}
    </figure>
  );
}

/** Every saved version, newest first; one can be viewed against what is in effect and loaded into the editor. */
export function VersionHistory({ kind, id, draft, canEdit }: { kind: DefinitionKind; id: string; draft: DefinitionDraft; canEdit: boolean }) {
  const versions = useVersions(kind, id);
  const [open, setOpen] = useState<number | null>(null);
  const version = useVersion(kind, id, open);
  const current = draft.base ? toText(draft.base.definition) : '';
  return (
    <section className="card" aria-labelledby={`${kind}-history-h`}>
      <h2 id={`${kind}-history-h`}>Version history</h2>
      {versions.isPending && <Loading />}
      <ErrorMessage error={versions.error} />
      {versions.data && versions.data.versions.length === 0 && (
        <p className="muted">Never edited: the repo’s version has been in effect since it was deployed. Saving a change starts the history.</p>
      )}
      {versions.data && versions.data.versions.length > 0 && (
        <table>
          <caption className="sr-only">Saved versions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">When</th>
              <th scope="col">By</th>
              <th scope="col">What changed</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.data.versions.map((v) => (
              <tr key={v.version}>
                <td>{v.version}</td>
                <td>{formatDate(v.at)}</td>
                <td>{v.by}</td>
                <td>{v.summary}</td>
                <td>
                  {!v.deleted && (
                    <button type="button" className="link" aria-expanded={open === v.version} onClick={() => setOpen(open === v.version ? null : v.version)}>
                      {open === v.version ? 'Hide' : 'View'} version {v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open !== null && version.isPending && <Loading />}
      <ErrorMessage error={version.error} />
      {open !== null && version.data && version.data.version === open && (
        <div className="version-view">
          <DiffView before={toText(version.data.definition)} after={current} label={`From version ${open} to what is in effect now`} />
          {canEdit && (
            <button type="button" onClick={() => draft.load(toText(version.data.definition))}>
              Load version {open} into the editor
            </button>
          )}
        </div>
      )}
    </section>
  );
}
