import { Suspense, lazy, useCallback, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { DefinitionEditor, useDefinition, useVersion, useVersions } from '@/components/definitions';
import { ErrorMessage, Loading, PageHeader, formatDate } from '@/components/ui';
import { ApiError } from '@/lib/api-client';
import { useCan } from '@/lib/session';
import type { DefinitionProblem, Journey, JourneyProblem } from '@/types/api';
import { useJourneyAction, useJourneySteps, useSimulate, type JourneyAction } from '../api/journeys';
import { countsFor, problemsByStep, visitedOf } from '../components/graph';

// The drawing library loads only here, on demand: the first paint and the
// other pages stay as small as before.
const JourneyMap = lazy(() => import('../components/JourneyMap'));

export const SAMPLE_TIMELINE = `{
  "start": "2026-05-04T08:00:00Z",
  "contact": {"id": "sim-1", "status": "subscribed", "timezone": "Europe/Berlin"},
  "events": [
    {"after": "0s", "event": "Subscription Confirmed"},
    {"after": "20h", "score": 72}
  ],
  "for": "14d"
}
`;

/** The journey map with live counts, the editor (its problems on the nodes), publishing, and the simulator. */
export function JourneyPage() {
  const { id = '' } = useParams();
  const saved = useDefinition<Journey>('journeys', id);
  const steps = useJourneySteps(id);
  const versions = useVersions('journeys', id);
  const [version, setVersion] = useState<number | null>(null);
  const old = useVersion('journeys', id, version !== null && version !== saved.data?.version ? version : null);
  const [draft, setDraft] = useState<{ text: string; problems: DefinitionProblem[] } | null>(null);
  const onDraft = useCallback((text: string, problems: DefinitionProblem[]) => setDraft({ text, problems }), []);
  const action = useJourneyAction(id);
  const simulate = useSimulate(id);
  const [timeline, setTimeline] = useState(SAMPLE_TIMELINE);
  // A real contact's recorded events instead of the scripted timeline, when set.
  const [contactId, setContactId] = useState('');
  const [onNewVersion, setOnNewVersion] = useState('');
  const canWrite = useCan('marketer');

  const draftJourney = useMemo(() => parseJourney(draft?.text), [draft?.text]);
  const showingOld = version !== null && version !== saved.data?.version;
  const journey: Journey | null = showingOld ? ((old.data?.definition as Journey | undefined) ?? null) : (draftJourney ?? saved.data?.definition ?? null);
  const stepIds = (journey?.steps ?? []).map((s) => s.id);
  const actionProblems =
    action.error instanceof ApiError && Array.isArray(action.error.details.problems) ? (action.error.details.problems as JourneyProblem[]) : [];
  const simProblems =
    simulate.error instanceof ApiError && Array.isArray(simulate.error.details.problems) ? (simulate.error.details.problems as JourneyProblem[]) : [];
  const problems = useMemo(
    () => problemsByStep(showingOld ? [] : [...(draft?.problems ?? []), ...actionProblems, ...simProblems], stepIds),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [showingOld, draft?.problems, action.error, simulate.error, stepIds.join('\n')],
  );
  const counts = useMemo(() => countsFor(steps.data?.nodes, version), [steps.data, version]);
  const visited = useMemo(() => visitedOf(simulate.data?.path), [simulate.data]);
  const timelineError = contactId.trim() ? null : parseError(timeline);
  // The drill-down of a step, for the version shown (the one in effect when all are).
  const stepHref = useCallback(
    (step: string) => `/journeys/${encodeURIComponent(id)}/steps/${encodeURIComponent(step)}${version !== null ? `?version=${version}` : ''}`,
    [id, version],
  );

  if (saved.isPending) return <Loading />;
  if (saved.error) return <ErrorMessage error={saved.error} />;
  const j = saved.data.definition;
  const status = j.status;
  const countVersions = [...new Set((steps.data?.nodes ?? []).map((n) => n.version))];
  const allVersions = [...new Set([...(versions.data?.versions ?? []).map((v) => v.version), ...countVersions, saved.data.version])].sort((a, b) => b - a);
  const run = (a: JourneyAction) => action.mutate({ action: a, onNewVersion: onNewVersion || undefined });
  const onSimulate = (e: React.FormEvent) => {
    e.preventDefault();
    if (timelineError) return;
    const source = contactId.trim() ? { contact_id: contactId.trim() } : { timeline: JSON.parse(timeline) as unknown };
    simulate.mutate({ ...source, ...(draftJourney && !showingOld ? { definition: draftJourney } : {}) });
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/journeys">Journeys</Link> / <span>{j.name || id}</span>
      </nav>
      <PageHeader title={j.name || id}>
        <div className="header-facts">
          <span className={`badge badge-${status}`} aria-label="State">
            {status}
          </span>
          <span className="muted small">version {saved.data.version}</span>
          {canWrite && (
            <>
              {status !== 'live' && status !== 'paused' && (
                <label className="small">
                  Runs inside{' '}
                  <select value={onNewVersion} onChange={(e) => setOnNewVersion(e.target.value)}>
                    <option value="">as set ({j.on_new_version || 'finish'})</option>
                    <option value="finish">finish on their version</option>
                    <option value="move">move to the same-named step</option>
                  </select>
                </label>
              )}
              {status !== 'live' && status !== 'paused' && (
                <button type="button" onClick={() => run('publish')} disabled={action.isPending}>
                  Publish
                </button>
              )}
              {status === 'live' && (
                <button type="button" onClick={() => run('pause')} disabled={action.isPending}>
                  Pause
                </button>
              )}
              {status === 'paused' && (
                <button type="button" onClick={() => run('resume')} disabled={action.isPending}>
                  Resume
                </button>
              )}
            </>
          )}
        </div>
      </PageHeader>
      <ErrorMessage error={action.error} />
      {action.isSuccess && (
        <p role="status" className="notice">
          Now {action.data.status}, as version {action.data.version}.
        </p>
      )}
      <section className="card" aria-labelledby="map-h">
        <div className="row">
          <h2 id="map-h">Map</h2>
          <label>
            Version{' '}
            <select value={version ?? ''} onChange={(e) => setVersion(e.target.value === '' ? null : Number(e.target.value))}>
              <option value="">All versions (the current definition)</option>
              {allVersions.map((v) => (
                <option key={v} value={v}>
                  Version {v}
                  {v === saved.data.version ? ' (current)' : ''}
                </option>
              ))}
            </select>
          </label>
        </div>
        {!showingOld && draftJourney && draft?.text && JSON.stringify(draftJourney) !== JSON.stringify(saved.data.definition) && (
          <p className="muted small">The map shows the unsaved draft.</p>
        )}
        {showingOld && old.isPending && <Loading />}
        <ErrorMessage error={steps.error ?? old.error} />
        {problems.get('') && (
          <ul className="notice notice-error small" aria-label="Problems with the journey">
            {problems.get('')!.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <p className="muted small">
          Each step shows how many runs entered it, wait there, moved on, converted or exited; an edge shows how many went along it where the
          step counts tell (a branch arm into a step also reached another way does not). Click a step to see the contacts at it.
        </p>
        <Suspense fallback={<Loading label="Drawing the map…" />}>
          <JourneyMap
            journey={journey}
            counts={counts}
            problems={problems}
            visited={simulate.data ? visited : undefined}
            edgeCounted={steps.data?.edges}
            version={version}
            stepHref={stepHref}
          />
        </Suspense>
      </section>
      <section className="card" aria-labelledby="sim-h">
        <h2 id="sim-h">Simulate</h2>
        <p className="muted small">
          Runs {draftJourney && !showingOld ? 'the draft' : 'the journey'} on a virtual clock for a scripted contact. Nothing is sent.
        </p>
        <form onSubmit={onSimulate} aria-label="Simulate">
          <label>
            Timeline (JSON)
            <textarea rows={12} value={timeline} onChange={(e) => setTimeline(e.target.value)} spellCheck={false} aria-invalid={!!timelineError} />
          </label>
          <label>
            Or a contact's recorded events (contact id; the timeline above is then ignored)
            <input value={contactId} onChange={(e) => setContactId(e.target.value)} placeholder="c_123" />
          </label>
          {timelineError && <p role="alert">{timelineError}</p>}
          <ErrorMessage error={simulate.error} />
          <button type="submit" disabled={!!timelineError || simulate.isPending}>
            Simulate
          </button>
        </form>
        {simulate.data && (
          <>
            <h3>Path</h3>
            {simulate.data.path.length === 0 ? (
              <p>The contact never entered the journey.</p>
            ) : (
              <ol aria-label="Simulated path">
                {simulate.data.path.map((m, i) => (
                  <li key={i}>
                    <time dateTime={m.at}>{formatDate(m.at)}</time> <strong>{m.step || m.journey}</strong> <span className="badge">{m.kind}</span>{' '}
                    {m.note}
                  </li>
                ))}
              </ol>
            )}
            <p className="small">Would send: {simulate.data.sends.length ? simulate.data.sends.join(', ') : 'nothing'}</p>
          </>
        )}
      </section>
      <DefinitionEditor<Journey>
        kind="journeys"
        id={id}
        noun="journey"
        onDraft={onDraft}
        notice={<p className="muted small">Saving makes a new version: runs inside finish on theirs, or move ({j.on_new_version ?? 'finish'}).</p>}
      />
    </>
  );
}

function parseJourney(text: string | undefined): Journey | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && Array.isArray((v as Journey).steps) ? (v as Journey) : null;
  } catch {
    return null;
  }
}

function parseError(text: string): string | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? null : 'The timeline must be a JSON object.';
  } catch (e) {
    return `Not valid JSON: ${(e as Error).message}`;
  }
}
