// What the campaign pages say about a campaign: its schedule in words, its
// state's label, and which lifecycle actions its state and the user's role
// allow (the same table as shared/campaign/lifecycle.go; the API refuses
// the others with 409 invalid_state or 403).
import type { CampaignAction, CampaignCounts, CampaignLifecycle, CampaignOccurrenceResult, CampaignSchedule, CampaignState, Role } from '@/types/api';

export const STATE_LABEL: Record<CampaignState, string> = {
  draft: 'Draft',
  awaiting_approval: 'Awaiting approval',
  scheduled: 'Scheduled',
  sending: 'Sending',
  sent: 'Sent',
  paused: 'Paused',
  cancelled: 'Cancelled',
};

export function describeSchedule(s: CampaignSchedule | undefined): string {
  if (!s) return 'No schedule';
  switch (s.type) {
    case 'now':
      return 'As soon as scheduled';
    case 'at':
      return `${s.at.replace('T', ' ')} (${s.zone})`;
    case 'recipient_time':
      return `${s.date} ${s.time} in each recipient's zone${s.default_zone ? ` (default ${s.default_zone})` : ''}`;
    case 'recurring':
      return `Recurring: cron ${s.cron} (${s.zone})${s.end ? ` until ${s.end.replace('T', ' ')}` : ''}`;
  }
}

export interface ActionInfo {
  action: CampaignAction;
  label: string;
  /** The least role that may take it. */
  role: Role;
  /** Said before a step that cannot be undone. */
  confirm?: string;
}

const ACTIONS: Record<CampaignAction, ActionInfo> = {
  schedule: { action: 'schedule', label: 'Schedule', role: 'marketer' },
  approve: { action: 'approve', label: 'Approve', role: 'approver' },
  pause: { action: 'pause', label: 'Pause', role: 'marketer' },
  resume: { action: 'resume', label: 'Resume', role: 'marketer' },
  cancel: { action: 'cancel', label: 'Cancel campaign', role: 'marketer', confirm: 'Cancel this campaign for good? Queued sends are skipped and its schedule is deleted.' },
};

/** The actions the state allows, in the order the page shows them. */
export function actionsFor(state: CampaignState, lifecycle?: CampaignLifecycle): ActionInfo[] {
  const approvedNow = !!lifecycle?.approval && lifecycle.approval.content_hash === lifecycle.content_hash;
  const out: CampaignAction[] = [];
  if (state === 'draft') out.push('schedule');
  if (state === 'awaiting_approval') out.push('approve');
  else if ((state === 'draft' || state === 'scheduled' || state === 'paused') && !approvedNow) out.push('approve');
  if (state === 'scheduled' || state === 'sending') out.push('pause');
  if (state === 'paused') out.push('resume');
  if (state !== 'sent' && state !== 'cancelled') out.push('cancel');
  return out.map((a) => ACTIONS[a]);
}

export const n = (c: CampaignCounts | undefined, k: string) => c?.[k] ?? 0;

/** share of a in b as a percentage, or a dash when b is 0. */
export function pct(a: number, b: number): string {
  return b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '—';
}

/** The counters the results chart draws, in its order. */
export const CHART_COUNTERS: { key: string; label: string; color: string }[] = [
  { key: 'sent', label: 'Sent', color: '#2f5bea' },
  { key: 'delivered', label: 'Delivered', color: '#12b76a' },
  { key: 'unique_opens_human', label: 'Human opens', color: '#0e9384' },
  { key: 'unique_clicks_human', label: 'Human clicks', color: '#7a5af8' },
  { key: 'conversions', label: 'Conversions', color: '#e4630c' },
];

const DAY_MS = 86_400_000;

/**
 * The results over time: each counter summed by the UTC day its
 * occurrence started, every day from the first send to the last (the API
 * counts per occurrence, not per day, so a one-off campaign is one point
 * and a recurring one a point per send day). Null without a started send.
 */
export function resultsByDay(occ: CampaignOccurrenceResult[] | undefined): { days: string[]; series: { key: string; label: string; color: string; values: number[] }[] } | null {
  const started = (occ ?? []).filter((o) => o.started_at && !o.started_at.startsWith('0001-'));
  if (started.length === 0) return null;
  const byDay = new Map<string, CampaignCounts[]>();
  for (const o of started) {
    const d = o.started_at!.slice(0, 10);
    byDay.set(d, [...(byDay.get(d) ?? []), o.counts]);
  }
  const sorted = [...byDay.keys()].sort();
  const days: string[] = [];
  const last = Date.parse(`${sorted[sorted.length - 1]}T00:00:00Z`);
  // At most a year of days: a recurring campaign's older sends drop off the left.
  for (let t = Math.max(Date.parse(`${sorted[0]}T00:00:00Z`), last - 365 * DAY_MS); t <= last; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  const series = CHART_COUNTERS.map((c) => ({ ...c, values: days.map((d) => (byDay.get(d) ?? []).reduce((sum, counts) => sum + n(counts, c.key), 0)) }));
  return { days, series };
}
