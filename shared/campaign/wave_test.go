package campaign

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"
)

// zonedWorld is setup's audience with the contacts spread over zones in
// turn ("" has none: the default zone).
func zonedWorld(c Campaign, zones []string) (*world, []string, map[string]string) {
	w := newWorld()
	expect := setup(w, c)
	zoneOf := map[string]string{}
	for k, ms := range w.members {
		for i := range ms {
			n, _ := strconv.Atoi(ms[i].ID[1:])
			ms[i].Timezone = zones[n%len(zones)]
			zoneOf[ms[i].ID] = ms[i].Timezone
		}
		w.members[k] = ms
	}
	return w, expect, zoneOf
}

// sendsTo are the contacts with a queued send, in order, once each.
func (w *world) sendsTo() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, s := range w.sends {
		if !seen[s.ContactID] {
			seen[s.ContactID] = true
			out = append(out, s.ContactID)
		}
	}
	return out
}

// TestWaveTimes: a recipient-time send arms one timer per zone of its
// audience at that zone's local send time, DST changes included, and
// queues nobody's mail before that timer fires.
func TestWaveTimes(t *testing.T) {
	cases := []struct {
		name        string
		date, local string
		def         string
		want        map[string]string // zone ("" → default) → wave time, UTC
	}{
		{"winter: Tokyo first, New York last", "2027-01-15", "09:00", "Europe/London", map[string]string{
			"Asia/Tokyo": "2027-01-15T00:00:00Z", "Europe/Berlin": "2027-01-15T08:00:00Z", "": "2027-01-15T09:00:00Z", "America/New_York": "2027-01-15T14:00:00Z"}},
		{"US clocks went forward on the 14th, Europe's not yet", "2027-03-15", "09:00", "Europe/London", map[string]string{
			"Asia/Tokyo": "2027-03-15T00:00:00Z", "Europe/Berlin": "2027-03-15T08:00:00Z", "": "2027-03-15T09:00:00Z", "America/New_York": "2027-03-15T13:00:00Z"}},
		{"Berlin skips 02:30 on its spring night: the wave comes at 03:30 CEST", "2027-03-28", "02:30", "Europe/Berlin", map[string]string{
			"Asia/Tokyo": "2027-03-27T17:30:00Z", "Europe/Berlin": "2027-03-28T01:30:00Z", "": "2027-03-28T01:30:00Z", "America/New_York": "2027-03-28T06:30:00Z"}},
		{"Berlin has 02:30 twice on its autumn night: the first one", "2027-10-31", "02:30", "Europe/Berlin", map[string]string{
			"Asia/Tokyo": "2027-10-30T17:30:00Z", "Europe/Berlin": "2027-10-31T00:30:00Z", "": "2027-10-31T00:30:00Z", "America/New_York": "2027-10-31T06:30:00Z"}},
		{"southern summer: Sydney and Chatham on daylight time", "2027-01-15", "09:00", "Australia/Sydney", map[string]string{
			"Asia/Tokyo": "2027-01-15T00:00:00Z", "Pacific/Chatham": "2027-01-14T19:15:00Z", "": "2027-01-14T22:00:00Z", "America/New_York": "2027-01-15T14:00:00Z"}},
		{"Sydney's clocks went back on 4 April", "2027-04-05", "09:00", "Australia/Sydney", map[string]string{
			"Asia/Tokyo": "2027-04-05T00:00:00Z", "Pacific/Chatham": "2027-04-04T20:15:00Z", "": "2027-04-04T23:00:00Z", "America/New_York": "2027-04-05T13:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := plain()
			c.Schedule = Schedule{Type: RecipientTime, Date: tc.date, Time: tc.local, DefaultZone: tc.def}
			var zones []string
			for z := range tc.want {
				zones = append(zones, z)
			}
			slices.Sort(zones)
			w, expect, zoneOf := zonedWorld(c, zones)
			first, _ := c.Schedule.WaveTime(EarliestZone)
			w.now = first
			f := w.waveFanout()
			occ := OccurrenceID(first)
			if err := f.Fire(context.Background(), c.ID, occ); err != nil {
				t.Fatal(err)
			}
			w.drain(t, f, 1000)
			if len(w.sends) != 0 {
				t.Fatalf("%d sends queued before any wave fired", len(w.sends))
			}
			distinct := map[string]bool{}
			for z := range tc.want {
				distinct[cmp.Or(z, tc.def)] = true
			}
			if len(w.waves) != len(distinct) {
				t.Fatalf("%d wave timers, want one per zone %v", len(w.waves), distinct)
			}
			for z, want := range tc.want {
				name := z
				if z == "" {
					name = tc.def
				}
				a, ok := w.waves[waveKey(c.ID, occ, PhaseAll, name)]
				if !ok || a.at.UTC().Format(time.RFC3339) != want {
					t.Errorf("wave of %q at %v (armed %v), want %s", name, a.at.UTC(), ok, want)
				}
			}
			// Each wave queues its zone's recipients, and only when its
			// timer fires.
			times := map[time.Time]bool{}
			for _, a := range w.waves {
				times[a.at] = true
			}
			order := slices.SortedFunc(func(yield func(time.Time) bool) {
				for at := range times {
					if !yield(at) {
						return
					}
				}
			}, func(a, b time.Time) int { return a.Compare(b) })
			for i, at := range order {
				w.now = at.Add(-time.Second)
				if n := w.tick(); n != 0 {
					t.Fatalf("%d timers fired a second before %s", n, at)
				}
				before := len(w.sendsTo())
				w.now = at
				w.tick()
				w.drain(t, f, 1000)
				for _, id := range w.sendsTo()[before:] {
					name := zoneOf[id]
					if name == "" {
						name = tc.def
					}
					if got := w.waves[waveKey(c.ID, occ, PhaseAll, name)]; got.at.After(at) {
						t.Errorf("%s (zone %q) sent at %s, its wave is %s", id, zoneOf[id], at, got.at)
					}
				}
				if last := i == len(order)-1; (w.states[c.ID].Status == Sent) != last {
					t.Errorf("after wave %d of %d the campaign is %s", i+1, len(order), w.states[c.ID].Status)
				}
			}
			got := w.recipients(t, occ)
			if !slices.Equal(got, expect) {
				t.Fatalf("recipients %v\nwant %v", got, expect)
			}
			for _, s := range w.sends {
				if !s.NotBefore.IsZero() {
					t.Errorf("%s: a wave's send waits in the queue until %s", s.ContactID, s.NotBefore)
				}
			}
		})
	}
}

