// A template: its subject, preheader, HTML and text edited through the
// definitions editor's pieces (problems at their line and column while
// typing, save with If-Match, restore the repo version, history), with a
// live preview of the draft and a test send.
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { usePreview, useSendTest } from '../api/templates';
import { ErrorMessage, Loading, PageHeader } from '@/components/ui';
import { useCan } from '@/lib/session';
import type { DefinitionProblem, Template } from '@/types/api';
import { CodeField, DriftFacts, RestoreRepo, SaveBar, VersionHistory, describeProblem, toText, useDefinitionDraft } from '@/components/definitions';

type Part = 'subject' | 'preheader' | 'html' | 'text';
const PARTS: { part: Part; label: string; rows: number }[] = [
  { part: 'subject', label: 'Subject', rows: 2 },
  { part: 'preheader', label: 'Preheader', rows: 2 },
  { part: 'html', label: 'HTML', rows: 16 },
  { part: 'text', label: 'Text (optional: generated from the HTML when empty)', rows: 6 },
];

export function TemplatePage() {
  const { id = '' } = useParams();
  const canWrite = useCan('marketer');
  const draft = useDefinitionDraft('templates', id, canWrite);
  const preview = usePreview(id);
  const sendTest = useSendTest(id);
  const [contactInput, setContactInput] = useState('');
  const [contactId, setContactId] = useState('');
  const [to, setTo] = useState('');

  const tpl = parseTemplate(draft.text);
  // Re-render the preview once the draft is valid and typing pauses.
  const previewable = draft.base !== null && tpl !== null && draft.valid === true;
  useEffect(() => {
    if (!previewable) return;
    const t = setTimeout(() => preview.mutate({ contactId, template: draft.dirty ? tpl : undefined }), 300);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [previewable, draft.text, contactId]);

  if (draft.query.isPending && !draft.base) return <Loading />;
  if (draft.query.error && !draft.base) return <ErrorMessage error={draft.query.error} />;
  if (!draft.base || !tpl) return <Loading />;

  const problemsOf = (part: Part) => draft.problems.filter((p) => p.in === part);
  const others: DefinitionProblem[] = draft.problems.filter((p) => !PARTS.some((x) => x.part === p.in));
  const setPart = (part: Part, v: string) => draft.setText(toText({ ...tpl, [part]: v }));

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/templates">Templates</Link> / <span>{tpl.name || id}</span>
      </nav>
      <PageHeader title={tpl.name || id} />
      <div className="grid-2">
        <section className="card" aria-labelledby="edit-h">
          <h2 id="edit-h">Content</h2>
          {!canWrite && <p className="notice notice-warn small">Read only: changing templates needs the marketer role.</p>}
          <dl className="facts small">
            <div className="fact-row">
              <dt>Kind</dt>
              <dd>
                {tpl.kind}
                {tpl.topic ? `, topic ${tpl.topic}` : ''}
              </dd>
            </div>
            <div className="fact-row">
              <dt>From</dt>
              <dd>
                {tpl.from?.name} &lt;{tpl.from?.address}&gt;
              </dd>
            </div>
          </dl>
          {PARTS.map(({ part, label, rows }) => (
            <CodeField
              key={part}
              id={`tpl-${part}`}
              label={label}
              rows={rows}
              spellCheck={part === 'subject' || part === 'preheader'}
              readOnly={!canWrite}
              value={(tpl[part] as string | undefined) ?? ''}
              onChange={(v) => setPart(part, v)}
              problems={problemsOf(part)}
              part={part}
            />
          ))}
          {others.length > 0 && (
            <ul className="problems" aria-label="Other problems">
              {others.map((p, i) => (
                <li key={i}>{describeProblem({ ...p, line: undefined }, true)}</li>
              ))}
            </ul>
          )}
          {draft.warnings.length > 0 && (
            <ul className="warnings small" aria-label="Warnings">
              {draft.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          {canWrite && (
            <SaveBar draft={draft} noun="template">
              <RestoreRepo kind="templates" id={id} draft={draft} />
            </SaveBar>
          )}
        </section>

        <section className="card" aria-labelledby="preview-h">
          <h2 id="preview-h">Preview</h2>
          <p className="muted small">
            Renders {draft.dirty && previewable ? 'your unsaved draft' : 'the saved version'} for {contactId ? `contact ${contactId}` : 'the sample contact'}, with sample links; it updates
            as you type once the draft is valid.
          </p>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              // A draft with problems cannot render: the button then shows the saved version.
              setContactId(contactInput.trim());
              preview.mutate({ contactId: contactInput.trim(), template: previewable && draft.dirty ? tpl : undefined });
            }}
          >
            <div className="field">
              <label htmlFor="preview-contact">Contact id (empty: the sample contact)</label>
              <input id="preview-contact" value={contactInput} onChange={(e) => setContactInput(e.target.value)} placeholder="sample contact" />
            </div>
            <button type="submit" disabled={preview.isPending}>
              {preview.isPending ? 'Rendering…' : 'Preview'}
            </button>
          </form>
          {!previewable && draft.dirty && <p className="muted small">Fix the problems to preview your draft; until then Preview shows the saved version.</p>}
          <ErrorMessage error={preview.error} />
          {preview.data && (
            <div className="preview">
              <p>
                <strong>Subject:</strong> <span data-testid="preview-subject">{preview.data.subject}</span>
              </p>
              {preview.data.preheader && <p className="muted">{preview.data.preheader}</p>}
              {/* No scripts, no same-origin access: the preview is the email, not the console. */}
              <iframe title="Email preview" sandbox="" srcDoc={preview.data.html} className="preview-frame" />
              <details>
                <summary>Text part</summary>
                <pre className="preview-text">{preview.data.text}</pre>
              </details>
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
                <label htmlFor="test-to">Send a test of the saved version to</label>
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
          <h3>Where it comes from</h3>
          <DriftFacts d={draft.base} />
        </section>
      </div>
      <VersionHistory kind="templates" id={id} draft={draft} canEdit={canWrite} />
    </>
  );
}

function parseTemplate(text: string): Template | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Template) : null;
  } catch {
    return null;
  }
}
