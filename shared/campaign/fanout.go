package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
)

// Member is one contact of a member index page, with the zone a
// recipient-time send needs.
type Member struct {
	ID       string
	Timezone string
}

// MemberPager reads the audience from the membership index, one page at a
// time: the fan-out never holds more than a page.
type MemberPager interface {
	// MemberPage returns up to limit members of a segment or list after
	// cursor, and the cursor of the next page ("" after the last).
	MemberPage(ctx context.Context, src Source, cursor string, limit int) ([]Member, string, error)
	// InSegments returns which of the contacts are members of any of the
	// segments (the exclusions).
	InSegments(ctx context.Context, segments, contactIDs []string) (map[string]bool, error)
}

// ZoneReader gives recipients' time zones ("" or missing when unknown):
// the member index holds ids only, and only a recipient-time send needs
// the zone, so only it pays for the read.
type ZoneReader interface {
	Timezones(ctx context.Context, contactIDs []string) (map[string]string, error)
}

// Store keeps campaign states and fan-out checkpoints; every write is a
// compare-and-set on the version read (ErrStateConflict when it moved).
type Store interface {
	CampaignState(ctx context.Context, id string) (State, error) // ErrNotFound
	SaveCampaignState(ctx context.Context, st State, prev int64) error
	Run(ctx context.Context, campaign, occurrence string) (Run, error) // ErrNotFound
	SaveRun(ctx context.Context, r Run, prev int64) error
}

// Definitions gives a campaign's definition in effect (the registry).
type Definitions interface {
	Campaign(ctx context.Context, id string) (Campaign, error)
}

// Queue carries fan-out chunk messages (the jobs queue).
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

// SendQueue takes send requests for the mail pipeline, several per call.
type SendQueue interface {
	EnqueueBatch(ctx context.Context, bodies []string) error
}

// Counters add to a campaign's result counters (sharded in the store).
type Counters interface {
	Add(ctx context.Context, campaign, occurrence, variant string, deltas map[string]int64) error
}

// Timers schedules one-time firings at runtime (the A/B decision): the
// EventBridge Scheduler adapter on AWS, the runner's schedule list locally.
type Timers interface {
	At(ctx context.Context, name string, at time.Time, msg Chunk) error
}

// Counter names.
const (
	CountRecipients   = "recipients"
	CountExcluded     = "excluded"
	CountSent         = "sent"
	CountDelivered    = "delivered"
	CountBounced      = "bounced"
	CountComplained   = "complained"
	CountUnsubscribed = "unsubscribed"
	CountOpensHuman   = "unique_opens_human"
	CountOpensMachine = "unique_opens_machine"
	CountClicksHuman  = "unique_clicks_human"
	CountClicksBot    = "unique_clicks_machine"
	CountConversions  = "conversions"
	CountRevenueCents = "revenue_cents"
)

// Phases of an occurrence's fan-out.
const (
	// PhaseAll sends to the whole audience (no A/B test), or, after an
	// A/B test, to everyone outside its share.
	PhaseAll  = "all"
	PhaseTest = "test"
	PhaseRest = "rest"
)

// Run is an occurrence's fan-out checkpoint: where the next page starts.
// Every page moves it on by one Seq with a conditional write, so a page is
// counted once however often it is read.
type Run struct {
	Campaign   string    `json:"campaign"`
	Occurrence string    `json:"occurrence"`
	Phase      string    `json:"phase"`
	Source     int       `json:"source"`
	Cursor     string    `json:"cursor,omitempty"`
	Seq        int       `json:"seq"`
	Done       bool      `json:"done,omitempty"`
	Recipients int64     `json:"recipients"`
	Excluded   int64     `json:"excluded"`
	StartedAt  time.Time `json:"started_at"`
	// DecideAt is when an A/B test's winner is chosen.
	DecideAt time.Time `json:"decide_at,omitzero"`
	Winner   string    `json:"winner,omitempty"`
	Decision *Decision `json:"decision,omitempty"`
	// Zones are a recipient-time run's recipients by zone (the default
	// zone for those without one): the calendar plans the next waves of
	// the zones this audience has.
	Zones map[string]int64 `json:"zones,omitempty"`
	// Templates are the contents fixed when the run started, by variant.
	Templates map[string]string `json:"templates"`
	Version   int64             `json:"version"`
}

