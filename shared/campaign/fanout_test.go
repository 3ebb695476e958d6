package campaign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
)

// world is the fan-out's ports in memory, with failures to inject.
type world struct {
	mu       sync.Mutex
	states   map[string]State
	runs     map[string]Run
	defs     map[string]Campaign
	members  map[string][]Member // "segment/x" → members, in index order
	segments map[string]map[string]bool
	queue    []string
	sends    []mail.Request
	timers   []Chunk
	counts   map[string]int64
	// chunks and progress are the wave store; waves the armed wave
	// timers, by campaign/occurrence/phase/zone.
	chunks   map[string]WaveChunk
	progress map[string]WaveProgress
	waves    map[string]armed
	// decisions are the A/B decision timers' times, by name (the last
	// At of a name wins, as the Scheduler's update does).
	decisions map[string]time.Time
	// lastLimit is the last page size asked of the member index.
	lastLimit int
	// fail, when set, decides whether a named step fails now.
	fail func(step string) bool
	now  time.Time
}

func newWorld() *world {
	return &world{states: map[string]State{}, runs: map[string]Run{}, defs: map[string]Campaign{},
		members: map[string][]Member{}, segments: map[string]map[string]bool{}, counts: map[string]int64{},
		chunks: map[string]WaveChunk{}, progress: map[string]WaveProgress{}, waves: map[string]armed{}, decisions: map[string]time.Time{},
		now: utc("2027-01-15T06:00:00Z")}
}

var errInjected = errors.New("injected failure")

func (w *world) failing(step string) bool { return w.fail != nil && w.fail(step) }

func (w *world) CampaignState(_ context.Context, id string) (State, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, ok := w.states[id]
	if !ok {
		return State{}, ErrNotFound
	}
	return st, nil
}
func (w *world) SaveCampaignState(_ context.Context, st State, prev int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.states[st.ID].Version != prev {
		return ErrStateConflict
	}
	st.Version = prev + 1
	w.states[st.ID] = st
	return nil
}
func (w *world) Run(_ context.Context, c, o string) (Run, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.runs[c+"/"+o]
	if !ok {
		return Run{}, ErrNotFound
	}
	return r, nil
}
func (w *world) SaveRun(_ context.Context, r Run, prev int64) error {
	if w.failing("save-run") {
		return errInjected
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.runs[r.Campaign+"/"+r.Occurrence].Version != prev {
		return ErrStateConflict
	}
	r.Version = prev + 1
	w.runs[r.Campaign+"/"+r.Occurrence] = r
	return nil
}
func (w *world) Campaign(_ context.Context, id string) (Campaign, error) {
	c, ok := w.defs[id]
	if !ok {
		return c, ErrNotFound
	}
	return c, nil
}
func (w *world) MemberPage(_ context.Context, src Source, cursor string, limit int) ([]Member, string, error) {
	if w.failing("members") {
		return nil, "", errInjected
	}
	all := w.members[src.Kind+"/"+src.ID]
	from := 0
	if cursor != "" {
		from, _ = strconv.Atoi(cursor)
	}
	to := min(from+limit, len(all))
	next := ""
	if to < len(all) {
		next = strconv.Itoa(to)
	}
	return all[from:to], next, nil
}
func (w *world) InSegments(_ context.Context, segs, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		for _, s := range segs {
			if w.segments[s][id] {
				out[id] = true
			}
		}
	}
	return out, nil
}
func (w *world) Enqueue(_ context.Context, body string) error {
	if w.failing("enqueue-page") {
		return errInjected
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, body)
	return nil
}
func (w *world) EnqueueBatch(_ context.Context, bodies []string) error {
	if w.failing("enqueue-sends") {
		return errInjected
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range bodies {
		r, err := mail.Decode(b)
		if err != nil {
			return err
		}
		w.sends = append(w.sends, r)
	}
	if w.failing("after-sends") {
		return errInjected // queued, then the invocation dies
	}
	return nil
}
func (w *world) At(_ context.Context, name string, at time.Time, msg Chunk) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.decisions[name] = at
	for _, t := range w.timers {
		if t == msg {
			return nil
		}
	}
	w.timers = append(w.timers, msg)
	return nil
}
func (w *world) Add(_ context.Context, c, o, v string, d map[string]int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, n := range d {
		w.counts[k] += n
	}
	return nil
}

// clickRates makes the A/B results: successes per variant out of the sends.
type clickRates struct {
	w     *world
	rates map[string]float64
}

