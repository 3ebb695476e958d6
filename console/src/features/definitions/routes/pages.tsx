// The definition pages: each is the one DefinitionEditor with its kind's
// summary. Nothing here is copied per kind but the words.
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { EmptyState, ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';
import type { DefinitionKind } from '@/types/api';
import { DefinitionEditor, SourceBadge, useDefinitionList } from '@/components/definitions';
import { useRescoreProgress } from '../api/rescore';
import { FormSummary, InterestsSummary, ScoringSummary, SendingSummary, TopicsSummary } from '../components/summaries';
import { kindInfo } from '../kinds';

function SingletonPage({ kind, intro, summary, notice, onSaved }: { kind: DefinitionKind; intro: string; summary: (d: unknown) => React.ReactNode; notice?: React.ReactNode; onSaved?: () => void }) {
  const k = kindInfo(kind)!;
  return (
    <>
      <PageHeader title={k.label} />
      <p className="muted intro">
        {intro} The repo keeps it in <code>{k.repo}</code>; a change saved here overrides it until restored.
      </p>
      <DefinitionEditor kind={kind} id="default" noun={k.noun} editRole={k.editRole} summary={summary} notice={notice} onSaved={onSaved} />
    </>
  );
}

export function TopicsPage() {
  return <SingletonPage kind="topics" intro="Subscription topics: what contacts choose from in the preference centre, and what each marketing template belongs to." summary={(d) => <TopicsSummary d={d} />} />;
}

export function InterestsPage() {
  return <SingletonPage kind="interests" intro="Interest rules tag a contact with an interest when they view matching pages or send an event." summary={(d) => <InterestsSummary d={d} />} />;
}

export function SendingPage() {
  return (
    <SingletonPage
      kind="sending"
      intro="Sending settings: the sender, frequency caps, quiet hours and the circuit breaker. Admins change them; everyone else reads."
      summary={(d) => <SendingSummary d={d} />}
    />
  );
}

export function ScoringPage() {
  const qc = useQueryClient();
  const progress = useRescoreProgress();
  const onSaved = useCallback(() => void qc.invalidateQueries({ queryKey: ['rescore'] }), [qc]);
  const p = progress.data;
  const contacts = p ? `${p.contacts_capped ? 'more than ' : ''}${p.contacts.toLocaleString()} identified contact${p.contacts === 1 ? '' : 's'}` : 'every identified contact';
  return (
    <SingletonPage
      kind="scoring"
      intro="The scoring model: engagement and fit rules, stage rules and lead routing."
      summary={(d) => (
        <>
          <ScoringSummary d={d} />
          <RescoreStatus />
        </>
      )}
      notice={
        <p className="notice notice-warn small">
          Saving a change to the rules re-scores {contacts} in the background; scores shown meanwhile may still be under the old model.
        </p>
      }
      onSaved={onSaved}
    />
  );
}

export function RescoreStatus() {
  const q = useRescoreProgress();
  if (q.isPending) return <Loading label="Loading re-score progress…" />;
  if (q.error) return <ErrorMessage error={q.error} />;
  const p = q.data;
  const run = p.run;
  if (!run)
    return (
      <p className="muted small" role="status">
        No re-score has run for the model in force ({p.model_version}): scores were made under it as events came in.
      </p>
    );
  // Progress by contacts when the count is known, else by shards finished.
  const total = p.contacts_capped ? 0 : Math.max(p.contacts, run.contacts_visited);
  const value = p.done ? 100 : total ? Math.min(99, Math.floor((100 * run.contacts_visited) / total)) : Math.floor((100 * run.shards_done) / run.shards);
  return (
    <div className="rescore">
      <h3>Re-score</h3>
      <label htmlFor="rescore-progress">{p.done ? 'Re-score finished' : 'Re-scoring contacts under the new model'}</label>
      <progress id="rescore-progress" max={100} value={value} aria-valuetext={`${value}%`}>
        {value}%
      </progress>
      <p className="small" role="status" aria-live="polite">
        {run.contacts_visited.toLocaleString()} contacts visited{total ? ` of about ${total.toLocaleString()}` : ''}, {run.contacts_changed.toLocaleString()} re-scored;{' '}
        {run.shards_done} of {run.shards} shards done. Started {formatDate(run.started_at)}
        {p.done ? `, finished ${formatDate(run.updated_at)}.` : '.'}
      </p>
    </div>
  );
}

export function FormsPage() {
  const q = useDefinitionList<{ name?: string; fields?: unknown[] }>('forms');
  return (
    <>
      <PageHeader title="Forms" />
      <p className="muted intro">Forms collect sign-ups and requests on your sites; each one posts to the ingest API with the site’s write key.</p>
      {q.isPending && <Loading />}
      <ErrorMessage error={q.error} />
      {q.data && q.data.definitions.length === 0 && (
        <EmptyState title="No forms yet">
          Add one as <code>definitions/forms/&lt;id&gt;.json</code> in the repo and deploy, or save one with PUT /v1/forms/&lt;id&gt;; it will show up here to edit.
        </EmptyState>
      )}
      {q.data && q.data.definitions.length > 0 && (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Forms</caption>
            <thead>
              <tr>
                <th scope="col">Form</th>
                <th scope="col">Fields</th>
                <th scope="col">Source</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {q.data.definitions.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/forms/${encodeURIComponent(d.id)}`}>{d.definition.name || d.id}</Link> <code className="muted">{d.id}</code>
                  </td>
                  <td className="num">{d.definition.fields?.length ?? 0}</td>
                  <td>
                    <SourceBadge d={d} />
                  </td>
                  <td>{formatDate(d.updated_at ?? undefined)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function FormPage() {
  const { id = '' } = useParams();
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/forms">Forms</Link> / <span>{id}</span>
      </nav>
      <PageHeader title={`Form ${id}`} />
      <DefinitionEditor kind="forms" id={id} noun="form" summary={(d) => <FormSummary d={d} />} />
    </>
  );
}
