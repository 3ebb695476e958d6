import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { usePreview, useRestoreTemplate, useSaveTemplate, useSendTest, useTemplate } from '../api/templates';
import { describeProblem, offsetOf } from '../components/problems';
import { ErrorMessage, Loading, PageHeader } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import { ApiError } from '@/lib/api-client';
import { useCan } from '@/lib/session';
import type { Template, TemplateProblem } from '@/types/api';

type Part = 'subject' | 'preheader' | 'html' | 'text';
const PARTS: { part: Part; label: string; rows: number }[] = [
  { part: 'subject', label: 'Subject', rows: 2 },
  { part: 'preheader', label: 'Preheader', rows: 2 },
  { part: 'html', label: 'HTML', rows: 14 },
  { part: 'text', label: 'Text (optional: generated from the HTML when empty)', rows: 6 },
];

export function TemplatePage() {
  const { id = '' } = useParams();
  const q = useTemplate(id);
  const save = useSaveTemplate(id);
  const restore = useRestoreTemplate(id);
  const preview = usePreview(id);
  const sendTest = useSendTest(id);
  const canWrite = useCan('marketer');
  const [draft, setDraft] = useState<Template | null>(null);
  const [contactId, setContactId] = useState('');
  const [to, setTo] = useState('');
  const fields = useRef<Partial<Record<Part, HTMLTextAreaElement | null>>>({});

  useEffect(() => {
    if (q.data) setDraft(q.data);
  }, [q.data]);

  if (!q.data || !draft) return <QueryState query={q} loading="Loading the template…">{() => <Loading label="Loading the template…" />}</QueryState>;

  const problems: TemplateProblem[] =
    save.error instanceof ApiError && Array.isArray(save.error.details.problems) ? (save.error.details.problems as TemplateProblem[]) : [];
  const problemsOf = (part: Part) => problems.filter((p) => p.field === part);

  function jump(p: TemplateProblem) {
    const el = fields.current[p.field as Part];
    if (!el || !p.line) return;
    const at = offsetOf(el.value, p.line, p.column ?? 1);
    el.focus();
    el.setSelectionRange(at, Math.min(at + 1, el.value.length));
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!draft) return;
    const { id: tid, name, kind, topic, from, reply_to, subject, preheader, html, text } = draft;
    save.mutate({ id: tid, name, kind, topic, from, reply_to, subject, preheader, html, text });
  }

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/templates">Templates</Link> / <span>{draft.name || id}</span>
      </nav>
      <PageHeader title={draft.name || id}>
        <span className="badge">{q.data.source === 'repo' ? 'repo version' : q.data.overrides_repo ? 'edited, overrides the repo' : 'edited'}</span>
      </PageHeader>
      <div className="grid-2">
        <form className="card" onSubmit={submit} aria-labelledby="edit-h">
          <h2 id="edit-h">Content</h2>
          {PARTS.map(({ part, label, rows }) => (
            <div key={part} className="field editor-field">
              <label htmlFor={`tpl-${part}`}>{label}</label>
              <textarea
                id={`tpl-${part}`}
                ref={(el) => {
                  fields.current[part] = el;
                }}
                rows={rows}
                spellCheck={part === 'subject' || part === 'preheader'}
                readOnly={!canWrite}
                aria-invalid={problemsOf(part).length > 0}
                aria-describedby={problemsOf(part).length ? `tpl-${part}-problems` : undefined}
                value={(draft[part] as string | undefined) ?? ''}
                onChange={(e) => setDraft({ ...draft, [part]: e.target.value })}
              />
              {problemsOf(part).length > 0 && (
                <ul id={`tpl-${part}-problems`} className="problems">
                  {problemsOf(part).map((p, i) => (
                    <li key={i}>
                      <button type="button" className="link" onClick={() => jump(p)}>
                        {describeProblem(p)}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ))}
          {problems.some((p) => !PARTS.some((x) => x.part === p.field)) && (
            <ul className="problems">
              {problems
                .filter((p) => !PARTS.some((x) => x.part === p.field))
                .map((p, i) => (
                  <li key={i}>{describeProblem(p)}</li>
                ))}
            </ul>
          )}
          {save.error && problems.length === 0 && <ErrorMessage error={save.error} />}
          {save.error && problems.length > 0 && (
            <div role="alert" className="notice notice-error">
              Not saved: {problems.length} problem{problems.length > 1 ? 's' : ''} to fix (listed under each part; click one to jump to it).
            </div>
          )}
          {save.isSuccess && !save.error && (
            <p role="status" className="notice notice-ok">
              Saved.{save.data.warnings.length ? ` Warnings: ${save.data.warnings.join('; ')}` : ''}
            </p>
          )}
          {canWrite && (
            <div className="actions">
              <button type="submit" className="primary" disabled={save.isPending}>
                {save.isPending ? 'Saving…' : 'Save'}
              </button>
              {q.data.source !== 'repo' && q.data.overrides_repo && (
                <button
                  type="button"
                  onClick={() => {
                    if (window.confirm('Throw away the edits and go back to the repo version?')) restore.mutate();
                  }}
                >
                  Restore the repo version
                </button>
              )}
            </div>
          )}
          <ErrorMessage error={restore.error} />
        </form>

        <section className="card" aria-labelledby="preview-h">
          <h2 id="preview-h">Preview</h2>
          <p className="muted small">Renders the saved version, for the sample contact or a contact you name.</p>
          <div className="inline-form">
            <div className="field">
              <label htmlFor="preview-contact">Contact id (optional)</label>
              <input id="preview-contact" value={contactId} onChange={(e) => setContactId(e.target.value)} placeholder="sample contact" />
            </div>
            <button type="button" onClick={() => preview.mutate(contactId.trim())} disabled={preview.isPending}>
              {preview.isPending ? 'Rendering…' : 'Preview'}
            </button>
          </div>
          <ErrorMessage error={preview.error} />
          {preview.data && (
            <div className="preview">
              <p>
                <strong>Subject:</strong> {preview.data.subject}
              </p>
              {preview.data.preheader && <p className="muted">{preview.data.preheader}</p>}
              {/* No scripts, no same-origin access: the preview is the email, not the console. */}
              <iframe title="Email preview" sandbox="" srcDoc={preview.data.html} className="preview-frame" />
            </div>
          )}
          {canWrite && (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                sendTest.mutate(to.trim());
              }}
            >
              <div className="field">
                <label htmlFor="test-to">Send a test to</label>
                <input id="test-to" type="email" required value={to} onChange={(e) => setTo(e.target.value)} placeholder="you@company.com" />
              </div>
              <button type="submit" disabled={sendTest.isPending}>
                Send test
              </button>
            </form>
          )}
          <ErrorMessage error={sendTest.error} />
          {sendTest.data && (
            <p role="status" className="notice notice-ok">
              Test queued ({sendTest.data.send_id}).
            </p>
          )}
        </section>
      </div>
    </>
  );
}