func (c clickRates) VariantCounts(_ context.Context, id, occ, metric string, vs []Variant) ([]VariantCount, error) {
	var out []VariantCount
	for _, v := range vs {
		n := int64(0)
		for _, s := range c.w.sends {
			if s.Source.Step == v.ID {
				n++
			}
		}
		out = append(out, VariantCount{ID: v.ID, Recipients: n, Successes: int64(float64(n) * c.rates[v.ID])})
	}
	return out, nil
}

func (w *world) fanout() *Fanout {
	return &Fanout{Store: w, Definitions: w, Members: w, Queue: w, Sends: w, Counters: w, Timers: w,
		PageSize: 7, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return w.now }}
}

// drain delivers queue messages until none is left (or limit handled); a
// message whose handler fails is delivered again, as SQS does.
func (w *world) drain(t *testing.T, f *Fanout, limit int) int {
	t.Helper()
	n := 0
	for n < limit {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.mu.Unlock()
			break
		}
		body := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		c, err := DecodeChunk(body)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Handle(context.Background(), c); err != nil {
			w.mu.Lock()
			w.queue = append(w.queue, body)
			w.mu.Unlock()
		}
		n++
		if n > 100000 {
			t.Fatal("fan-out does not end")
		}
	}
	return n
}

func (w *world) addMembers(key string, from, to int) {
	for i := from; i < to; i++ {
		w.members[key] = append(w.members[key], Member{ID: fmt.Sprintf("c%03d", i)})
	}
}

// setup: segment "engaged" c000-c059, list "vip" c050-c079 (overlap of
// 10), exclusion segment "customers" = every 10th contact.
func setup(w *world, c Campaign) (expect []string) {
	w.addMembers("segment/engaged", 0, 60)
	w.addMembers("list/vip", 50, 80)
	w.segments["customers"] = map[string]bool{}
	for i := 0; i < 80; i += 10 {
		w.segments["customers"][fmt.Sprintf("c%03d", i)] = true
	}
	for i := 0; i < 80; i++ {
		if i%10 != 0 {
			expect = append(expect, fmt.Sprintf("c%03d", i))
		}
	}
	w.defs[c.ID] = c
	w.states[c.ID] = State{ID: c.ID, Status: Scheduled, Version: 1}
	return expect
}

func plain() Campaign {
	c := valid()
	c.Audience = Audience{Segments: []string{"engaged"}, Lists: []string{"vip"}, Exclude: []string{"customers"}}
	return c
}