// TestWavesSurviveCrashesAnywhere: every step of the wave path fails now
// and then (the message comes back, as SQS redelivers it); every
// recipient is still queued under the one send id, and the campaign ends.
func TestWavesSurviveCrashesAnywhere(t *testing.T) {
	zones := []string{"Asia/Tokyo", "", "America/New_York"}
	for _, step := range []string{"put-chunk", "arm-wave", "save-wave", "save-run", "enqueue-page", "enqueue-sends", "after-sends"} {
		t.Run(step, func(t *testing.T) {
			c := plain()
			c.Schedule = Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "Europe/London"}
			w, expect, _ := zonedWorld(c, zones)
			// The second of every four calls fails: a step that calls
			// the port once per zone still gets past it on a retry.
			calls, failed := 0, 0
			w.fail = func(s string) bool {
				if s != step {
					return false
				}
				calls++
				if calls%4 == 2 {
					failed++
					return true
				}
				return false
			}
			first, _ := c.Schedule.WaveTime(EarliestZone)
			w.now = first
			f := w.waveFanout()
			occ := OccurrenceID(first)
			for f.Fire(context.Background(), c.ID, occ) != nil {
			}
			w.drain(t, f, 5000)
			w.now = first.Add(48 * time.Hour)
			for range 10 {
				w.tick()
				w.drain(t, f, 5000)
			}
			if failed == 0 {
				t.Fatalf("step %s failed no time (%d calls)", step, calls)
			}
			if got := w.recipients(t, occ); !slices.Equal(got, expect) {
				t.Fatalf("recipients %v\nwant %v", got, expect)
			}
			if st := w.states[c.ID]; st.Status != Sent {
				t.Errorf("state %s", st.Status)
			}
		})
	}
}

