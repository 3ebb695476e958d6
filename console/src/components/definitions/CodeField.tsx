// A monospace text field with line numbers, a marker on each line that has
// a problem, and the problems listed under it (each one selects its place).
import { useRef } from 'react';
import type { DefinitionProblem } from '@/types/api';
import { describeProblem, offsetOf } from './text';

export interface CodeFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  readOnly?: boolean;
  problems?: DefinitionProblem[];
  rows?: number;
  /** Shown under the label. */
  hint?: string;
  spellCheck?: boolean;
  /** Names the field in each problem when a page has several (a template's "html"). */
  part?: string;
}

export function CodeField({ id, label, value, onChange, readOnly, problems = [], rows = 16, hint, spellCheck = false, part }: CodeFieldProps) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const bad = new Set(problems.filter((p) => p.line).map((p) => p.line));
  const lineCount = value.split('\n').length;
  const listId = `${id}-problems`;
  const hintId = hint ? `${id}-hint` : undefined;

  function jump(p: DefinitionProblem) {
    const el = area.current;
    if (!el || !p.line) return;
    const at = offsetOf(el.value, p.line, p.column ?? 1);
    el.focus();
    el.setSelectionRange(at, Math.min(at + 1, el.value.length));
  }

  return (
    <div className="field editor-field code-field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <span id={hintId} className="muted small">
          {hint}
        </span>
      )}
      <div className="code-wrap">
        <div className="gutter" aria-hidden="true" ref={gutter}>
          {Array.from({ length: Math.max(lineCount, rows) }, (_, i) => (
            <div key={i} className={bad.has(i + 1) ? 'gutter-line gutter-bad' : 'gutter-line'} data-line={i + 1} data-problem={bad.has(i + 1) || undefined}>
              {i < lineCount ? i + 1 : ''}
            </div>
          ))}
        </div>
        <textarea
          id={id}
          ref={area}
          rows={rows}
          wrap="off"
          spellCheck={spellCheck}
          readOnly={readOnly}
          aria-readonly={readOnly || undefined}
          aria-invalid={problems.length > 0}
          aria-describedby={[hintId, problems.length ? listId : undefined].filter(Boolean).join(' ') || undefined}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
        />
      </div>
      {problems.length > 0 && (
        <ul id={listId} className="problems" aria-label={`Problems in ${label}`}>
          {problems.map((p, i) => (
            <li key={i} data-line={p.line} data-column={p.column}>
              {p.line ? (
                <button type="button" className="link" onClick={() => jump(p)}>
                  {describeProblem(p, false, part)}
                </button>
              ) : (
                describeProblem(p, true)
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
