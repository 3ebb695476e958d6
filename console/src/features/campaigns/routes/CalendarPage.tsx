// The planned sends (GET /v1/calendar) as a month grid or a week, with the
// journeys' planned volume beside the campaigns' sends. Days and times are
// UTC, as the API plans them, whatever the browser's zone. The view and the
// date live in the URL (?view=month&month=2026-12, ?view=week&date=2026-12-07)
// so a reload or a shared link shows the same page.
import { Link, useSearchParams } from 'react-router';
import { PageHeader } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import type { CalendarAnswer, CalendarEntry, CalendarJourneyVolume } from '@/types/api';
import { useCalendar } from '../api/campaigns';
import { STATE_LABEL } from '../components/campaign';

// Dates are "YYYY-MM-DD" strings and months "YYYY-MM": the API's UTC days,
// compared as strings, never as the browser's local dates.
const utc = (day: string) => new Date(`${day}T00:00:00Z`);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export const isDay = (s: string | null): s is string => s !== null && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(utc(s).getTime()) && isoDay(utc(s)) === s;
export const isMonth = (s: string | null): s is string => s !== null && /^\d{4}-(0[1-9]|1[0-2])$/.test(s);

export function addDays(day: string, n: number): string {
  const d = utc(day);
  d.setUTCDate(d.getUTCDate() + n);
  return isoDay(d);
}

export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const t = y * 12 + (m - 1) + n;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}

/** "2027-01" → the month's first day and the next month's first day. */
export function monthRange(month: string): { from: string; to: string } {
  return { from: `${month}-01`, to: `${addMonths(month, 1)}-01` };
}

/** The Monday of the week that holds day. */
export function weekStart(day: string): string {
  return addDays(day, -((utc(day).getUTCDay() + 6) % 7));
}

/** The week that holds day: its Monday and the next Monday. */
export function weekRange(day: string): { from: string; to: string } {
  const from = weekStart(day);
  return { from, to: addDays(from, 7) };
}

/** The month grid: weeks from the Monday on or before the 1st to the Sunday on or after the last day, 7 days each. */
export function monthWeeks(month: string): string[][] {
  const { from, to } = monthRange(month);
  const weeks: string[][] = [];
  for (let monday = weekStart(from); monday < to; monday = addDays(monday, 7)) {
    weeks.push(Array.from({ length: 7 }, (_, i) => addDays(monday, i)));
  }
  return weeks;
}

export function groupByDay(entries: CalendarEntry[]): [string, CalendarEntry[]][] {
  const days = new Map<string, CalendarEntry[]>();
  for (const e of entries) {
    const day = e.at.slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), e]);
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** What one UTC day holds: the campaigns' sends in time order and the journeys' volumes. */
export interface PlannedDay {
  entries: CalendarEntry[];
  journeys: CalendarJourneyVolume[];
}

export function planByDay(d: CalendarAnswer): Map<string, PlannedDay> {
  const days = new Map<string, PlannedDay>();
  const at = (day: string) => {
    let p = days.get(day);
    if (!p) days.set(day, (p = { entries: [], journeys: [] }));
    return p;
  };
  for (const [day, es] of groupByDay(d.entries)) at(day).entries = [...es].sort((a, b) => a.at.localeCompare(b.at));
  for (const j of d.journeys ?? []) at(j.day).journeys.push(j);
  return days;
}

/**
 * The emails a day plans: the campaigns' audience estimates, the journeys' emails (an upper
 * bound: a branch after a wait is decided only then), and how many sends have no estimate yet.
 */
export function plannedEmails(p: PlannedDay): { campaigns: number; journeys: number; unknown: number } {
  let campaigns = 0;
  let unknown = 0;
  for (const e of p.entries) {
    if (e.audience_estimate === null) unknown++;
    else campaigns += e.audience_estimate;
  }
  let journeys = 0;
  for (const j of p.journeys) journeys += j.emails;
  return { campaigns, journeys, unknown };
}

