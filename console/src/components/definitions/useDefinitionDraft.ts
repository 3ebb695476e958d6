// The state every definition editor shares: the version the edit started
// from (its ETag goes in If-Match), the text being edited, its problems
// from the validator while typing, saving, and the 412 conflict.
import { useEffect, useState } from 'react';
import { ApiError } from '@/lib/api-client';
import type { DefinitionKind, DefinitionProblem, DefinitionView } from '@/types/api';
import { toText, useDefinition, useSaveDefinition, useValidation } from './api';

export function useDefinitionDraft(kind: DefinitionKind, id: string, canEdit: boolean) {
  const q = useDefinition(kind, id);
  const [base, setBase] = useState<DefinitionView | null>(null);
  const [text, setText] = useState<string | null>(null);
  const baseText = base ? toText(base.definition) : null;
  const dirty = text !== null && baseText !== null && text !== baseText;

  // Take a newer version from the server only while nothing is edited: a
  // refetch must never throw away someone's typing.
  useEffect(() => {
    if (!q.data) return;
    if (base === null || text === null || text === toText(base.definition)) {
      setBase(q.data);
      setText(toText(q.data.definition));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q.data]);

  const validation = useValidation(kind, id, canEdit && dirty ? text : null);
  const checked = validation && validation.text === text && !validation.pending ? validation : null;
  const save = useSaveDefinition(kind, id);
  const conflict = save.error instanceof ApiError && save.error.status === 412;
  const saveProblems =
    save.error instanceof ApiError && Array.isArray(save.error.details.problems)
      ? (save.error.details.problems as DefinitionProblem[]).map((p) => ({ ...p, in: p.in ?? (p.line && p.field ? p.field : 'definition') }))
      : [];
  // On a conflict, fetch the version that won so it can be compared.
  useEffect(() => {
    if (conflict) void q.refetch();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conflict]);
  const problems: DefinitionProblem[] = !dirty ? [] : (checked?.result?.problems ?? saveProblems);

  /** Save over base (or over a newer version, after a conflict). */
  function submit(etag = base?.etag) {
    if (text === null || !etag) return;
    save.mutate(
      { text, etag },
      {
        onSuccess: (v) => {
          setBase(v);
          setText(toText(v.definition));
        },
      },
    );
  }

  /** Replace the edit with a version from the server (after a conflict, or a restore). */
  function reset(to: DefinitionView) {
    setBase(to);
    setText(toText(to.definition));
    save.reset();
  }

  /** Put text in the editor (an old version loaded from the history). */
  function load(t: string) {
    setText(t);
    save.reset();
  }

  return {
    query: q,
    /** The version being edited. */
    base,
    /** The newest version the server has (differs from base after a conflict). */
    latest: q.data,
    text: text ?? '',
    setText: (t: string) => setText(t),
    dirty,
    validating: !!validation?.pending,
    validationError: checked?.error,
    valid: dirty ? (checked?.result?.valid ?? null) : true,
    warnings: checked?.result?.warnings ?? base?.warnings ?? [],
    problems,
    save,
    conflict,
    submit,
    reset,
    load,
    refetch: () => q.refetch(),
  };
}

export type DefinitionDraft = ReturnType<typeof useDefinitionDraft>;
