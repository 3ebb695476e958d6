// Bodies of the admin API as the Go handlers encode them (shared/fn/adminfn,
// shared/contact, shared/scoring, shared/user, shared/audit). Written once
// here; every feature imports them, so a renamed field breaks the build.

export type Role = 'viewer' | 'marketer' | 'approver' | 'admin';

export interface ApiErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

export type Stage = 'subscriber' | 'lead' | 'mql' | 'sql' | 'opportunity' | 'customer' | 'disqualified';
export const STAGES: Stage[] = ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'disqualified'];

export interface StageChange {
  from: Stage | '';
  to: Stage;
  at: string;
  reason: string;
  by: string;
}

export interface Contact {
  id: string;
  email?: string;
  user_id?: string;
  anonymous_ids: string[];
  traits: Record<string, unknown>;
  first_seen: string;
  last_seen: string;
  page_views: number;
  event_count: number;
  sessions: number;
  status?: string;
  consents?: Consent[];
  unsubscribed_topics?: string[];
  tags?: string[];
  stage?: Stage;
  stage_history?: StageChange[];
  owner?: string;
  created_at: string;
  updated_at: string;
}

export interface Score {
  total: number;
  fit: number;
  engagement: number;
}

export interface TrackedEvent {
  type: string;
  messageId: string;
  event?: string;
  name?: string;
  timestamp: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: { page?: { url?: string; path?: string; title?: string } };
}

/** A record of consent given (shared/tracking Consent). */
export interface Consent {
  purpose: string;
  text?: string;
  at: string;
  page?: string;
  ip?: string;
  source?: string;
}

/** One page of GET /v1/contacts/{id}/timeline, newest first. */
export interface TimelinePage {
  contact_id: string;
  events: TrackedEvent[];
  /** Pass as ?before= for the next (older) page; absent on the last page. */
  next_before?: string;
}

/** DELETE /v1/contacts/{id}. */
export interface Erasure {
  erased: boolean;
  contact_id: string;
  contact_ids: string[];
  items_deleted: number;
}

export interface ContactView extends Contact {
  score?: Score;
  events: TrackedEvent[];
  segments?: string[];
  lists?: string[];
}

export interface ContactList {
  contacts: Contact[];
  scanned?: number;
  truncated?: boolean;
}

export interface RuleScore {
  rule_id: string;
  kind: 'fit' | 'engagement';
  description?: string;
  points: number;
}

export interface ScoreHistoryEntry {
  message_id?: string;
  rule_id: string;
  kind: 'fit' | 'engagement';
  points: number;
  capped?: boolean;
  at: string;
  event: string;
  current_points: number;
}

export interface ScoreView {
  contact_id: string;
  score: Score;
  model_version: string;
  stale: boolean;
  breakdown: RuleScore[];
  history: ScoreHistoryEntry[];
  /** The score over time, oldest first: one point per scoring event. */
  series: ScorePoint[];
  stage: Stage | '';
  stage_history: StageChange[] | null;
  owner?: string;
  at: string;
}

export interface User {
  id: string;
  email: string;
  role: Role | '';
  enabled: boolean;
  status: string;
  created_at: string;
}

export interface Invitation extends User {
  temporary_password?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor_id: string;
  actor: string;
  role: string;
  kind: string;
  action: string;
  target?: string;
  status: number;
  request_id?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  next?: string;
}

export interface TemplateAddress {
  name?: string;
  address: string;
}

export interface Template {
  id: string;
  name: string;
  kind: string;
  topic?: string;
  from: TemplateAddress;
  reply_to?: string[];
  subject: string;
  preheader?: string;
  html: string;
  text?: string;
}

export interface TemplateEntry extends Template {
  source: string;
  overrides_repo?: boolean;
  created_at?: string;
  updated_at?: string;
}

export interface TemplateView extends TemplateEntry {
  warnings: string[];
}

export interface TemplateProblem {
  field: string;
  line?: number;
  column?: number;
  message: string;
}

export interface TemplatePreview {
  template_id: string;
  contact_id: string;
  sample: boolean;
  subject: string;
  preheader: string;
  html: string;
  text: string;
  warnings: string[];
}

// Segments and lists (issue 13): the filter grammar is documented in README.md, "Segments and lists".
export type SegmentFilter = Record<string, unknown>;

export interface Segment {
  id: string;
  name: string;
  description?: string;
  timezone?: string;
  filter: SegmentFilter;
}