// Chunk is a fan-out message: the page Seq of an occurrence's run (its
// cursor is in the run), or a firing.
type Chunk struct {
	Kind       string `json:"kind"` // ChunkFire, ChunkPage, ChunkDecide
	Campaign   string `json:"campaign"`
	Occurrence string `json:"occurrence"`
	Seq        int    `json:"seq,omitempty"`
	// Phase and Zone name a wave (ChunkWave).
	Phase string `json:"phase,omitempty"`
	Zone  string `json:"zone,omitempty"`
}

// Chunk kinds.
const (
	ChunkFire   = "campaign-fire"
	ChunkPage   = "campaign-page"
	ChunkDecide = "campaign-decide"
	// ChunkWave is a step of a recipient-time send's wave in one zone.
	ChunkWave = "campaign-wave"
)

// Encode makes a queue body. HTML escaping stays off: the Scheduler
// substitutes its <aws.scheduler.scheduled-time> placeholder only as
// written, not as \u003c...\u003e.
func (c Chunk) Encode() string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c) // a struct of strings always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// DecodeChunk reads a queue body.
func DecodeChunk(body string) (Chunk, error) {
	var c Chunk
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("decode campaign chunk: %w", err)
	}
	switch c.Kind {
	case ChunkFire, ChunkPage, ChunkDecide:
	case ChunkWave:
		if c.Phase == "" || c.Zone == "" {
			return c, fmt.Errorf("decode campaign chunk: a wave needs its phase and zone")
		}
	default:
		return c, fmt.Errorf("decode campaign chunk: unknown kind %q", c.Kind)
	}
	if c.Campaign == "" || c.Occurrence == "" {
		return c, fmt.Errorf("decode campaign chunk: campaign and occurrence are required")
	}
	return c, nil
}

// ErrEarly: a page message arrived before the checkpoint it follows was
// written (the previous page's writer is still at work, or crashed and
// its message will be delivered again). The queue retries it.
var ErrEarly = errors.New("campaign page arrived before its checkpoint")

// Fanout turns a schedule firing into send requests, one page of the
// audience per message.
type Fanout struct {
	Store       Store
	Definitions Definitions
	Members     MemberPager
	// Zones fills the zones of members the pager gave without one, for
	// recipient-time sends (nil: the pager's zones, or the default).
	Zones    ZoneReader
	Queue    Queue
	Sends    SendQueue
	Counters Counters
	Timers   Timers
	// Waves and WaveTimers send a recipient-time campaign in waves
	// (wave.go): chunks by zone, one timer per zone. Required for
	// recipient-time campaigns.
	Waves      WaveStore
	WaveTimers WaveTimers
	// Schedules, when set, loses a campaign's schedule once it is sent.
	Schedules Scheduler
	// Results gives an A/B test's variant counts for the decision.
	Results interface {
		VariantCounts(ctx context.Context, campaign, occurrence, metric string, variants []Variant) ([]VariantCount, error)
	}
	PageSize int
	// EarlyWait is how long a page message that arrived before its
	// checkpoint looks again for it (every 100 ms) before it fails back
	// to the queue, whose retry comes only after the visibility timeout
	// (3 minutes). 0: it fails at once.
	EarlyWait time.Duration
	// WaitOverride, when set, replaces an A/B test's wait (fast local and
	// test runs; never set on AWS).
	WaitOverride time.Duration
	Log          *slog.Logger
	Now          func() time.Time
}

func (f *Fanout) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fanout) pageSize() int {
	if f.PageSize > 0 {
		return f.PageSize
	}
	return 500
}

// Handle runs one fan-out message.
func (f *Fanout) Handle(ctx context.Context, c Chunk) error {
	switch c.Kind {
	case ChunkFire:
		occ, err := NormalizeOccurrence(c.Occurrence)
		if err != nil {
			return fmt.Errorf("fire campaign %s: %w", c.Campaign, err)
		}
		return f.Fire(ctx, c.Campaign, occ)
	case ChunkPage:
		return f.Page(ctx, c)
	case ChunkDecide:
		return f.Decide(ctx, c.Campaign, c.Occurrence)
	case ChunkWave:
		return f.Wave(ctx, c)
	}
	return fmt.Errorf("campaign chunk kind %q", c.Kind)
}