// TestWavesPauseHoldsAndCancelDrops: a wave that fires while the campaign
// is paused queues nothing; resume queues it from its checkpoint; a wave
// that fires after a cancel is dropped.
func TestWavesPauseHoldsAndCancelDrops(t *testing.T) {
	c := plain()
	c.Schedule = Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "Europe/London"}
	w, _, zoneOf := zonedWorld(c, []string{"Asia/Tokyo", "America/New_York"})
	first, _ := c.Schedule.WaveTime(EarliestZone)
	w.now = first
	f := w.waveFanout()
	occ := OccurrenceID(first)
	ctx := context.Background()
	if err := f.Fire(ctx, c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	setState := func(change func(State) (State, error)) {
		t.Helper()
		st := w.states[c.ID]
		next, err := change(st)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.SaveCampaignState(ctx, next, st.Version); err != nil {
			t.Fatal(err)
		}
	}
	setState(func(s State) (State, error) { return s.Pause(w.now) })
	w.now = utc("2027-01-15T00:00:00Z") // Tokyo's 09:00
	if w.tick() != 1 {
		t.Fatal("Tokyo's wave did not fire")
	}
	w.drain(t, f, 1000)
	if len(w.sends) != 0 {
		t.Fatalf("paused: %d sends queued", len(w.sends))
	}
	setState(func(s State) (State, error) { return s.ResumeFromPause(w.now) })
	if err := f.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	tokyo := 0
	for _, id := range w.sendsTo() {
		if zoneOf[id] != "Asia/Tokyo" {
			t.Errorf("%s (%s) queued with Tokyo's wave", id, zoneOf[id])
		}
		tokyo++
	}
	if tokyo == 0 || w.states[c.ID].Status != Sending {
		t.Fatalf("after resume: %d Tokyo sends, state %s", tokyo, w.states[c.ID].Status)
	}
	setState(func(s State) (State, error) { return s.Cancel(w.now) })
	w.now = utc("2027-01-15T14:00:00Z") // New York's 09:00
	if w.tick() == 0 {
		t.Fatal("New York's wave did not fire")
	}
	w.drain(t, f, 1000)
	if got := len(w.sendsTo()); got != tokyo {
		t.Errorf("cancelled: New York's wave queued %d sends", got-tokyo)
	}
	if err := f.Resume(ctx, c.ID); err != nil || len(w.queue) != 0 {
		t.Errorf("resume after cancel: %v, %d queued", err, len(w.queue))
	}
}

// TestCalendarWavesBeforeTheFirstRun: before a recipient-time campaign
// ran, the calendar's waves come from a bounded sample of its audience's
// member index (one page per source, their zones), so it shows a wave per
// zone the audience has, not only the default zone's.
func TestCalendarWavesBeforeTheFirstRun(t *testing.T) {
	c := plain()
	c.Schedule = Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "Europe/London"}
	w, _, _ := zonedWorld(c, []string{"Asia/Tokyo", "", "America/New_York"})
	// c001 has no zone in the index; its profile says Berlin.
	w.members["segment/engaged"][1].Timezone = ""
	reads := 0
	pager := countingPager{w, &reads}
	zones, err := SampleZones(context.Background(), pager, zonesOf{"c001": "Europe/Berlin"}, c, 40)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"America/New_York", "Asia/Tokyo", "Europe/Berlin", "Europe/London"}; !slices.Equal(zones, want) {
		t.Errorf("sampled zones %v, want %v", zones, want)
	}
	if reads != 2 {
		t.Errorf("%d index pages read, want one per source", reads)
	}
	entries := CalendarEntries(c, State{ID: c.ID, Status: Scheduled}, utc("2027-01-14T00:00:00Z"), utc("2027-01-16T00:00:00Z"), nil, zones)
	if len(entries) != 1 || len(entries[0]["waves"].([]Wave)) != 4 {
		t.Errorf("calendar %v, want four waves", entries)
	}
	// A sample never reads more than its bound.
	small := 0
	if _, err := SampleZones(context.Background(), countingPager{w, &small}, nil, c, 4); err != nil {
		t.Fatal(err)
	}
	if pager.w.lastLimit > 2 {
		t.Errorf("page limit %d over the per-source share of 4", pager.w.lastLimit)
	}
}

type countingPager struct {
	w     *world
	reads *int
}

func (p countingPager) MemberPage(ctx context.Context, src Source, cursor string, limit int) ([]Member, string, error) {
	*p.reads++
	p.w.lastLimit = limit
	return p.w.MemberPage(ctx, src, cursor, limit)
}

func (p countingPager) InSegments(ctx context.Context, segs, ids []string) (map[string]bool, error) {
	return p.w.InSegments(ctx, segs, ids)
}

// TestDecisionTime: an A/B decision comes wait after the test share went
// out: after the paging, or for a recipient-time campaign after the
// latest zone's wave when that is later.
func TestDecisionTime(t *testing.T) {
	rt := Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "Europe/London"}
	first, _ := rt.WaveTime(EarliestZone)
	cases := []struct {
		name     string
		schedule Schedule
		pagedAt  time.Time
		zones    []string
		want     string
	}{
		{"at: wait after the paging", Schedule{Type: "at", At: "2027-01-15T09:00", Zone: "UTC"}, utc("2027-01-15T09:00:10Z"), nil, "2027-01-15T13:00:10Z"},
		{"one zone at the first wave", rt, first, []string{"Pacific/Kiritimati"}, "2027-01-14T23:00:00Z"},
		{"Tokyo and New York: after New York's wave", rt, first, []string{"Asia/Tokyo", "America/New_York"}, "2027-01-15T18:00:00Z"},
		{"the default zone counts as London", rt, first, []string{"Asia/Tokyo", ""}, "2027-01-15T13:00:00Z"},
		{"Los Angeles, the latest of three", rt, first, []string{"America/Los_Angeles", "Asia/Tokyo", "Europe/Berlin"}, "2027-01-15T21:00:00Z"},
		{"waves already past: wait after the paging", rt, utc("2027-01-16T00:00:00Z"), []string{"Asia/Tokyo", "America/New_York"}, "2027-01-16T04:00:00Z"},
		{"no zone at all", rt, first, nil, first.Add(4 * time.Hour).Format(time.RFC3339)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := plain()
			c.Schedule = tc.schedule
			zones := map[string]int64{}
			for _, z := range tc.zones {
				zones[z] = 3
			}
			got, err := DecisionTime(c, tc.pagedAt, zones, 4*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format(time.RFC3339) != tc.want {
				t.Errorf("decision at %s, want %s", got.Format(time.RFC3339), tc.want)
			}
		})
	}
}