export interface SegmentView extends Segment {
  count: number;
  state: 'building' | 'ready';
  updated_at?: string | null;
  count_changed_at?: string | null;
  source?: string;
  build?: { id: string; shards_done: number; shards: number };
  version?: number;
  etag?: string;
}

export interface SegmentMember {
  id: string;
  email?: string;
  name?: string;
  stage?: Stage;
}

export interface MembersPage {
  members: SegmentMember[];
  next_cursor: string | null;
}

export interface SegmentPreview {
  count: number;
  sample: SegmentMember[];
  evaluated: number;
  exact: boolean;
}

export interface ListView {
  id: string;
  name: string;
  description?: string;
  count: number;
  updated_at?: string | null;
}

export interface ListChange {
  added?: number;
  removed?: number;
  not_found: string[];
}

// ---- Definitions registry (shared/definition, shared/definition/defapi) ----

export type DefinitionKind = 'forms' | 'templates' | 'interests' | 'scoring' | 'topics' | 'sending' | 'segments' | 'lists' | 'journeys' | 'campaigns';

/** A definition as GET /v1/definitions/{kind}/{id} answers it. */
export interface DefinitionView<T = unknown> {
  kind: DefinitionKind;
  id: string;
  definition: T;
  source: 'repo' | 'api';
  version: number;
  overrides_repo: boolean;
  differs_from_repo: boolean;
  updated_at: string | null;
  updated_by: string | null;
  since?: string;
  created_at?: string;
  etag: string;
  warnings?: string[];
  /** PUT of the scoring model: whether the save started a re-score. */
  rescoring?: boolean;
}

/** One definition in GET /v1/definitions (drift); no body. */
export interface DriftEntry {
  kind: DefinitionKind;
  id: string;
  source: 'repo' | 'api';
  version: number;
  updated_at?: string;
  updated_by?: string;
  overrides_repo: boolean;
  differs_from_repo: boolean;
  since?: string;
}

export interface KindDrift {
  kind: DefinitionKind;
  singleton: boolean;
  definitions: DriftEntry[];
}

/** A problem of POST /v1/definitions/{kind}/{id}/validate: line and column count in `in`. */
export interface DefinitionProblem {
  in: string;
  field?: string;
  line?: number;
  column?: number;
  message: string;
}

export interface Validation {
  kind: DefinitionKind;
  id: string;
  valid: boolean;
  problems: DefinitionProblem[];
  definition?: unknown;
  warnings?: string[];
}

export interface VersionInfo {
  version: number;
  at: string;
  by: string;
  summary: string;
  deleted?: boolean;
}

export interface VersionView {
  kind: DefinitionKind;
  id: string;
  version: number;
  at: string;
  by: string;
  summary: string;
  deleted: boolean;
  definition: unknown;
}

// ---- Reports (GET /v1/reports/overview, /v1/reports/funnel) ----

/** The overview's daily series, by name (shared/report.Series). */
export type SeriesName =
  | 'new_contacts'
  | 'identified_leads'
  | 'events'
  | 'form_fills'
  | 'emails_sent'
  | 'emails_delivered'
  | 'emails_bounced'
  | 'emails_complained'
  | 'opens_human'
  | 'opens_machine'
  | 'clicks_human'
  | 'clicks_machine'
  | 'unsubscribes';

export interface BreakerState {
  state: 'open' | 'closed';
  reason?: string;
  window_hours: number;
  min_sends: number;
  bounce_rate_threshold: number;
  complaint_rate_threshold: number;
  sent: number;
  bounces: number;
  complaints: number;
  bounce_rate: number;
  complaint_rate: number;
}

export interface OverviewReport {
  from: string;
  to: string;
  time_zone: string;
  days: string[];
  series: Record<SeriesName, number[]>;
  totals: Record<SeriesName, number>;
  breaker: BreakerState;
}

export interface FunnelStage {
  stage: string;
  reached: number;
  conversion_to_next: number | null;
  median_hours_to_next: number | null;
  samples_to_next: number;
}

export interface FunnelReport {
  from: string;
  to: string;
  time_zone: string;
  stages: FunnelStage[];
}

// Imports and exports (issue 13).
export interface ImportDefinition {
  file_name?: string;
  columns: { email: string; phone?: string; tags?: string; consent?: string; traits?: Record<string, string> };
  tags?: string[];
  list_id?: string;
  consent?: { evidence: string; purposes?: string[] };
}