// Fire starts an occurrence: the schedule's firing (EventBridge Scheduler
// on AWS, the runner locally, the API for "now"). A retried firing finds
// the run and only makes sure its chain goes on. A firing that finds the
// campaign paused is kept as its pending occurrence, which resume fires.
func (f *Fanout) Fire(ctx context.Context, id, occurrence string) error {
	st, err := f.Store.CampaignState(ctx, id)
	if errors.Is(err, ErrNotFound) {
		// Only the stack schedules a campaign nobody acted on: one kept in
		// the repo, reviewed there. Its first firing gives it a state.
		if _, derr := f.Definitions.Campaign(ctx, id); derr != nil {
			return fmt.Errorf("fire campaign %s: %w", id, derr)
		}
		st = State{ID: id, Status: Scheduled, Author: "repo", UpdatedAt: f.now().UTC()}
		if err := f.Store.SaveCampaignState(ctx, st, 0); err != nil {
			return fmt.Errorf("fire repo campaign %s: %w", id, err)
		}
		st.Version = 1
		err = nil
	}
	if err != nil {
		return fmt.Errorf("fire campaign %s: %w", id, err)
	}
	switch st.Status {
	case Scheduled, Sending:
	case Paused:
		if st.Occurrence == occurrence {
			return nil
		}
		next := st
		next.Occurrence = occurrence
		if err := f.Store.SaveCampaignState(ctx, next, st.Version); err != nil {
			return fmt.Errorf("fire paused campaign %s: %w", id, err)
		}
		f.Log.InfoContext(ctx, "campaign firing held: paused", "campaign_id", id, "occurrence", occurrence)
		return nil
	default:
		f.Log.InfoContext(ctx, "campaign firing ignored", "campaign_id", id, "occurrence", occurrence, "state", st.Status)
		return nil
	}
	run, err := f.Store.Run(ctx, id, occurrence)
	if errors.Is(err, ErrNotFound) {
		run, err = f.createRun(ctx, id, occurrence)
	}
	if err != nil {
		return fmt.Errorf("fire campaign %s/%s: %w", id, occurrence, err)
	}
	if run.Done {
		return nil
	}
	if st.Status == Scheduled || st.Occurrence != occurrence {
		next, err := st.Start(f.now())
		if err != nil {
			return fmt.Errorf("fire campaign %s: %w", id, err)
		}
		next.Occurrence = occurrence
		if err := f.Store.SaveCampaignState(ctx, next, st.Version); err != nil {
			// A pause or cancel won the race: the message comes back and
			// reads the new state.
			return fmt.Errorf("fire campaign %s: start: %w", id, err)
		}
		f.Log.InfoContext(ctx, "campaign occurrence started", "campaign_id", id, "occurrence", occurrence, "phase", run.Phase)
	}
	return f.enqueuePage(ctx, run)
}

// createRun fixes an occurrence's content: the run keeps the templates of
// the definition in effect when it started.
func (f *Fanout) createRun(ctx context.Context, id, occurrence string) (Run, error) {
	c, err := f.Definitions.Campaign(ctx, id)
	if err != nil {
		return Run{}, fmt.Errorf("definition: %w", err)
	}
	run := Run{Campaign: id, Occurrence: occurrence, Phase: PhaseAll, StartedAt: f.now().UTC(), Templates: map[string]string{}}
	if c.Template != "" {
		run.Templates[""] = c.Template
	}
	for _, v := range c.Variants {
		run.Templates[v.ID] = v.Template
	}
	if len(c.Variants) > 0 {
		run.Phase = PhaseTest
	}
	err = f.Store.SaveRun(ctx, run, 0)
	if errors.Is(err, ErrStateConflict) {
		return f.Store.Run(ctx, id, occurrence) // another firing created it
	}
	if err != nil {
		return Run{}, fmt.Errorf("create run: %w", err)
	}
	run.Version = 1
	return run, nil
}

