// A campaign's results: totals, per variant and per occurrence, with human
// and machine (mail-privacy proxies, link scanners) opens and clicks kept
// apart. Rates are of delivered mail, as the API computes them.
import { Fragment } from 'react';
import { ErrorMessage, formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import { useCan } from '@/lib/session';
import type { CampaignCounts, CampaignOccurrenceResult } from '@/types/api';
import { useCampaignResults, usePickWinner } from '../api/campaigns';
import { n, pct, resultsByDay } from './campaign';
import { TimeChart } from '@/features/overview/components/TimeChart';

const COLUMNS: { key: string; label: string }[] = [
  { key: 'recipients', label: 'Recipients' },
  { key: 'sent', label: 'Sent' },
  { key: 'delivered', label: 'Delivered' },
  { key: 'unique_opens_human', label: 'Opens (human)' },
  { key: 'unique_opens_machine', label: 'Opens (machine)' },
  { key: 'unique_clicks_human', label: 'Clicks (human)' },
  { key: 'unique_clicks_machine', label: 'Clicks (machine)' },
  { key: 'conversions', label: 'Conversions' },
  { key: 'bounced', label: 'Bounced' },
  { key: 'complained', label: 'Complained' },
  { key: 'unsubscribed', label: 'Unsubscribed' },
];

/** A link's unique human clicks are counted as "click:" + the link without its query (shared/campaign). */
const LINK_PREFIX = 'click:';

/** The links clicked, most clicks first. */
export function linkClicks(t: CampaignCounts | undefined): [string, number][] {
  return Object.entries(t ?? {})
    .filter(([k, v]) => k.startsWith(LINK_PREFIX) && v > 0)
    .map(([k, v]): [string, number] => [k.slice(LINK_PREFIX.length), v])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function CampaignResultsView({ id }: { id: string }) {
  const q = useCampaignResults(id);
  return (
    <section className="card" aria-labelledby="campaign-results-h">
      <h2 id="campaign-results-h">Results</h2>
      <QueryState
        query={q}
        loading="Loading results…"
        isEmpty={(r) => Object.keys(r.totals ?? {}).length === 0 && !r.occurrences?.length}
        empty={{ title: 'Nothing sent yet', next: 'Counts show here once the first send starts.' }}
      >
        {(r) => (
          <>
            <Totals t={r.totals} />
            <ResultsChart occ={r.occurrences} />
            <LinkClicks t={r.totals} />
            {r.variants && Object.keys(r.variants).length > 0 && (
              <CountsTable caption="By variant" first="Variant" rows={Object.entries(r.variants).sort(([a], [b]) => a.localeCompare(b))} />
            )}
            {r.occurrences && r.occurrences.length > 0 && <Occurrences id={id} occ={r.occurrences} />}
          </>
        )}
      </QueryState>
    </section>
  );
}

/** The counters by the day each send started (uPlot, loaded with the first chart). */
function ResultsChart({ occ }: { occ: CampaignOccurrenceResult[] | undefined }) {
  const byDay = resultsByDay(occ);
  if (!byDay) return null;
  return (
    <TimeChart
      title="Results by send day"
      description="Each send's counters on the UTC day it started (opens, clicks and conversions that came later count with their send)."
      days={byDay.days}
      series={byDay.series}
    />
  );
}

function Totals({ t }: { t: CampaignCounts }) {
  const delivered = n(t, 'delivered');
  const facts: [string, string][] = [
    ['Recipients', n(t, 'recipients').toLocaleString()],
    ['Excluded', n(t, 'excluded').toLocaleString()],
    ['Sent', n(t, 'sent').toLocaleString()],
    ['Skipped', n(t, 'skipped').toLocaleString()],
    ['Failed', n(t, 'failed').toLocaleString()],
    ['Delivered', delivered.toLocaleString()],
    ['Bounced', n(t, 'bounced').toLocaleString()],
    ['Complained', n(t, 'complained').toLocaleString()],
    ['Unsubscribed', n(t, 'unsubscribed').toLocaleString()],
    ['Human opens', `${n(t, 'unique_opens_human').toLocaleString()} (${pct(n(t, 'unique_opens_human'), delivered)})`],
    ['Machine opens', `${n(t, 'unique_opens_machine').toLocaleString()} (${pct(n(t, 'unique_opens_machine'), delivered)})`],
    ['Human clicks', `${n(t, 'unique_clicks_human').toLocaleString()} (${pct(n(t, 'unique_clicks_human'), delivered)})`],
    ['Machine clicks', `${n(t, 'unique_clicks_machine').toLocaleString()} (${pct(n(t, 'unique_clicks_machine'), delivered)})`],
    ['Conversions', n(t, 'conversions').toLocaleString()],
    ['Revenue', (n(t, 'revenue_cents') / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })],
  ];
  return (
    <dl className="facts" aria-label="Totals">
      {facts.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

function LinkClicks({ t }: { t: CampaignCounts }) {
  const links = linkClicks(t);
  if (links.length === 0) return null;
  return (
    <div className="table-card">
      <table>
        <caption>Clicks per link (people, once per recipient)</caption>
        <thead>
          <tr>
            <th scope="col">Link</th>
            <th scope="col">Clicks</th>
          </tr>
        </thead>
        <tbody>
          {links.map(([link, clicks]) => (
            <tr key={link}>
              <th scope="row" className="link-cell">
                {link}
              </th>
              <td>{clicks.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CountsTable({ caption, first, rows }: { caption: string; first: string; rows: [string, CampaignCounts][] }) {
  return (
    <div className="table-card">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            {COLUMNS.map((c) => (
              <th scope="col" key={c.key}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, c]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              {COLUMNS.map((col) => (
                <td key={col.key}>{n(c, col.key).toLocaleString()}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Occurrences({ id, occ }: { id: string; occ: CampaignOccurrenceResult[] }) {
  return (
    <>
      <CountsTable caption="By occurrence" first="Occurrence" rows={occ.map((o) => [o.id, o.counts])} />
      <ul className="small" aria-label="Fan-out and A/B test by occurrence">
        {occ.map((o) => (
          <li key={o.id}>
            <strong>{o.id}</strong>: {o.queued.toLocaleString()} queued{o.phase === 'test' ? ' in the A/B test' : ''},{' '}
            {o.fanout_done ? 'fan-out done' : 'fan-out running'}
            {o.started_at ? `, started ${formatDate(o.started_at)}` : ''}
            {o.winner ? `; winner ${o.winner}` : ''}
            {o.decision ? ` (${o.decision.rule}, p = ${o.decision.p_value.toFixed(3)}${o.decision.significant ? ', significant' : ', not significant'})` : ''}
            {!o.winner && o.decide_at ? `; decides ${formatDate(o.decide_at)}` : ''}
            {o.phase === 'test' && o.fanout_done && !o.winner && o.variants && <PickWinner id={id} o={o} />}
          </li>
        ))}
      </ul>
    </>
  );
}

function PickWinner({ id, o }: { id: string; o: CampaignOccurrenceResult }) {
  const can = useCan('marketer');
  const pick = usePickWinner(id);
  if (!can) return null;
  return (
    <span role="group" aria-label={`Pick the winner of ${o.id}`}>
      {' '}
      {Object.keys(o.variants ?? {})
        .sort()
        .map((v) => (
          <button key={v} type="button" disabled={pick.isPending} onClick={() => pick.mutate({ occurrence: o.id, variant: v })}>
            Pick {v}
          </button>
        ))}
      <ErrorMessage error={pick.error} />
    </span>
  );
}