// recipients are the distinct contacts with a queued send, checking each
// contact has one send id.
func (w *world) recipients(t *testing.T, occ string) []string {
	t.Helper()
	ids := map[string]string{}
	for _, s := range w.sends {
		if prev, ok := ids[s.ContactID]; ok && prev != s.SendID {
			t.Fatalf("%s got two send ids %s %s", s.ContactID, prev, s.SendID)
		}
		ids[s.ContactID] = s.SendID
		if s.SendID != SendID(s.Source.Campaign, occ, s.ContactID) || s.Source.Run != occ {
			t.Fatalf("send %+v: not the campaign+occurrence+contact id", s)
		}
	}
	var out []string
	for id := range ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func TestFanoutSendsEachRecipientOnce(t *testing.T) {
	w := newWorld()
	c := plain()
	expect := setup(w, c)
	f := w.fanout()
	occ := OccurrenceID(w.now)
	if err := f.Fire(context.Background(), c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	if got := w.recipients(t, occ); !slices.Equal(got, expect) {
		t.Fatalf("recipients %v\nwant %v", got, expect)
	}
	// Excluded: 8 customers, c050 counted in the segment and the list.
	// The overlap of segment and list is queued twice (one send id: the
	// pipeline sends it once); nobody else.
	if len(w.sends) != len(expect)+9 {
		t.Errorf("%d send requests, want %d", len(w.sends), len(expect)+9)
	}
	for _, s := range w.sends {
		if s.TemplateID != c.Template || s.Source.Campaign != c.ID {
			t.Fatalf("send %+v", s)
		}
		if tags := mail.Tags(s, mail.Marketing); tags[mail.TagCampaign] != c.ID {
			t.Fatalf("tags %v", tags)
		}
	}
	if st := w.states[c.ID]; st.Status != Sent || st.FirstSendAt.IsZero() {
		t.Errorf("state %+v", st)
	}
	if w.counts[CountRecipients] != int64(len(w.sends)) || w.counts[CountExcluded] != 9 {
		t.Errorf("counters %v", w.counts)
	}
	// A second firing of the same occurrence (Scheduler retry) adds nothing.
	before := len(w.sends)
	if err := f.Fire(context.Background(), c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	if len(w.sends) != before {
		t.Errorf("refiring queued %d more", len(w.sends)-before)
	}
}

func TestFanoutSurvivesCrashesAnywhere(t *testing.T) {
	for _, step := range []string{"members", "enqueue-sends", "after-sends", "enqueue-page", "save-run"} {
		t.Run(step, func(t *testing.T) {
			w := newWorld()
			c := plain()
			expect := setup(w, c)
			calls := 0
			// Every third call of the step fails: redelivery repeats a page.
			w.fail = func(s string) bool {
				if s != step {
					return false
				}
				calls++
				return calls%3 == 0
			}
			f := w.fanout()
			occ := OccurrenceID(w.now)
			for f.Fire(context.Background(), c.ID, occ) != nil {
			}
			w.drain(t, f, 5000)
			if calls < 3 {
				t.Fatalf("step %s failed no time (%d calls)", step, calls)
			}
			if got := w.recipients(t, occ); !slices.Equal(got, expect) {
				t.Fatalf("recipients %v\nwant %v", got, expect)
			}
			if st := w.states[c.ID]; st.Status != Sent {
				t.Errorf("state %s", st.Status)
			}
			if r := w.runs[c.ID+"/"+occ]; r.Recipients != int64(len(expect)+9) {
				t.Errorf("run counted %d recipients, want %d", r.Recipients, len(expect)+9)
			}
		})
	}
}

func TestFanoutPauseResumeCancel(t *testing.T) {
	w := newWorld()
	c := plain()
	expect := setup(w, c)
	f := w.fanout()
	occ := OccurrenceID(w.now)
	ctx := context.Background()
	if err := f.Fire(ctx, c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 3)
	sentBefore := len(w.sends)
	if sentBefore == 0 || sentBefore >= len(expect) {
		t.Fatalf("after 3 pages %d sends", sentBefore)
	}
	st := w.states[c.ID]
	paused, err := st.Pause(w.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SaveCampaignState(ctx, paused, st.Version); err != nil {
		t.Fatal(err)
	}
	gate := &Gate{States: w, Now: func() time.Time { return w.now }}
	if h, _ := gate.Hold(ctx, mail.Source{Campaign: c.ID}); h != mail.HoldWait {
		t.Errorf("paused campaign's sends: hold %v", h)
	}
	w.drain(t, f, 1000)
	if len(w.sends) != sentBefore {
		t.Fatalf("paused fan-out queued %d more sends", len(w.sends)-sentBefore)
	}
	st = w.states[c.ID]
	resumed, _ := st.ResumeFromPause(w.now)
	if err := w.SaveCampaignState(ctx, resumed, st.Version); err != nil {
		t.Fatal(err)
	}
	if err := f.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 3)
	afterResume := len(w.sends)
	if afterResume <= sentBefore {
		t.Fatal("resume queued nothing")
	}
	st = w.states[c.ID]
	cancelled, _ := st.Cancel(w.now)
	if err := w.SaveCampaignState(ctx, cancelled, st.Version); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(time.Minute) // past the gate's cache
	if h, _ := gate.Hold(ctx, mail.Source{Campaign: c.ID}); h != mail.HoldDrop {
		t.Errorf("cancelled campaign's sends: hold %v", h)
	}
	w.drain(t, f, 1000)
	if len(w.sends) != afterResume {
		t.Fatalf("cancelled fan-out queued %d more", len(w.sends)-afterResume)
	}
	if err := f.Resume(ctx, c.ID); err != nil || len(w.queue) != 0 {
		t.Fatalf("resume of a cancelled campaign: %v, %d queued", err, len(w.queue))
	}
	// Nobody was queued twice with different ids, and the resumed pages
	// went on from the checkpoint: the sends are a prefix of the audience
	// order without gaps.
	got := w.recipients(t, occ)
	if len(got) == 0 {
		t.Fatal("no recipients")
	}
}

func TestFanoutPauseThenResumeCompletes(t *testing.T) {
	w := newWorld()
	c := plain()
	expect := setup(w, c)
	f := w.fanout()
	occ := OccurrenceID(w.now)
	ctx := context.Background()
	// Paused before the schedule fires: the firing is held, resume fires it.
	st := w.states[c.ID]
	paused, _ := st.Pause(w.now)
	w.SaveCampaignState(ctx, paused, st.Version)
	if err := f.Fire(ctx, c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	if len(w.sends) != 0 {
		t.Fatal("paused campaign sent")
	}
	st = w.states[c.ID]
	resumed, _ := st.ResumeFromPause(w.now)
	w.SaveCampaignState(ctx, resumed, st.Version)
	if err := f.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	if got := w.recipients(t, occ); !slices.Equal(got, expect) {
		t.Fatalf("recipients %v\nwant %v", got, expect)
	}
	if w.states[c.ID].Status != Sent {
		t.Errorf("state %s", w.states[c.ID].Status)
	}
}

func TestFanoutABTestPicksWinner(t *testing.T) {
	w := newWorld()
	c := plain()
	c.Template = ""
	c.Variants = []Variant{{ID: "a", Template: "tpl-a"}, {ID: "b", Template: "tpl-b"}}
	c.Test = &ABTest{TestShare: 50, Metric: MetricClicks, Wait: "4h", Confidence: 0.9, Fallback: FallbackControl}
	// A larger audience so the test can be decisive.
	expect := setup(w, c)
	w.addMembers("segment/engaged", 80, 1000)
	for i := 80; i < 1000; i++ {
		expect = append(expect, fmt.Sprintf("c%03d", i))
	}
	slices.Sort(expect)
	f := w.fanout()
	f.PageSize = 100
	f.Results = clickRates{w: w, rates: map[string]float64{"a": 0.05, "b": 0.30}}
	occ := OccurrenceID(w.now)
	ctx := context.Background()
	if err := f.Fire(ctx, c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	testSends := len(w.sends)
	run := w.runs[c.ID+"/"+occ]
	if !run.Done || run.Phase != PhaseTest || !run.DecideAt.Equal(w.now.Add(4*time.Hour)) || len(w.timers) != 1 {
		t.Fatalf("after the test phase: run %+v timers %v", run, w.timers)
	}
	for _, s := range w.sends {
		a := c.Assign(s.ContactID)
		if !a.InTest || s.Source.Step != c.Variants[a.Variant].ID || s.TemplateID != "tpl-"+s.Source.Step {
			t.Fatalf("test send %+v, assignment %+v", s, a)
		}
	}
	if w.states[c.ID].Status != Sending {
		t.Fatalf("state during the wait: %s", w.states[c.ID].Status)
	}
	// The decision's timer fires.
	if err := f.Handle(ctx, w.timers[0]); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	run = w.runs[c.ID+"/"+occ]
	if run.Winner != "b" || run.Decision == nil || !run.Decision.Significant {
		t.Fatalf("decision %+v", run.Decision)
	}
	for _, s := range w.sends[testSends:] {
		if s.Source.Step != "b" || s.TemplateID != "tpl-b" || c.Assign(s.ContactID).InTest {
			t.Fatalf("rest send %+v", s)
		}
	}
	if got := w.recipients(t, occ); !slices.Equal(got, expect) {
		t.Fatalf("%d recipients, want %d", len(got), len(expect))
	}
	if w.states[c.ID].Status != Sent {
		t.Errorf("state %s", w.states[c.ID].Status)
	}
}

func TestFanoutRecipientTime(t *testing.T) {
	w := newWorld()
	c := plain()
	c.Schedule = Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "Europe/London"}
	setup(w, c)
	zones := []string{"Europe/Berlin", "America/New_York", "", "Asia/Tokyo"}
	for k, ms := range w.members {
		for i := range ms {
			n, _ := strconv.Atoi(ms[i].ID[1:])
			ms[i].Timezone = zones[n%len(zones)]
		}
		w.members[k] = ms
	}
	first, _ := c.Schedule.WaveTime(EarliestZone)
	w.now = first
	f := w.waveFanout()
	occ := OccurrenceID(first)
	if err := f.Fire(context.Background(), c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	want := map[string]string{"Europe/Berlin": "2027-01-15T08:00:00Z", "America/New_York": "2027-01-15T14:00:00Z",
		"Europe/London": "2027-01-15T09:00:00Z", "Asia/Tokyo": "2027-01-15T00:00:00Z"}
	for z, at := range want {
		if a := w.waves[waveKey(c.ID, occ, PhaseAll, z)]; a.at.UTC().Format(time.RFC3339) != at {
			t.Errorf("wave of %s at %s, want %s", z, a.at, at)
		}
	}
	zoneOf := map[string]string{}
	for _, ms := range w.members {
		for _, m := range ms {
			zoneOf[m.ID] = m.Timezone
		}
	}
	w.now = first.Add(30 * time.Hour)
	w.tick()
	w.drain(t, f, 1000)
	if len(w.sends) == 0 {
		t.Fatal("no sends")
	}
	for _, s := range w.sends {
		if s.IgnoreQuietHours {
			t.Errorf("%s: quiet hours ignored without the campaign's opt-out", s.ContactID)
		}
	}
	// The run keeps its recipients by zone (the default for those without
	// one), which the calendar's waves come from.
	byZone := map[string]int64{}
	for _, s := range w.sends {
		z := zoneOf[s.ContactID]
		if z == "" {
			z = "Europe/London"
		}
		byZone[z]++
	}
	run := w.runs[c.ID+"/"+occ]
	if len(run.Zones) != 4 || !maps.Equal(run.Zones, byZone) {
		t.Errorf("run zones %v, want %v", run.Zones, byZone)
	}
	var zs []string
	for z := range run.Zones {
		zs = append(zs, z)
	}
	entries := CalendarEntries(c, State{ID: c.ID, Status: Scheduled}, utc("2027-01-14T00:00:00Z"), utc("2027-01-16T00:00:00Z"), run.Recipients, zs)
	if len(entries) != 1 {
		t.Fatalf("calendar %v", entries)
	}
	waves := entries[0]["waves"].([]Wave)
	var got []string
	for _, wv := range waves {
		got = append(got, wv.At.UTC().Format(time.RFC3339)+" "+strings.Join(wv.Zones, ","))
	}
	want2 := []string{"2027-01-15T00:00:00Z Asia/Tokyo", "2027-01-15T08:00:00Z Europe/Berlin", "2027-01-15T09:00:00Z Europe/London", "2027-01-15T14:00:00Z America/New_York"}
	if !slices.Equal(got, want2) {
		t.Errorf("calendar waves %v, want %v", got, want2)
	}
	// Without a run's zones, only the default zone's wave is planned.
	if e := CalendarEntries(c, State{ID: c.ID, Status: Scheduled}, utc("2027-01-14T00:00:00Z"), utc("2027-01-16T00:00:00Z"), nil, nil); len(e) != 1 || len(e[0]["waves"].([]Wave)) != 1 {
		t.Errorf("calendar without zones %v", e)
	}
}

// A recipient-time campaign that opts out of quiet hours says so on each
// send, and its zones come from the zone reader when the member index has
// none.
func TestFanoutRecipientTimeOptsOutOfQuietHours(t *testing.T) {
	w := newWorld()
	c := plain()
	c.Schedule = Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "07:00", DefaultZone: "Europe/London"}
	c.IgnoreQuietHours = true
	setup(w, c)
	first, _ := c.Schedule.WaveTime(EarliestZone)
	w.now = first
	f := w.waveFanout()
	f.Zones = zonesOf{"c001": "Asia/Tokyo"}
	occ := OccurrenceID(first)
	if err := f.Fire(context.Background(), c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	// London, the default, and Tokyo, read from the profile.
	london, tokyo := w.waves[waveKey(c.ID, occ, PhaseAll, "Europe/London")], w.waves[waveKey(c.ID, occ, PhaseAll, "Asia/Tokyo")]
	if len(w.waves) != 2 || !london.at.Equal(utc("2027-01-15T07:00:00Z")) || !tokyo.at.Equal(utc("2027-01-14T22:00:00Z")) {
		t.Fatalf("waves %v", w.waves)
	}
	w.now = tokyo.at
	w.tick()
	w.drain(t, f, 1000)
	if got := w.sendsTo(); !slices.Equal(got, []string{"c001"}) {
		t.Errorf("Tokyo's wave sent to %v, want c001", got)
	}
	w.now = london.at
	w.tick()
	w.drain(t, f, 1000)
	if len(w.sends) < 2 {
		t.Fatal("no sends")
	}
	for _, s := range w.sends {
		if !s.IgnoreQuietHours {
			t.Errorf("%s: quiet hours not ignored", s.ContactID)
		}
	}
}

type zonesOf map[string]string

func (z zonesOf) Timezones(_ context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if v, ok := z[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

// TestFanoutEarlyPageWaitsForItsCheckpoint: a page message picked up
// before the previous page's checkpoint is written (that page queues it
// first) looks again for EarlyWait and then runs, instead of failing back
// to the queue for a whole visibility timeout; without the checkpoint it
// still fails with ErrEarly.
func TestFanoutEarlyPageWaitsForItsCheckpoint(t *testing.T) {
	w := newWorld()
	c := plain()
	setup(w, c)
	f := w.fanout()
	f.EarlyWait = 2 * time.Second
	occ := OccurrenceID(w.now)
	if err := f.Fire(context.Background(), c.ID, occ); err != nil {
		t.Fatal(err)
	}
	page0, err := DecodeChunk(w.queue[0])
	if err != nil || page0.Kind != ChunkPage || page0.Seq != 0 {
		t.Fatalf("first message %+v, %v", page0, err)
	}
	w.queue = w.queue[1:]
	page1 := Chunk{Kind: ChunkPage, Campaign: c.ID, Occurrence: occ, Seq: 1}

	// Nobody writes checkpoint 1: the message goes back to the queue.
	f.EarlyWait = 300 * time.Millisecond
	if err := f.Page(context.Background(), page1); !errors.Is(err, ErrEarly) {
		t.Fatalf("page 1 without its checkpoint: %v, want ErrEarly", err)
	}
	// Page 0 writes its checkpoint while page 1 is looking.
	f.EarlyWait = 2 * time.Second
	done := make(chan error, 1)
	go func() {
		time.Sleep(250 * time.Millisecond)
		done <- f.Handle(context.Background(), page0)
	}()
	if err := f.Page(context.Background(), page1); err != nil {
		t.Fatalf("page 1 after its checkpoint: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Two pages of 7, c000 and c010 excluded.
	if len(w.sends) != 2*f.PageSize-2 {
		t.Errorf("%d sends queued, want two pages of %d less 2 exclusions", len(w.sends), f.PageSize)
	}
	if r := w.runs[c.ID+"/"+occ]; r.Seq != 2 {
		t.Errorf("checkpoint at %d, want 2", r.Seq)
	}
}

type armed struct {
	msg Chunk
	at  time.Time
}

func (w *world) PutWaveChunk(_ context.Context, c WaveChunk) error {
	if w.failing("put-chunk") {
		return errInjected
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunks[fmt.Sprintf("%s/%s/%s/%s/%08d", c.Campaign, c.Occurrence, c.Phase, c.Zone, c.Seq)] = c
	return nil
}

func (w *world) WaveChunks(_ context.Context, camp, occ, phase, zone string, after, limit int) ([]WaveChunk, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []WaveChunk
	for _, c := range w.chunks {
		if c.Campaign == camp && c.Occurrence == occ && c.Phase == phase && c.Zone == zone && c.Seq > after {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b WaveChunk) int { return a.Seq - b.Seq })
	return out[:min(limit, len(out))], nil
}

func waveKey(camp, occ, phase, zone string) string {
	return camp + "/" + occ + "/" + phase + "/" + zone
}

func (w *world) WaveProgress(_ context.Context, camp, occ, phase, zone string) (WaveProgress, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.progress[waveKey(camp, occ, phase, zone)]
	if !ok {
		return p, ErrNotFound
	}
	return p, nil
}

func (w *world) SaveWaveProgress(_ context.Context, p WaveProgress, prev int64) error {
	if w.failing("save-wave") {
		return errInjected
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	k := waveKey(p.Campaign, p.Occurrence, p.Phase, p.Zone)
	if w.progress[k].Version != prev {
		return ErrStateConflict
	}
	p.Version = prev + 1
	w.progress[k] = p
	return nil
}

func (w *world) WaveProgresses(_ context.Context, camp, occ, phase string) ([]WaveProgress, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []WaveProgress
	for _, p := range w.progress {
		if p.Campaign == camp && p.Occurrence == occ && p.Phase == phase {
			out = append(out, p)
		}
	}
	return out, nil
}

func (w *world) ArmWave(_ context.Context, camp, occ, phase, zone string, at time.Time) error {
	if w.failing("arm-wave") {
		return errInjected
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waves[waveKey(camp, occ, phase, zone)] = armed{Chunk{Kind: ChunkWave, Campaign: camp, Occurrence: occ, Phase: phase, Zone: zone}, at}
	return nil
}

// waveFanout is the fan-out with the wave store and timers.
func (w *world) waveFanout() *Fanout {
	f := w.fanout()
	f.Waves, f.WaveTimers = w, w
	return f
}

// tick fires the armed wave timers due at the world's clock onto the
// queue, as the timer wheel and the timers function do.
func (w *world) tick() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for k, a := range w.waves {
		if !a.at.After(w.now) {
			w.queue = append(w.queue, a.msg.Encode())
			delete(w.waves, k)
			n++
		}
	}
	return n
}