func (f *Fanout) enqueuePage(ctx context.Context, run Run) error {
	c := Chunk{Kind: ChunkPage, Campaign: run.Campaign, Occurrence: run.Occurrence, Seq: run.Seq}
	if err := f.Queue.Enqueue(ctx, c.Encode()); err != nil {
		return fmt.Errorf("queue campaign %s/%s page %d: %w", run.Campaign, run.Occurrence, run.Seq, err)
	}
	return nil
}

// Page reads one page of the audience, queues its sends, queues the next
// page and moves the checkpoint on. A crash anywhere repeats at most this
// page, whose send ids the pipeline has already seen: nobody is mailed
// twice or skipped.
func (f *Fanout) Page(ctx context.Context, msg Chunk) error {
	st, err := f.Store.CampaignState(ctx, msg.Campaign)
	if err != nil {
		return fmt.Errorf("campaign %s page: %w", msg.Campaign, err)
	}
	if st.Status != Sending {
		// Paused: resume queues the checkpoint's page again. Cancelled,
		// sent: nothing more to do.
		f.Log.InfoContext(ctx, "campaign page stopped", "campaign_id", msg.Campaign, "occurrence", msg.Occurrence, "seq", msg.Seq, "state", st.Status)
		return nil
	}
	run, err := f.Store.Run(ctx, msg.Campaign, msg.Occurrence)
	// The previous page queues this message just before it writes the
	// checkpoint (so a crash between the two repeats a page and never
	// skips one): picked up in between, the message finds the old one.
	// The checkpoint is usually milliseconds away.
	for waited := time.Duration(0); err == nil && !run.Done && msg.Seq > run.Seq && waited < f.EarlyWait; waited += earlyPoll {
		if err := sleep(ctx, earlyPoll); err != nil {
			return fmt.Errorf("campaign %s/%s page %d: %w", msg.Campaign, msg.Occurrence, msg.Seq, err)
		}
		run, err = f.Store.Run(ctx, msg.Campaign, msg.Occurrence)
	}
	if err != nil {
		return fmt.Errorf("campaign %s/%s page: %w", msg.Campaign, msg.Occurrence, err)
	}
	switch {
	case run.Done && msg.Seq == run.Seq-1:
		// The last page's message again: its invocation may have died
		// between the checkpoint and what follows it.
		c, err := f.Definitions.Campaign(ctx, msg.Campaign)
		if err != nil {
			return fmt.Errorf("campaign %s page: definition: %w", msg.Campaign, err)
		}
		return f.afterDone(ctx, c, st, run)
	case run.Done || msg.Seq < run.Seq:
		return nil // done already: this is a duplicate
	case msg.Seq > run.Seq:
		return fmt.Errorf("campaign %s/%s page %d (checkpoint at %d): %w", msg.Campaign, msg.Occurrence, msg.Seq, run.Seq, ErrEarly)
	}
	c, err := f.Definitions.Campaign(ctx, msg.Campaign)
	if err != nil {
		return fmt.Errorf("campaign %s page: definition: %w", msg.Campaign, err)
	}
	sources := c.Audience.Sources()
	next := run
	next.Seq++
	if run.Source < len(sources) {
		members, cursor, err := f.Members.MemberPage(ctx, sources[run.Source], run.Cursor, f.pageSize())
		if err != nil {
			return fmt.Errorf("campaign %s page %d: members of %s %s: %w", msg.Campaign, msg.Seq, sources[run.Source].Kind, sources[run.Source].ID, err)
		}
		sent, excluded, zones, err := f.send(ctx, c, run, members)
		if err != nil {
			return err
		}
		if len(zones) > 0 {
			next.Zones = make(map[string]int64, len(run.Zones)+len(zones))
			for z, n := range run.Zones {
				next.Zones[z] = n
			}
			for z, n := range zones {
				next.Zones[z] += n
			}
		}
		next.Recipients += int64(sent)
		next.Excluded += int64(excluded)
		next.Cursor = cursor
		if cursor == "" {
			next.Source, next.Cursor = run.Source+1, ""
		}
	}
	if next.Source >= len(sources) {
		return f.phaseDone(ctx, c, st, run, next)
	}
	// The next page's message before the checkpoint: if this invocation
	// dies between the two, its message comes back and redoes the page
	// (same send ids), and the early message waits for the checkpoint.
	if err := f.enqueuePage(ctx, next); err != nil {
		return err
	}
	return f.checkpoint(ctx, run, next)
}

