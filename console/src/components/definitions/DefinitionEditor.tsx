// The one editor of every definition kind kept as JSON: view, edit through
// the validator (problems at their line and column while typing), save
// with If-Match, drift from the repo and its restore, version history.
// A kind's page adds only its summary and notices.
import { useEffect, type ReactNode } from 'react';
import { ErrorMessage, Loading } from '@/components/ui';
import { useCan } from '@/lib/session';
import type { DefinitionKind, DefinitionProblem, DefinitionView, Role } from '@/types/api';
import { CodeField } from './CodeField';
import { DriftFacts, RestoreRepo, SaveBar, VersionHistory } from './DefinitionParts';
import { useDefinitionDraft } from './useDefinitionDraft';

export interface DefinitionEditorProps<T> {
  kind: DefinitionKind;
  id: string;
  /** One definition, in words ("scoring model"). */
  noun: string;
  /** The least role that may change it (the API refuses the others too). */
  editRole?: Role;
  /** A kind's summary of the definition being edited (its last text that parses). */
  summary?: (definition: T) => ReactNode;
  /** Shown above the save button (what saving will do). */
  notice?: ReactNode;
  onSaved?: (v: DefinitionView<T>) => void;
  /** Told the text being edited and its problems whenever they change (the journey map draws the draft). */
  onDraft?: (text: string, problems: DefinitionProblem[]) => void;
}

export function DefinitionEditor<T>({ kind, id, noun, editRole = 'marketer', summary, notice, onSaved, onDraft }: DefinitionEditorProps<T>) {
  const canEdit = useCan(editRole);
  const draft = useDefinitionDraft(kind, id, canEdit);
  const problemsKey = JSON.stringify(draft.problems);
  useEffect(() => {
    if (draft.base) onDraft?.(draft.text, draft.problems);
    // problemsKey stands for draft.problems, a new array on each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft.text, problemsKey, !!draft.base, onDraft]);
  if (draft.query.isPending && !draft.base) return <Loading />;
  if (draft.query.error && !draft.base) return <ErrorMessage error={draft.query.error} />;
  if (!draft.base) return <Loading />;
  const parsed = (parse(draft.text) ?? draft.base.definition) as T;
  return (
    <>
      <div className="grid-2 editor-grid">
        <section className="card" aria-labelledby={`${kind}-edit-h`}>
          <h2 id={`${kind}-edit-h`}>{canEdit ? 'Edit' : 'Definition'}</h2>
          {!canEdit && (
            <p className="notice notice-warn small">
              Read only: changing the {noun} needs the {editRole} role.
            </p>
          )}
          <CodeField
            id={`${kind}-${id}-json`}
            label={`${capital(noun)} (JSON)`}
            hint={canEdit ? 'Checked as you type; problems are marked at their line.' : undefined}
            value={draft.text}
            onChange={draft.setText}
            readOnly={!canEdit}
            problems={draft.problems}
            rows={22}
          />
          {canEdit && (
            <>
              {notice}
              <SaveBar draft={draft} noun={noun}>
                <RestoreRepo kind={kind} id={id} draft={draft} />
              </SaveBar>
            </>
          )}
          {draft.save.isSuccess && onSaved && <SavedHook v={draft.save.data as DefinitionView<T>} onSaved={onSaved} />}
        </section>
        <section className="card" aria-labelledby={`${kind}-about-h`}>
          <h2 id={`${kind}-about-h`}>About this {noun}</h2>
          <DriftFacts d={draft.base} />
          {summary && <div className="summary">{summary(parsed)}</div>}
          {draft.warnings.length > 0 && (
            <ul className="warnings small" aria-label="Warnings">
              {draft.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <VersionHistory kind={kind} id={id} draft={draft} canEdit={canEdit} />
    </>
  );
}

function SavedHook<T>({ v, onSaved }: { v: DefinitionView<T>; onSaved: (v: DefinitionView<T>) => void }) {
  useEffect(() => onSaved(v), [v, onSaved]);
  return null;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function capital(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
