import { lazy, Suspense } from 'react';
import { Link, useParams } from 'react-router';
import { useContact, useContactScore } from '../api/contacts';
import { StageForm } from '../components/StageForm';
import { TagForm } from '../components/TagForm';
import { Timeline } from '../components/Timeline';
import { ContactActions } from '../components/ContactActions';
import { ContactJourneys } from '../components/ContactJourneys';
import { Messages } from '../components/Messages';
import { EmptyState, Loading, PageHeader, StageBadge, formatDate } from '@/components/ui';
import { PageErrorBoundary, QueryState } from '@/components/query-state';
import type { ContactView, ScoreView } from '@/types/api';

// uPlot comes with the chart only, after the page's data.
const ScoreChart = lazy(() => import('../components/ScoreChart'));
import { useCan } from '@/lib/session';

export function ContactPage() {
  const { id = '' } = useParams();
  const c = useContact(id);
  const score = useContactScore(id);
  const canWrite = useCan('marketer');
  return (
    <QueryState query={c} loading="Loading the contact…">
      {(p) => <Contact p={p} score={score} canWrite={canWrite} />}
    </QueryState>
  );
}

function Contact({ p, score, canWrite }: { p: ContactView; score: ReturnType<typeof useContactScore>; canWrite: boolean }) {
  const traits = Object.entries(p.traits).filter(([k]) => k !== 'email');

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/contacts">Contacts</Link> / <span>{p.email || p.id}</span>
      </nav>
      <PageHeader title={p.email || 'Anonymous visitor'}>
        <div className="header-facts">
          <StageBadge stage={p.stage} />
          {p.score && (
            <span className="score-pill" aria-label={`Score ${p.score.total}`}>
              Score <strong>{p.score.total}</strong>
            </span>
          )}
          {p.status && <span className="badge">{p.status}</span>}
        </div>
      </PageHeader>

      <div className="grid-2">
        <section className="card" aria-labelledby="traits-h">
          <h2 id="traits-h">Profile</h2>
          <dl className="facts">
            <dt>First seen</dt>
            <dd>{formatDate(p.first_seen)}</dd>
            <dt>Last seen</dt>
            <dd>{formatDate(p.last_seen)}</dd>
            <dt>Page views</dt>
            <dd>{p.page_views}</dd>
            <dt>Sessions</dt>
            <dd>{p.sessions}</dd>
            {p.owner && (
              <>
                <dt>Owner</dt>
                <dd>{p.owner}</dd>
              </>
            )}
            <dt>Segments</dt>
            <dd aria-label="Segments">
              {(p.segments ?? []).length ? (
                (p.segments ?? []).map((s) => (
                  <Link key={s} to={`/segments/${encodeURIComponent(s)}`} className="tag">
                    {s}
                  </Link>
                ))
              ) : (
                <span className="muted">none</span>
              )}
            </dd>
            <dt>Lists</dt>
            <dd aria-label="Lists">{(p.lists ?? []).length ? (p.lists ?? []).map((l) => <span key={l} className="tag">{l}</span>) : <span className="muted">none</span>}</dd>
            <dt>Tags</dt>
            <dd>{(p.tags ?? []).length ? (p.tags ?? []).map((t) => <span key={t} className="tag">{t}</span>) : <span className="muted">none</span>}</dd>
          </dl>
          <h3>Traits</h3>
          {traits.length === 0 ? (
            <p className="muted">No traits yet.</p>
          ) : (
            <dl className="facts">
              {traits.map(([k, v]) => (
                <div key={k} className="fact-row">
                  <dt>{k}</dt>
                  <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
                </div>
              ))}
            </dl>
          )}
          {canWrite && <TagForm contactId={p.id} />}
        </section>

        <section className="card" aria-labelledby="score-h">
          <h2 id="score-h">Score explanation</h2>
          <QueryState query={score} loading="Loading the score…">
            {(sd) => <ScoreExplanation s={sd} />}
          </QueryState>
          <h3>Stage history</h3>
          {(p.stage_history ?? []).length === 0 ? (
            <p className="muted">No stage changes yet.</p>
          ) : (
            <ul className="history">
              {[...(p.stage_history ?? [])].reverse().map((s, i) => (
                <li key={i}>
                  {formatDate(s.at)}: {s.from || 'none'} → <strong>{s.to}</strong> — {s.reason} <span className="muted">({s.by})</span>
                </li>
              ))}
            </ul>
          )}
          {canWrite ? <StageForm contactId={p.id} current={p.stage} /> : <p className="muted small">Viewers cannot change stages.</p>}
        </section>
      </div>

      <div className="grid-2">
        <section className="card" aria-labelledby="consent-h">
          <h2 id="consent-h">Consent</h2>
          {(p.consents ?? []).length === 0 ? (
            <p className="muted">No consent recorded. Consent comes from the person: a form or a confirmation link.</p>
          ) : (
            <table>
              <caption className="sr-only">Consent records</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Purpose</th>
                  <th scope="col">Source</th>
                  <th scope="col">Wording</th>
                </tr>
              </thead>
              <tbody>
                {[...(p.consents ?? [])].reverse().map((k, i) => (
                  <tr key={i}>
                    <td>
                      <time dateTime={k.at}>{formatDate(k.at)}</time>
                    </td>
                    <td>{k.purpose}</td>
                    <td>
                      {k.source || '—'}
                      {k.page && <div className="muted small">{k.page}</div>}
                    </td>
                    <td>{k.text || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {(p.unsubscribed_topics ?? []).length > 0 && <p className="small">Unsubscribed from topics: {(p.unsubscribed_topics ?? []).join(', ')}</p>}
        </section>

        <section className="card" aria-labelledby="actions-h">
          <h2 id="actions-h">Actions</h2>
          <ContactActions contact={p} />
        </section>
      </div>

      <section className="card" aria-labelledby="journeys-h">
        <h2 id="journeys-h">Journeys</h2>
        <ContactJourneys contactId={p.id} />
      </section>

      <section className="card" aria-labelledby="messages-h">
        <h2 id="messages-h">Messages</h2>
        <Messages contactId={p.id} />
      </section>

      <section className="card" aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <Timeline contactId={p.id} />
      </section>
    </>
  );
}

function ScoreExplanation({ s }: { s: ScoreView }) {
  return (
    <>
      <p className="score-line">
        Total <strong>{s.score.total}</strong> = fit {s.score.fit} + engagement {s.score.engagement}
      </p>
      <h3>Score over time</h3>
      {s.series.length === 0 ? (
        <EmptyState title="No score changes yet">Points appear as scoring rules match what this contact does; the rules are in the scoring model (definitions/scoring.json or PUT /v1/scoring).</EmptyState>
      ) : (
        <PageErrorBoundary>
          <Suspense fallback={<Loading label="Loading the chart…" />}>
            <ScoreChart series={s.series} />
          </Suspense>
        </PageErrorBoundary>
      )}
      <h3>Points by rule</h3>
      {s.breakdown.length === 0 ? (
        <p className="muted">No scoring rule has matched this contact yet.</p>
      ) : (
        <table>
          <caption className="sr-only">Points by rule</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Points now
              </th>
            </tr>
          </thead>
          <tbody>
            {s.breakdown.map((r) => (
              <tr key={r.rule_id}>
                <td>{r.description || r.rule_id}</td>
                <td>{r.kind}</td>
                <td className="num">{r.points.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {s.history.length > 0 && (
        <details>
          <summary>Every change ({s.history.length})</summary>
          <ul className="history">
            {s.history.map((h, i) => (
              <li key={i}>
                {formatDate(h.at)}: <strong>{h.points > 0 ? `+${h.points}` : h.points}</strong> from {h.rule_id} ({h.event})
                {h.capped && ' — capped'}, worth {h.current_points.toFixed(1)} now
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