// TestRecipientTimeABDecisionWaitsForEveryTestWave: with an A/B test on a
// recipient-time campaign, no decision is armed until every zone's test
// wave is queued, and it is armed wait after the last of them; the
// results it reads then include the late zone's test sends.
func TestRecipientTimeABDecisionWaitsForEveryTestWave(t *testing.T) {
	c := plain()
	c.Schedule = Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "Europe/London"}
	c.Template = ""
	c.Variants = []Variant{{ID: "a", Template: "tpl-a"}, {ID: "b", Template: "tpl-b"}}
	c.Test = &ABTest{TestShare: 50, Metric: MetricClicks, Wait: "1h", Confidence: 0.9, Fallback: FallbackLeader}
	w, _, zoneOf := zonedWorld(c, []string{"Asia/Tokyo", "America/New_York"})
	first, _ := c.Schedule.WaveTime(EarliestZone)
	w.now = first
	f := w.waveFanout()
	var seen []string // the zones of the test sends the decision read
	f.Results = resultsSeen{clickRates{w: w, rates: map[string]float64{"a": 0.1, "b": 0.2}}, func() {
		for _, s := range w.sends {
			seen = append(seen, zoneOf[s.ContactID])
		}
	}}
	occ := OccurrenceID(first)
	ctx := context.Background()
	if err := f.Fire(ctx, c.ID, occ); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	name := "decide-" + c.ID + "-" + occ
	run := w.runs[c.ID+"/"+occ]
	if want := utc("2027-01-15T15:00:00Z"); !run.Done || run.Phase != PhaseTest || !run.DecideAt.Equal(want) {
		t.Fatalf("after paging the test share: run done %v phase %s decide at %s, want %s", run.Done, run.Phase, run.DecideAt, want)
	}
	if at, ok := w.decisions[name]; ok {
		t.Fatalf("decision armed at %s before any test wave was queued", at)
	}
	w.now = utc("2027-01-15T00:00:00Z") // Tokyo's 09:00
	if w.tick() != 1 {
		t.Fatal("Tokyo's test wave did not fire")
	}
	w.drain(t, f, 1000)
	if at, ok := w.decisions[name]; ok {
		t.Fatalf("decision armed at %s with New York's test wave still to come", at)
	}
	// New York's wave is queued a minute late: the wait runs from then.
	w.now = utc("2027-01-15T14:01:00Z")
	if w.tick() != 1 {
		t.Fatal("New York's test wave did not fire")
	}
	w.drain(t, f, 1000)
	if at, want := w.decisions[name], utc("2027-01-15T15:01:00Z"); !at.Equal(want) {
		t.Fatalf("decision armed at %s, want %s (an hour after the last test wave)", at, want)
	}
	// The timer fires: the decision reads both zones' test sends.
	w.now = w.decisions[name]
	if len(w.timers) != 1 {
		t.Fatalf("%d decision timers", len(w.timers))
	}
	if err := f.Handle(ctx, w.timers[0]); err != nil {
		t.Fatal(err)
	}
	zones := map[string]int{}
	for _, z := range seen {
		zones[z]++
	}
	if zones["Asia/Tokyo"] == 0 || zones["America/New_York"] == 0 {
		t.Fatalf("the decision read test sends by zone %v, want both zones", zones)
	}
	if run := w.runs[c.ID+"/"+occ]; run.Phase != PhaseRest || run.Winner == "" {
		t.Fatalf("after the decision: phase %s winner %q", run.Phase, run.Winner)
	}
}

// resultsSeen calls seen when the decision reads the results.
type resultsSeen struct {
	clickRates
	seen func()
}

func (r resultsSeen) VariantCounts(ctx context.Context, id, occ, metric string, vs []Variant) ([]VariantCount, error) {
	r.seen()
	return r.clickRates.VariantCounts(ctx, id, occ, metric, vs)
}
