// The planned sends of a month (GET /v1/calendar), grouped by day. Days
// and times are UTC, as the API plans them, whatever the browser's zone.
import { useState } from 'react';
import { Link } from 'react-router';
import { PageHeader } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import type { CalendarEntry } from '@/types/api';
import { useCalendar } from '../api/campaigns';
import { STATE_LABEL } from '../components/campaign';

/** "2027-01" → the month's first day and the next month's first day. */
export function monthRange(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { from: `${month}-01`, to: `${next}-01` };
}

export function groupByDay(entries: CalendarEntry[]): [string, CalendarEntry[]][] {
  const days = new Map<string, CalendarEntry[]>();
  for (const e of entries) {
    const day = e.at.slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), e]);
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b));
}

const dayLabel = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' });

export function CalendarPage({ initialMonth }: { initialMonth?: string }) {
  const [month, setMonth] = useState(initialMonth ?? new Date().toISOString().slice(0, 7));
  const { from, to } = monthRange(month);
  const q = useCalendar(from, to);
  return (
    <>
      <PageHeader title="Calendar">
        <Link to="/campaigns">Campaigns</Link>
      </PageHeader>
      <p className="muted intro">Planned sends of every campaign that is not a draft. Days and times are UTC.</p>
      <div className="toolbar">
        <label htmlFor="calendar-month">Month</label>{' '}
        <input id="calendar-month" type="month" value={month} onChange={(e) => e.target.value && setMonth(e.target.value)} />
      </div>
      <QueryState
        query={q}
        loading="Loading planned sends…"
        isEmpty={(d) => d.entries.length === 0}
        empty={{ title: 'No sends planned this month', next: 'Schedule a campaign to see its sends here.' }}
      >
        {(d) => (
          <div className="calendar">
            {groupByDay(d.entries).map(([day, es]) => (
              <section key={day} className="card" aria-label={dayLabel(day)}>
                <h2>{dayLabel(day)}</h2>
                <ul>
                  {es.map((e) => (
                    <li key={`${e.campaign}/${e.occurrence}`}>
                      <time dateTime={e.at}>{e.at.slice(11, 16)}</time>{' '}
                      <Link to={`/campaigns/${encodeURIComponent(e.campaign)}`}>{e.name || e.campaign}</Link>{' '}
                      <span className={`badge badge-${e.state}`}>{STATE_LABEL[e.state] ?? e.state}</span>{' '}
                      <span className="muted small">
                        {e.audience_estimate === null ? 'audience not known before a first send' : `about ${e.audience_estimate.toLocaleString()} recipients`}
                        {e.waves && e.waves.length > 0 ? `; ${e.waves.length} wave${e.waves.length === 1 ? '' : 's'} by recipient time` : ''}
                        {e.schedule === 'recurring' ? '; recurring' : ''}
                      </span>
                    </li>
                  ))}
                </ul>
              </section>
            ))}
          </div>
        )}
      </QueryState>
    </>
  );
}
