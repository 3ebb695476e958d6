import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading, PageHeader } from '@/components/ui';
import type { OverviewReport } from '@/types/api';
import { useFunnel, useOverview } from '../api/reports';
import { BreakerCard } from '../components/BreakerCard';
import { FunnelChart } from '../components/FunnelChart';
import { PERIODS, customRangeProblem, isEmpty, rangeOf, ratePct, type Period, type Range } from '../components/period';
import { TimeChart, type ChartSeries } from '../components/TimeChart';

const C = { blue: '#2f5bea', teal: '#0e9384', violet: '#7a5af8', orange: '#e4630c', red: '#d92d20', grey: '#98a2b3', green: '#12b76a' };

export function OverviewPage({ now = () => new Date() }: { now?: () => Date }) {
  const [period, setPeriod] = useState<Period>('30');
  const [custom, setCustom] = useState<Range>(() => rangeOf('30', now()));
  const [draft, setDraft] = useState<Range>(custom);
  const range = useMemo(() => (period === 'custom' ? custom : rangeOf(period, now())), [period, custom, now]);
  const overview = useOverview(range);
  const funnel = useFunnel(range);
  const problem = period === 'custom' ? customRangeProblem(draft) : null;

  return (
    <>
      <PageHeader title="Overview">
        <span className="muted small">
          {range.from === range.to ? range.from : `${range.from} to ${range.to}`} · days in UTC
        </span>
      </PageHeader>
      <form
        className="toolbar"
        aria-label="Choose the period"
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem) setCustom(draft);
        }}
      >
        <label>
          Period
          <select value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
            {PERIODS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        {period === 'custom' && (
          <>
            <label>
              From
              <input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} aria-describedby="range-problem" />
            </label>
            <label>
              To
              <input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} aria-describedby="range-problem" />
            </label>
            <button type="submit" disabled={!!problem}>
              Show
            </button>
            <span id="range-problem" className="small" role={problem ? 'alert' : undefined}>
              {problem}
            </span>
          </>
        )}
      </form>
      <ErrorMessage error={overview.error} />
      {overview.isPending && !overview.error && <Loading label="Loading the counts…" />}
      {overview.data && <OverviewCharts o={overview.data} />}
      <ErrorMessage error={funnel.error} />
      {funnel.data && <FunnelChart funnel={funnel.data} />}
    </>
  );
}

function OverviewCharts({ o }: { o: OverviewReport }) {
  const s = o.series;
  const t = o.totals;
  const b = o.breaker;
  const bounceRate = ratePct(s.emails_bounced, s.emails_sent);
  const complaintRate = ratePct(s.emails_complained, s.emails_sent);
  const line = (v: number) => o.days.map(() => v * 100);
  const charts: { title: string; description: string; series: ChartSeries[]; unit?: '%' }[] = [
    {
      title: 'Contacts',
      description: 'New contacts (any visitor) and identified leads (known by email or user id) per day.',
      series: [
        { label: 'New contacts', values: s.new_contacts, color: C.blue },
        { label: 'Identified leads', values: s.identified_leads, color: C.teal },
      ],
    },
    {
      title: 'Activity',
      description: 'Events from your sites and forms, and form fills, per day.',
      series: [
        { label: 'Events', values: s.events, color: C.violet },
        { label: 'Form fills', values: s.form_fills, color: C.orange },
      ],
    },
    {
      title: 'Email delivery',
      description: 'Mails sent and delivered, bounces and complaints per day.',
      series: [
        { label: 'Sent', values: s.emails_sent, color: C.blue },
        { label: 'Delivered', values: s.emails_delivered, color: C.green },
        { label: 'Bounced', values: s.emails_bounced, color: C.orange },
        { label: 'Complaints', values: s.emails_complained, color: C.red },
      ],
    },
    {
      title: 'Bounce rate',
      description: "Bounces per mail sent that day, against the circuit breaker's threshold (dashed).",
      unit: '%',
      series: [
        { label: 'Bounce rate', values: bounceRate, color: C.orange },
        { label: 'Breaker threshold', values: line(b.bounce_rate_threshold), color: C.red, dashed: true },
      ],
    },
    {
      title: 'Complaint rate',
      description: "Complaints per mail sent that day, against the circuit breaker's threshold (dashed).",
      unit: '%',
      series: [
        { label: 'Complaint rate', values: complaintRate, color: C.red },
        { label: 'Breaker threshold', values: line(b.complaint_rate_threshold), color: C.red, dashed: true },
      ],
    },
    {
      title: 'Opens',
      description: 'First opens of each mail by people, and apart, by privacy proxies and scanners (machines).',
      series: [
        { label: 'Human opens', values: s.opens_human, color: C.blue },
        { label: 'Machine opens', values: s.opens_machine, color: C.grey },
      ],
    },
    {
      title: 'Clicks',
      description: 'Unique clicks per mail and link by people, and apart, by link scanners (machines).',
      series: [
        { label: 'Human clicks', values: s.clicks_human, color: C.teal },
        { label: 'Machine clicks', values: s.clicks_machine, color: C.grey },
      ],
    },
    {
      title: 'Unsubscribes',
      description: 'Opt-outs from all marketing or from one topic, per day.',
      series: [{ label: 'Unsubscribes', values: s.unsubscribes, color: C.red }],
    },
  ];
  return (
    <>
      <ul className="kpis" aria-label="Totals for the period">
        <li>
          <span className="kpi-value">{t.new_contacts.toLocaleString('en-US')}</span> new contacts
        </li>
        <li>
          <span className="kpi-value">{t.identified_leads.toLocaleString('en-US')}</span> identified leads
        </li>
        <li>
          <span className="kpi-value">{t.events.toLocaleString('en-US')}</span> events
        </li>
        <li>
          <span className="kpi-value">{t.form_fills.toLocaleString('en-US')}</span> form fills
        </li>
        <li>
          <span className="kpi-value">{t.emails_sent.toLocaleString('en-US')}</span> emails sent
        </li>
        <li>
          <span className="kpi-value">{t.opens_human.toLocaleString('en-US')}</span> human opens
        </li>
      </ul>
      <BreakerCard b={b} />
      {isEmpty(o) ? (
        <EmptyState title="Nothing counted in this period yet">
          Add the tracking snippet to your site (or send events to <code>/v1/batch</code> with your site's write key) and new contacts, events and form fills
          show up here within seconds. Already tracking? Pick a longer period, or check the <Link to="/contacts">contacts</Link> that came in.
        </EmptyState>
      ) : (
        <div className="chart-grid">
          {charts.map((c) => (
            <TimeChart key={c.title} title={c.title} description={c.description} days={o.days} series={c.series} unit={c.unit} />
          ))}
        </div>
      )}
    </>
  );
}