export interface ImportView {
  id: string;
  state: 'waiting_upload' | 'running' | 'done' | 'failed';
  error?: string;
  definition: ImportDefinition;
  rows: number;
  imported: number;
  failed: number;
  duplicates: number;
  progress: number;
  error_report?: string;
  created_at: string;
}

export interface ImportCreated {
  id: string;
  state: string;
  upload_url: string;
  upload_method: string;
  upload_headers: Record<string, string>;
}

export interface ExportRequest {
  segment_id?: string;
  list_id?: string;
  format: 'csv' | 'audience';
  columns?: string[];
  target?: 'google_ads' | 'meta';
}

export interface ExportView {
  id: string;
  state: 'running' | 'done' | 'failed';
  error?: string;
  rows: number;
  skipped: number;
  download_url?: string;
  download_expires_at?: string;
}

// --- Journeys (issue 15): the definition as the map reads it, step counts, simulate, runs.
export interface JourneyStep {
  id: string;
  kind: string;
  next?: string;
  email?: { template: string; kind?: string; topic?: string };
  wait?: { for?: string; weekdays?: string[]; at?: string; event?: string; timeout?: string; timeout_next?: string };
  branch?: { cases: { name: string; condition: unknown; next: string }[]; else?: string };
  split?: { name: string; percent: number; next: string }[];
  update?: Record<string, unknown>;
  notify?: { event?: string; webhooks?: boolean; message?: string };
}

export interface Journey {
  id?: string;
  name: string;
  description?: string;
  status: 'draft' | 'live' | 'paused' | string;
  trigger: { kind: string; event?: string; form?: string; segment?: string; stage?: string; score?: number; trait?: string };
  entry?: { rule: string; cool_down?: string };
  goals?: { name: string; event?: string; condition?: unknown }[];
  exit_segment?: string;
  on_new_version?: 'finish' | 'move' | string;
  start: string;
  steps: JourneyStep[];
}

/** One node of GET /v1/journeys/{id}/steps: a step of a version (step "" is the journey as a whole). */
export interface JourneyStepSummary {
  version: number;
  step: string;
  entered: number;
  waiting: number;
  moved_on: number;
  converted: number;
  exited: number;
  completed: number;
  stopped: number;
}

export interface JourneySteps {
  journey_id: string;
  steps: { journey_id: string; version: number; step: string; metric: string; n: number }[];
  nodes: JourneyStepSummary[];
  /** Runs moved along each edge (from "" is the trigger), where the API counts them (h-jour). */
  edges?: { version: number; from: string; to: string; n: number }[];
}

/** One contact whose active run rests at a step (GET /v1/journeys/{id}/steps/{step}/contacts). */
export interface JourneyStepContact {
  contact_id: string;
  email?: string;
  run_id: string;
  since: string;
  waiting_until?: string;
  waiting_for?: string;
  /** Held at this step while the journey is paused. */
  held?: boolean;
}

/** A page of the contacts at a step; next_cursor is absent on the last page. */
export interface JourneyStepContacts {
  journey_id: string;
  version: number;
  step: string;
  contacts: JourneyStepContact[];
  next_cursor?: string;
}

/** One point of a run's path: a step reached, a branch taken (note says why), an end. */
export interface JourneyMark {
  at: string;
  journey: string;
  version: number;
  run: string;
  step?: string;
  kind: string;
  note: string;
}

export interface JourneySimulation {
  journey_id: string;
  path: JourneyMark[];
  sends: string[];
  text: string;
}

/** A 422 invalid_journey's problems, each on the step it concerns. */
export interface JourneyProblem {
  step?: string;
  message: string;
}

export interface JourneyRun {
  contact_id: string;
  journey_id: string;
  version: number;
  run_id: string;
  step: string;
  status: string;
  started_at?: string;
  since?: string;
  waiting_until?: string;
  waiting_for?: string;
  updated_at: string;
  path?: JourneyMark[];
}

// --- Contact page: messages and score over time (adminfn contactmessages.go, scoring.go) ---

/** One change of a score point: ScoreHistoryEntry without the decay now. */
export interface ScoreChange {
  message_id?: string;
  rule_id: string;
  kind: 'fit' | 'engagement';
  points: number;
  capped?: boolean;
  at: string;
  event: string;
}