/** The day's total as a marketer reads it: about the campaigns' estimate, up to the journeys' emails. */
export function plannedTotal({ campaigns, journeys, unknown }: ReturnType<typeof plannedEmails>): string | null {
  if (campaigns + journeys === 0) return null;
  const parts: string[] = [];
  if (campaigns > 0) parts.push(`${unknown === 0 ? '≈' : 'at least '}${campaigns.toLocaleString()}`);
  if (journeys > 0) parts.push(`up to ${journeys.toLocaleString()}`);
  return `${parts.join(' + ')} ${campaigns + journeys === 1 ? 'email' : 'emails'} planned`;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export const dayLabel = (day: string) =>
  utc(day).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' });

const shortDay = (day: string) => utc(day).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

const WEEK_SPAN = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

// Monday first: 2024-01-01 was a Monday.
const WEEKDAYS = Array.from({ length: 7 }, (_, i) => addDays('2024-01-01', i)).map((d) => ({
  long: utc(d).toLocaleDateString(undefined, { weekday: 'long', timeZone: 'UTC' }),
  short: utc(d).toLocaleDateString(undefined, { weekday: 'short', timeZone: 'UTC' }),
}));

type View = 'month' | 'week';

export function CalendarPage({ today = new Date().toISOString().slice(0, 10) }: { today?: string }) {
  const [params, setParams] = useSearchParams();
  const view: View = params.get('view') === 'week' ? 'week' : 'month';
  const monthParam = params.get('month');
  const dateParam = params.get('date');
  // Switching views keeps the place: the week of the shown month holds today
  // when the month does, else its 1st; the month is the shown date's.
  const month = isMonth(monthParam) ? monthParam : isDay(dateParam) ? dateParam.slice(0, 7) : today.slice(0, 7);
  const date = isDay(dateParam) ? dateParam : isMonth(monthParam) && monthParam !== today.slice(0, 7) ? `${monthParam}-01` : today;
  const { from, to } = view === 'month' ? monthRange(month) : weekRange(date);
  const q = useCalendar(from, to);

  const showMonth = (m: string) => setParams({ view: 'month', month: m });
  const showWeek = (d: string) => setParams({ view: 'week', date: d });
  const monday = weekStart(date);

  return (
    <>
      <PageHeader title="Calendar">
        <Link to="/campaigns">Campaigns</Link>
      </PageHeader>
      <p className="muted intro">
        Planned sends of every campaign that is not a draft, and the emails journeys plan as their waits end. Days and times are UTC.
      </p>
      <div className="toolbar calendar-toolbar">
        <div className="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={view === 'month'} onClick={() => showMonth(month)}>
            Month
          </button>
          <button type="button" aria-pressed={view === 'week'} onClick={() => showWeek(date)}>
            Week
          </button>
        </div>
        {view === 'month' ? (
          <>
            <button type="button" onClick={() => showMonth(addMonths(month, -1))}>
              Previous month
            </button>
            <label htmlFor="calendar-month">Month</label>
            <input id="calendar-month" type="month" value={month} onChange={(e) => isMonth(e.target.value) && showMonth(e.target.value)} />
            <button type="button" onClick={() => showMonth(addMonths(month, 1))}>
              Next month
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={() => showWeek(addDays(monday, -7))}>
              Previous week
            </button>
            <label htmlFor="calendar-week">Week of</label>
            <input id="calendar-week" type="date" value={date} onChange={(e) => isDay(e.target.value) && showWeek(e.target.value)} />
            <button type="button" onClick={() => showWeek(addDays(monday, 7))}>
              Next week
            </button>
          </>
        )}
      </div>
      <QueryState
        query={q}
        loading="Loading planned sends…"
        isEmpty={(d) => d.entries.length === 0 && (d.journeys ?? []).length === 0}
        empty={{ title: `No sends planned this ${view}`, next: 'Schedule a campaign, or start a journey, to see its sends here.' }}
      >
        {(d) => {
          const plan = planByDay(d);
          return view === 'month' ? (
            <DaysTable
              className="calendar-month"
              caption={`${utc(from).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' })}, by UTC day`}
              weeks={monthWeeks(month)}
              inRange={(day) => day >= from && day < to}
              plan={plan}
              today={today}
              dateText={(day) => String(utc(day).getUTCDate())}
            />
          ) : (
            <DaysTable
              className="calendar-week"
              caption={`Week of ${WEEK_SPAN.formatRange(utc(from), utc(addDays(to, -1)))}, by UTC day`}
              weeks={[Array.from({ length: 7 }, (_, i) => addDays(from, i))]}
              inRange={() => true}
              plan={plan}
              today={today}
              dateText={shortDay}
            />
          );
        }}
      </QueryState>
    </>
  );
}

function DaysTable(props: {
  className: string;
  caption: string;
  weeks: string[][];
  inRange: (day: string) => boolean;
  plan: Map<string, PlannedDay>;
  today: string;
  dateText: (day: string) => string;
}) {
  const { className, caption, weeks, inRange, plan, today, dateText } = props;
  return (
    <table className={`calendar ${className}`}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {WEEKDAYS.map((w) => (
            <th key={w.long} scope="col">
              <span aria-hidden="true">{w.short}</span>
              <span className="sr-only">{w.long}</span>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {weeks.map((week) => (
          <tr key={week[0]}>
            {week.map((day) => {
              const outside = !inRange(day);
              const id = `calendar-day-${day}`;
              const cls = [outside ? 'calendar-outside' : '', day === today ? 'calendar-today' : ''].filter(Boolean).join(' ');
              return (
                <td key={day} className={cls || undefined} aria-labelledby={id} aria-current={day === today ? 'date' : undefined}>
                  <h2 id={id} className="calendar-date">
                    <time dateTime={day}>
                      <span aria-hidden="true">{dateText(day)}</span>
                      <span className="sr-only">{dayLabel(day)}</span>
                    </time>
                  </h2>
                  {!outside && <DayPlan plan={plan.get(day)} />}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DayPlan({ plan }: { plan: PlannedDay | undefined }) {
  if (!plan || (plan.entries.length === 0 && plan.journeys.length === 0)) return null;
  const total = plannedTotal(plannedEmails(plan));
  return (
    <>
      <ul className="calendar-items">
        {plan.entries.map((e) => (
          <li key={`${e.campaign}/${e.occurrence}`} className="calendar-send">
            <time dateTime={e.at}>{e.at.slice(11, 16)}</time> <Link to={`/campaigns/${encodeURIComponent(e.campaign)}`}>{e.name || e.campaign}</Link>{' '}
            <span className={`badge badge-${e.state}`}>{STATE_LABEL[e.state] ?? e.state}</span>{' '}
            <span className="muted small">
              {e.audience_estimate === null ? 'audience not known before a first send' : `about ${plural(e.audience_estimate, 'recipient', 'recipients')}`}
              {e.waves && e.waves.length > 0 ? `; ${plural(e.waves.length, 'wave', 'waves')} by recipient time` : ''}
              {e.schedule === 'recurring' ? '; recurring' : ''}
            </span>
          </li>
        ))}
        {plan.journeys.map((j) => (
          <li key={`journey/${j.journey}`} className="calendar-journey">
            <span className="badge badge-journey">Journey</span> <Link to={`/journeys/${encodeURIComponent(j.journey)}`}>{j.name || j.journey}</Link>
            {j.status !== 'live' ? ` (${j.status})` : ''}: up to {plural(j.emails, 'email', 'emails')}{' '}
            <span className="muted small">({plural(j.runs, 'run moves', 'runs move')} on)</span>
          </li>
        ))}
      </ul>
      {/* The day's total only when something is known: a lone unknown estimate already says so on its send. */}
      {total && <p className="calendar-total small">{total}</p>}
    </>
  );
}
