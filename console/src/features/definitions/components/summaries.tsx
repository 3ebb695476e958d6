// What each kind's definition says, in a few lines beside the editor.
// They read the draft being typed, so they must not trust its shape.
import type { ReactNode } from 'react';

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Obj[]) : []);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String(x)) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="facts small">
      {rows.map(([k, v]) => (
        <div className="fact-row" key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function FormSummary({ d }: { d: unknown }) {
  const f = (d ?? {}) as Obj;
  const fields = arr(f.fields);
  const consent = (f.consent ?? null) as Obj | null;
  return (
    <Facts
      rows={[
        ['Fields', fields.length ? fields.map((x) => `${str(x.name)}${x.required ? '*' : ''} (${str(x.type)})`).join(', ') : 'none'],
        ['Double opt-in', f.double_opt_in ? 'yes: a confirmation email is sent first' : 'no'],
        ['Consent', consent ? `${str(consent.purpose)}, from the “${str(consent.field)}” field` : 'not asked'],
        ['Thank-you page', str(f.thank_you_url) || 'the default'],
        ['Tags', strs(f.tags).join(', ') || '—'],
        ['Lists', strs(f.lists).join(', ') || '—'],
      ]}
    />
  );
}

export function ScoringSummary({ d }: { d: unknown }) {
  const m = (d ?? {}) as Obj;
  const engagement = arr(m.engagement);
  const fit = arr(m.fit);
  const stages = arr((m.stages as Obj | undefined)?.transitions);
  const routing = (m.routing ?? {}) as Obj;
  return (
    <Facts
      rows={[
        ['Engagement rules', `${engagement.length} (points decay with a half-life of ${str(m.half_life_days) || '?'} days)`],
        ['Fit rules', String(fit.length)],
        ['Stage rules', stages.length ? stages.map((s) => `${str(s.id)} → ${str(s.to)}`).join(', ') : 'none'],
        ['Routing', routing.on_stage ? `on reaching ${str(routing.on_stage)}, ${Object.keys((routing.teams ?? {}) as Obj).length} teams` : 'off'],
      ]}
    />
  );
}

export function TopicsSummary({ d }: { d: unknown }) {
  const topics = arr((d as Obj | null)?.topics);
  if (!topics.length) return <p className="muted">No topics: add one so contacts can choose what they receive in the preference centre.</p>;
  return (
    <ul className="small">
      {topics.map((t) => (
        <li key={str(t.id)}>
          <strong>{str(t.name)}</strong> <code>{str(t.id)}</code>
          {t.description ? <span className="muted">: {str(t.description)}</span> : null}
        </li>
      ))}
    </ul>
  );
}

export function InterestsSummary({ d }: { d: unknown }) {
  const rules = arr((d as Obj | null)?.rules);
  if (!rules.length) return <p className="muted">No rules: add one to tag contacts with an interest when they visit a page or send an event.</p>;
  return (
    <ul className="small">
      {rules.map((r, i) => (
        <li key={i}>
          <strong>{str(r.interest)}</strong> when{' '}
          {[r.path_prefix && `a page under ${str(r.path_prefix)}`, r.path_glob && `a page matching ${str(r.path_glob)}`, r.category && `category ${str(r.category)}`, r.event && `event “${str(r.event)}”`]
            .filter(Boolean)
            .join(' or ')}
        </li>
      ))}
    </ul>
  );
}

export function SendingSummary({ d }: { d: unknown }) {
  const s = (d ?? {}) as Obj;
  const sender = (s.sender ?? {}) as Obj;
  const from = (sender.from ?? {}) as Obj;
  const quiet = s.quiet_hours as Obj | undefined;
  const breaker = (s.circuit_breaker ?? {}) as Obj;
  return (
    <Facts
      rows={[
        ['From', `${str(from.name)} <${str(from.address)}>`],
        ['Frequency caps', arr(s.frequency_caps).map((c) => `${str(c.max)} per ${str(c.per)}`).join(', ') || 'none'],
        ['Quiet hours', quiet ? `${str(quiet.start)}–${str(quiet.end)} (${str(s.default_timezone) || 'UTC'})` : 'none'],
        ['Opt-in required', s.require_opt_in ? 'yes' : 'no'],
        ['Circuit breaker', `pauses when bounces pass ${pct(breaker.bounce_rate)} or complaints ${pct(breaker.complaint_rate)} over ${str(breaker.window_hours)} h`],
      ]}
    />
  );
}

function pct(v: unknown): string {
  return typeof v === 'number' ? `${+(v * 100).toFixed(3)}%` : '?';
}