/** The score just after one event scored, and the changes that event made. */
export interface ScorePoint {
  at: string;
  total: number;
  fit: number;
  event: string;
  changes: ScoreChange[];
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'opened' | 'clicked' | 'bounced' | 'complained' | 'rejected' | 'failed' | 'skipped';

/** One send to the contact (GET /v1/contacts/{id}/messages). */
export interface MessageView {
  send_id: string;
  template_id: string;
  kind: string;
  source: { campaign?: string; journey?: string; run?: string; step?: string; api?: string; form?: string };
  status: MessageStatus;
  state: string;
  reason?: string;
  claimed_at: string;
  sent_at?: string;
  updated_at: string;
  opened_at?: string;
  machine_opened_at?: string;
  clicked_at?: string;
  machine_clicked_at?: string;
}

export interface MessagePage {
  contact_id: string;
  messages: MessageView[];
  /** Pass as ?cursor= for the next (older) page; absent on the last. */
  next?: string;
}

// ---- Campaigns (shared/campaign, adminfn campaigns.go; README "Campaigns") ----

export type CampaignState = 'draft' | 'awaiting_approval' | 'scheduled' | 'sending' | 'sent' | 'paused' | 'cancelled';

export type CampaignSchedule =
  | { type: 'now' }
  | { type: 'at'; at: string; zone: string }
  | { type: 'recipient_time'; date: string; time: string; default_zone?: string }
  | { type: 'recurring'; cron: string; zone: string; end?: string };

export interface CampaignDefinition {
  id: string;
  name: string;
  audience?: { segments?: string[]; lists?: string[]; exclude_segments?: string[] };
  template?: string;
  variants?: { id: string; template: string }[];
  ab_test?: { test_share: number; metric: string; wait: string; confidence?: number; fallback?: string; manual?: boolean };
  topic?: string;
  schedule?: CampaignSchedule;
}

/** The lifecycle record every campaign answer carries as `lifecycle`. */
export interface CampaignLifecycle {
  id: string;
  state: CampaignState;
  content_hash?: string;
  author?: string;
  approval?: { by: string; at: string; content_hash: string };
  scheduled_at?: string;
  scheduled_by?: string;
  first_send_at?: string;
  occurrence?: string;
  resume_to?: CampaignState;
  updated_at?: string;
  version: number;
}

/** One campaign in GET /v1/campaigns (its fields plus registry metadata and state). */
export type CampaignView = CampaignDefinition & {
  state: CampaignState;
  lifecycle?: CampaignLifecycle;
  version: number;
  updated_at: string | null;
  updated_by: string | null;
};

/** POST /v1/campaigns/{id}/schedule|approve|pause|resume|cancel. */
export type CampaignAction = 'schedule' | 'approve' | 'pause' | 'resume' | 'cancel';

export interface CampaignActionAnswer {
  id: string;
  state: CampaignState;
  lifecycle: CampaignLifecycle;
}

/** Counter name → value: recipients, excluded, sent, skipped, failed, delivered, bounced,
 * complained, unsubscribed, unique_opens_human|machine, unique_clicks_human|machine,
 * conversions, revenue_cents. */
export type CampaignCounts = Record<string, number>;

export interface ABDecision {
  winner: string;
  leader: string;
  runner_up?: string;
  z: number;
  p_value: number;
  significant: boolean;
  rule: string;
}

export interface CampaignOccurrenceResult {
  id: string;
  counts: CampaignCounts;
  queued: number;
  phase?: 'all' | 'test' | string;
  fanout_done: boolean;
  started_at?: string;
  winner?: string;
  decision?: ABDecision;
  decide_at?: string;
  variants?: Record<string, CampaignCounts>;
}

/** GET /v1/campaigns/{id}/results. */
export interface CampaignResults {
  id: string;
  state: CampaignState;
  totals: CampaignCounts;
  variants?: Record<string, CampaignCounts>;
  occurrences?: CampaignOccurrenceResult[];
  results?: { rates?: Record<string, number> };
}

/** One planned send in GET /v1/calendar. */
export interface CalendarEntry {
  campaign: string;
  name: string;
  state: CampaignState;
  occurrence: string;
  at: string;
  schedule: CampaignSchedule['type'];
  audience_estimate: number | null;
  waves?: { at: string; zones: string[] }[];
}

/**
 * A journey's planned volume on one UTC day in GET /v1/calendar: its runs
 * whose wait ends that day (they move on then) and, of those, the ones whose
 * next step sends an email.
 */
export interface CalendarJourneyVolume {
  journey: string;
  name: string;
  status: string;
  day: string;
  runs: number;
  emails: number;
}

export interface CalendarAnswer {
  from: string;
  to: string;
  entries: CalendarEntry[];
  /** Absent from servers older than the journeys' volume: read as none. */
  journeys?: CalendarJourneyVolume[];
}