// earlyPoll is how often an early page message reads its checkpoint.
const earlyPoll = 100 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (f *Fanout) checkpoint(ctx context.Context, run, next Run) error {
	err := f.Store.SaveRun(ctx, next, run.Version)
	if errors.Is(err, ErrStateConflict) {
		return nil // a duplicate of this page got there first
	}
	if err != nil {
		return fmt.Errorf("campaign %s/%s checkpoint %d: %w", run.Campaign, run.Occurrence, next.Seq, err)
	}
	if f.Counters != nil && (next.Recipients != run.Recipients || next.Excluded != run.Excluded) {
		variant := ""
		if err := f.Counters.Add(ctx, run.Campaign, run.Occurrence, variant, map[string]int64{
			CountRecipients: next.Recipients - run.Recipients, CountExcluded: next.Excluded - run.Excluded,
		}); err != nil {
			// The run keeps the true count; the live counter catches up
			// from it when the occurrence ends.
			f.Log.WarnContext(ctx, "campaign recipient counter", "campaign_id", run.Campaign, "error", err)
		}
	}
	return nil
}

// send queues one page's send requests; it returns how many were queued,
// how many were excluded, and, for a recipient-time send, how many were
// queued in each zone.
func (f *Fanout) send(ctx context.Context, c Campaign, run Run, members []Member) (int, int, map[string]int64, error) {
	if len(members) == 0 {
		return 0, 0, nil, nil
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	var out map[string]bool
	if len(c.Audience.Exclude) > 0 {
		var err error
		if out, err = f.Members.InSegments(ctx, c.Audience.Exclude, ids); err != nil {
			return 0, 0, nil, fmt.Errorf("campaign %s: exclusions: %w", c.ID, err)
		}
	}
	if c.Schedule.Type == RecipientTime && f.Zones != nil {
		if err := f.fillZones(ctx, members); err != nil {
			return 0, 0, nil, fmt.Errorf("campaign %s: %w", c.ID, err)
		}
	}
	now := f.now().UTC()
	var bodies []string
	var zones map[string]int64
	var byZone map[string][]WaveRecipient
	waves := f.byWave(c)
	if waves && (f.Waves == nil || f.WaveTimers == nil) {
		return 0, 0, nil, fmt.Errorf("campaign %s: a recipient-time send needs the wave store and timers", c.ID)
	}
	excluded := 0
	for _, m := range members {
		if out[m.ID] {
			excluded++
			continue
		}
		variant, tpl := "", run.Templates[""]
		if len(c.Variants) > 0 {
			a := c.Assign(m.ID)
			switch {
			case run.Phase == PhaseTest && !a.InTest, run.Phase == PhaseRest && a.InTest:
				continue
			case run.Phase == PhaseTest:
				variant = c.Variants[a.Variant].ID
			default:
				variant = run.Winner
			}
			tpl = run.Templates[variant]
		}
		r := mail.Request{
			SendID:      SendID(c.ID, run.Occurrence, m.ID),
			ContactID:   m.ID,
			TemplateID:  tpl,
			Source:      mail.Source{Campaign: c.ID, Run: run.Occurrence, Step: variant},
			RequestedAt: now,
		}
		if c.Schedule.Type == RecipientTime {
			zone, _ := c.Schedule.RecipientZone(m.Timezone)
			if zones == nil {
				zones = map[string]int64{}
			}
			zones[zone]++
			if byZone == nil {
				byZone = map[string][]WaveRecipient{}
			}
			byZone[zone] = append(byZone[zone], WaveRecipient{Contact: m.ID, Variant: variant})
			continue
		}
		body, err := r.Encode()
		if err != nil {
			return 0, 0, nil, err
		}
		bodies = append(bodies, body)
	}
	if waves {
		n := 0
		for _, rs := range byZone {
			n += len(rs)
		}
		if err := f.storeWaves(ctx, c, run, byZone); err != nil {
			return 0, 0, nil, err
		}
		return n, excluded, zones, nil
	}
	if len(bodies) > 0 {
		if err := f.Sends.EnqueueBatch(ctx, bodies); err != nil {
			return 0, 0, nil, fmt.Errorf("campaign %s/%s: queue %d sends: %w", c.ID, run.Occurrence, len(bodies), err)
		}
	}
	return len(bodies), excluded, zones, nil
}

// fillZones reads the zones the page lacks.
func (f *Fanout) fillZones(ctx context.Context, members []Member) error {
	var ids []string
	for _, m := range members {
		if m.Timezone == "" {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	zones, err := f.Zones.Timezones(ctx, ids)
	if err != nil {
		return err
	}
	for i := range members {
		if members[i].Timezone == "" {
			members[i].Timezone = zones[members[i].ID]
		}
	}
	return nil
}

// SendID is a campaign occurrence's send to a contact: the pipeline sends
// each id once, so a re-read page never mails anyone twice, and each
// occurrence of a recurring campaign reaches everyone once.
func SendID(campaign, occurrence, contact string) string {
	return mail.CampaignSendID(campaign+"@"+occurrence, contact)
}

// phaseDone ends a phase: an A/B test waits for its decision; the last
// phase ends the occurrence.
func (f *Fanout) phaseDone(ctx context.Context, c Campaign, st State, run, next Run) error {
	next.Done = true
	if run.Phase == PhaseTest && c.Test != nil && c.Test.TestShare < 100 {
		at, err := DecisionTime(c, f.now(), next.Zones, f.abWait(c))
		if err != nil {
			return fmt.Errorf("campaign %s/%s: A/B decision time: %w", c.ID, run.Occurrence, err)
		}
		next.DecideAt = at
	}
	if err := f.checkpoint(ctx, run, next); err != nil {
		return err
	}
	next.Version = run.Version + 1
	return f.afterDone(ctx, c, st, next)
}

// afterDone follows a finished phase: the A/B decision's timer, or the end
// of the occurrence. Both are safe to repeat.
func (f *Fanout) afterDone(ctx context.Context, c Campaign, st State, run Run) error {
	if f.byWave(c) {
		if f.Waves == nil || f.WaveTimers == nil {
			return fmt.Errorf("campaign %s: a recipient-time send needs the wave store and timers", c.ID)
		}
		// The phase's chunks are all stored: each zone's timer may fire.
		if err := f.armWaves(ctx, c, run); err != nil {
			return err
		}
	}
	if !run.DecideAt.IsZero() && run.Phase == PhaseTest {
		if f.byWave(c) {
			// The decision is armed when the last zone's test wave is
			// queued (afterWaves), not now: the late zones' test sends
			// must be out before the results are read.
			return f.afterWaves(ctx, c, st, run.Occurrence, run.Phase)
		}
		return f.armDecision(ctx, c, run, run.DecideAt)
	}
	if f.byWave(c) {
		// The last wave to be queued ends the occurrence (an audience
		// with no zone at all ends it now).
		return f.afterWaves(ctx, c, st, run.Occurrence, run.Phase)
	}
	return f.finish(ctx, c, st, run.Occurrence)
}

// abWait is an A/B test's wait, or the override (local runs, tests).
func (f *Fanout) abWait(c Campaign) time.Duration {
	if f.WaitOverride > 0 {
		return f.WaitOverride
	}
	if c.Test == nil {
		return 0
	}
	return c.Test.WaitDuration()
}

// armDecision sets the A/B decision's timer (the same name again moves
// it). A manual test has none: Pick starts the rest.
func (f *Fanout) armDecision(ctx context.Context, c Campaign, run Run, at time.Time) error {
	if c.Test == nil || c.Test.Manual {
		return nil
	}
	msg := Chunk{Kind: ChunkDecide, Campaign: c.ID, Occurrence: run.Occurrence}
	if err := f.Timers.At(ctx, "decide-"+c.ID+"-"+run.Occurrence, at, msg); err != nil {
		return fmt.Errorf("campaign %s/%s: schedule the A/B decision: %w", c.ID, run.Occurrence, err)
	}
	return nil
}

// DecisionTime is when an A/B test's winner is chosen: wait after its test
// share went out. The test share of most campaigns is queued as it is
// paged (pagedAt); a recipient-time campaign's goes out in one wave per
// zone (zones: the test share's recipients by zone), so the wait starts at
// the latest of those waves, or at the paging for waves whose time had
// passed. Every recipient of the test then had the same wait to open and
// click, and none is judged before their mail went out.
func DecisionTime(c Campaign, pagedAt time.Time, zones map[string]int64, wait time.Duration) (time.Time, error) {
	start := pagedAt
	if c.Schedule.Type == RecipientTime {
		for z := range zones {
			_, loc := c.Schedule.RecipientZone(z)
			at, err := c.Schedule.WaveTime(loc)
			if err != nil {
				return time.Time{}, fmt.Errorf("wave of %s: %w", z, err)
			}
			if at.After(start) {
				start = at
			}
		}
	}
	return start.Add(wait).UTC(), nil
}

// finish moves the campaign on after an occurrence: back to scheduled when
// a recurring schedule has more, else sent.
func (f *Fanout) finish(ctx context.Context, c Campaign, st State, occurrence string) error {
	more := false
	if c.Schedule.Type == Recurring {
		at, _ := ParseOccurrenceID(occurrence)
		occ, err := c.Schedule.Occurrences(at.Add(time.Minute), at.AddDate(10, 0, 0), time.Time{}, nil)
		more = err == nil && len(occ) > 0
	}
	next, err := st.Finish(more, f.now())
	if err != nil {
		return nil // paused or cancelled meanwhile: nothing to move
	}
	if err := f.Store.SaveCampaignState(ctx, next, st.Version); err != nil && !errors.Is(err, ErrStateConflict) {
		return fmt.Errorf("campaign %s: finish occurrence %s: %w", c.ID, occurrence, err)
	}
	if next.Status == Sent && f.Schedules != nil {
		if err := f.Schedules.DeleteSchedule(ctx, c.ID); err != nil {
			f.Log.WarnContext(ctx, "remove the schedule of a sent campaign", "campaign_id", c.ID, "error", err)
		}
	}
	f.Log.InfoContext(ctx, "campaign occurrence fanned out", "campaign_id", c.ID, "occurrence", occurrence, "state", next.Status)
	return nil
}

// Decide picks an A/B test's winner from the results and starts the rest
// of the audience on it.
func (f *Fanout) Decide(ctx context.Context, id, occurrence string) error {
	c, err := f.Definitions.Campaign(ctx, id)
	if err != nil {
		return fmt.Errorf("decide campaign %s: %w", id, err)
	}
	if c.Test == nil {
		return fmt.Errorf("decide campaign %s: no A/B test", id)
	}
	counts, err := f.Results.VariantCounts(ctx, id, occurrence, c.Test.Metric, c.Variants)
	if err != nil {
		return fmt.Errorf("decide campaign %s/%s: results: %w", id, occurrence, err)
	}
	d, err := c.Test.Decide(counts)
	if err != nil {
		return fmt.Errorf("decide campaign %s/%s: %w", id, occurrence, err)
	}
	return f.Pick(ctx, id, occurrence, d.Winner, &d)
}

// Pick starts the rest of the audience on a winner (the decision, or the
// marketer's choice).
func (f *Fanout) Pick(ctx context.Context, id, occurrence, winner string, d *Decision) error {
	run, err := f.Store.Run(ctx, id, occurrence)
	if err != nil {
		return fmt.Errorf("pick for campaign %s/%s: %w", id, occurrence, err)
	}
	if run.Phase != PhaseTest || !run.Done {
		if run.Phase == PhaseRest && !run.Done {
			return f.enqueuePage(ctx, run) // a retried decision: keep the chain going
		}
		return nil
	}
	if _, ok := run.Templates[winner]; !ok || winner == "" {
		return fmt.Errorf("pick for campaign %s: no variant %q", id, winner)
	}
	next := run
	next.Phase, next.Winner, next.Decision = PhaseRest, winner, d
	next.Source, next.Cursor, next.Done = 0, "", false
	next.Seq = run.Seq + 1
	if err := f.enqueuePage(ctx, next); err != nil {
		return err
	}
	if err := f.Store.SaveRun(ctx, next, run.Version); err != nil && !errors.Is(err, ErrStateConflict) {
		return fmt.Errorf("pick for campaign %s/%s: %w", id, occurrence, err)
	}
	f.Log.InfoContext(ctx, "campaign A/B winner", "campaign_id", id, "occurrence", occurrence, "winner", winner)
	return nil
}

// Resume continues a resumed campaign: the pending occurrence a paused
// campaign's schedule fired is fired now; a run that was paging goes on
// from its checkpoint.
func (f *Fanout) Resume(ctx context.Context, id string) error {
	st, err := f.Store.CampaignState(ctx, id)
	if err != nil {
		return fmt.Errorf("resume campaign %s: %w", id, err)
	}
	if st.Occurrence == "" || (st.Status != Scheduled && st.Status != Sending) {
		return nil
	}
	run, err := f.Store.Run(ctx, id, st.Occurrence)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && st.Status == Scheduled && !run.Done):
		return f.Fire(ctx, id, st.Occurrence)
	case err != nil:
		return fmt.Errorf("resume campaign %s/%s: %w", id, st.Occurrence, err)
	}
	c, err := f.Definitions.Campaign(ctx, id)
	if err != nil {
		return fmt.Errorf("resume campaign %s: %w", id, err)
	}
	if f.byWave(c) {
		return f.resumeByWave(ctx, c, st, run)
	}
	switch {
	case !run.Done:
		return f.enqueuePage(ctx, run)
	case run.Phase == PhaseTest && !run.DecideAt.IsZero() && run.Winner == "":
		return nil // the decision's timer goes on
	}
	// The last page ended while paused and could not finish the campaign.
	return f.finish(ctx, c, st, st.Occurrence)
}

// CountStore reads a campaign's summed counters: by occurrence, variant
// ("" without one) and counter name.
type CountStore interface {
	CampaignCounts(ctx context.Context, id string) (map[string]map[string]map[string]int64, error)
}

// MetricCounter is the counter a winner metric reads.
func MetricCounter(metric string) string {
	switch metric {
	case MetricOpens:
		return CountOpensHuman
	case MetricConversions:
		return CountConversions
	}
	return CountClicksHuman
}

// CountResults gives an A/B test's variant counts from the counters: the
// sends each variant made, and those that met the metric.
type CountResults struct{ Counts CountStore }

// VariantCounts implements the Fanout's Results.
func (r CountResults) VariantCounts(ctx context.Context, id, occurrence, metric string, variants []Variant) ([]VariantCount, error) {
	all, err := r.Counts.CampaignCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]VariantCount, 0, len(variants))
	for _, v := range variants {
		c := all[occurrence][v.ID]
		out = append(out, VariantCount{ID: v.ID, Recipients: c[CountSent], Successes: c[MetricCounter(metric)]})
	}
	return out, nil
}

// resumeByWave resumes a recipient-time run: the paging where it stopped,
// and the waves of each phase already paged whose time came.
func (f *Fanout) resumeByWave(ctx context.Context, c Campaign, st State, run Run) error {
	if f.Waves == nil || f.WaveTimers == nil {
		return fmt.Errorf("resume campaign %s: a recipient-time send needs the wave store and timers", c.ID)
	}
	if run.Phase == PhaseRest {
		if _, err := f.resumeWaves(ctx, c, run, PhaseTest); err != nil {
			return err
		}
	}
	if !run.Done {
		return f.enqueuePage(ctx, run)
	}
	done, err := f.resumeWaves(ctx, c, run, run.Phase)
	if err != nil || !done {
		return err
	}
	return f.afterWaves(ctx, c, st, run.Occurrence, run.Phase)
}
