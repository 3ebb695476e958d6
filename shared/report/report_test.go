package report

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

func TestBucketIsLogScaleTwoPerDoubling(t *testing.T) {
	for _, c := range []struct {
		hours float64
		want  int
	}{
		{-3, 0}, {math.NaN(), 0}, {0, 0}, {0.99, 0},
		{1, 1}, {1.41, 1}, {1.42, 2}, {2, 3}, {3.9, 4}, {4, 5}, {24, 10}, {100, 14},
		{1e9, HistogramBuckets - 1},
	} {
		if got := Bucket(c.hours); got != c.want {
			t.Errorf("Bucket(%v) = %d, want %d", c.hours, got, c.want)
		}
		if c.hours >= 0 && c.hours < 1e8 {
			lo, hi := BucketBounds(c.want)
			if c.hours < lo || c.hours >= hi {
				t.Errorf("%v hours is outside its bucket %d [%v, %v)", c.hours, c.want, lo, hi)
			}
		}
	}
}

func TestMedianFromHistogram(t *testing.T) {
	hist := func(hours ...float64) []int64 {
		b := make([]int64, HistogramBuckets)
		for _, h := range hours {
			b[Bucket(h)]++
		}
		return b
	}
	for _, c := range []struct {
		name    string
		buckets []int64
		want    float64 // true median of the samples
		ok      bool
	}{
		{"no samples", hist(), 0, false},
		{"one sample in the first bucket", hist(0.5), 0.5, true},
		{"one sample a day", hist(24), 24, true},
		{"odd count", hist(1.5, 24, 30, 200, 900), 30, true},
		{"even count", hist(2, 5, 48, 96), 26.5, true},
		{"a week and a long tail", hist(168, 170, 160, 5000, 9000, 0.2, 165), 168, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Median(c.buckets)
			if ok != c.ok {
				t.Fatalf("ok %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			// A median read from buckets two per doubling is within √2 of
			// the true one (the bucket holding it is that wide).
			if got < c.want/math.Sqrt2 || got > c.want*math.Sqrt2 {
				t.Fatalf("median %v hours, want within √2 of %v", got, c.want)
			}
		})
	}
	// Exact case: three samples in bucket 10 ([22.6, 32) hours): the middle
	// one is read at the geometric middle of the bucket.
	b := make([]int64, HistogramBuckets)
	b[10] = 3
	got, _ := Median(b)
	lo, hi := BucketBounds(10)
	if want := math.Sqrt(lo * hi); math.Abs(got-want) > 1e-9 {
		t.Fatalf("median %v, want %v", got, want)
	}
}

var day1 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func track(event string, at time.Time, props map[string]any) tracking.Message {
	return tracking.Message{Type: tracking.TypeTrack, Event: event, Timestamp: at, Properties: props}
}

func email(event string, at time.Time, machine bool) tracking.Message {
	m := track(event, at, map[string]any{"machine": machine})
	m.ContactID = "c1"
	return m
}

func move(from, to scoring.Stage, at time.Time) scoring.StageChange {
	return scoring.StageChange{From: from, To: to, At: at, By: "rule:x"}
}

func TestFromChange(t *testing.T) {
	ny := time.FixedZone("New York", -5*3600)
	known := &contact.Profile{ID: "c1", Email: "a@b.example"}
	anon := &contact.Profile{ID: "c1"}
	for _, c := range []struct {
		name   string
		change contact.Change
		want   Tally
	}{
		{
			name:   "a new anonymous visitor's page views",
			change: contact.Change{After: anon, Now: day1, Events: []tracking.Message{{Type: tracking.TypePage, Timestamp: day1}, {Type: tracking.TypePage, Timestamp: day1}}},
			want:   Tally{"2026-12-07": {NewContacts: 1, Events: 2}},
		},
		{
			name:   "a new contact that identifies at once",
			change: contact.Change{After: known, Now: day1, Events: []tracking.Message{{Type: tracking.TypeIdentify, Timestamp: day1}}},
			want:   Tally{"2026-12-07": {NewContacts: 1, Identified: 1, Events: 1}},
		},
		{
			name:   "a known visitor identifies again: nothing new",
			change: contact.Change{Before: known, After: known, Now: day1, Events: []tracking.Message{{Type: tracking.TypeIdentify, Timestamp: day1}}},
			want:   Tally{"2026-12-07": {Events: 1}},
		},
		{
			name: "events count on their own UTC day, not the sender's local day",
			change: contact.Change{Before: anon, After: anon, Now: day1, Events: []tracking.Message{
				// 23:30 in New York on the 6th is 04:30 UTC on the 7th.
				{Type: tracking.TypePage, Timestamp: time.Date(2026, 12, 6, 23, 30, 0, 0, ny)},
				// 23:59:59 UTC on the 6th stays on the 6th.
				{Type: tracking.TypePage, Timestamp: time.Date(2026, 12, 6, 23, 59, 59, 0, time.UTC)},
			}},
			want: Tally{"2026-12-07": {Events: 1}, "2026-12-06": {Events: 1}},
		},
		{
			name: "a form fill is an event and a form fill",
			change: contact.Change{Before: anon, After: known, Now: day1, Events: []tracking.Message{
				track("Form Submitted", day1, map[string]any{"form_id": "demo-request"}),
			}},
			want: Tally{"2026-12-07": {Identified: 1, Events: 1, FormFills: 1}},
		},
		{
			name: "email events: human and machine apart, not counted as site events",
			change: contact.Change{Before: known, After: known, Now: day1, Events: []tracking.Message{
				email("Email Opened", day1, false), email("Email Opened", day1, true),
				email("Email Link Clicked", day1, false), email("Email Link Clicked", day1, true), email("Email Link Clicked", day1, true),
				email("Unsubscribed", day1, false), email("Email Bounced", day1, false), email("Email Marked as Spam", day1, false),
			}},
			want: Tally{"2026-12-07": {OpensHuman: 1, OpensMachine: 1, ClicksHuman: 1, ClicksMachine: 2, Unsubscribes: 1, Bounced: 1, Complained: 1}},
		},
		{
			name: "a first stage, then a step with its time from the stage before",
			change: contact.Change{
				Before: &contact.Profile{ID: "c1", Email: "a@b.example", StageHistory: []scoring.StageChange{move("", scoring.Subscriber, day1.Add(-30*time.Hour))}},
				After:  &contact.Profile{ID: "c1", Email: "a@b.example", StageHistory: []scoring.StageChange{move("", scoring.Subscriber, day1.Add(-30*time.Hour)), move(scoring.Subscriber, scoring.Lead, day1)}},
				Now:    day1,
			},
			want: Tally{"2026-12-07": {ReachedCounter(scoring.Lead): 1, VelocityCounter(scoring.Lead, Bucket(30)): 1}},
		},
		{
			name: "a jump reaches every stage it passes; only the step from an earlier stage is timed",
			change: contact.Change{
				Before: &contact.Profile{ID: "c1", StageHistory: []scoring.StageChange{move("", scoring.Subscriber, day1.Add(-2*time.Hour))}},
				After:  &contact.Profile{ID: "c1", StageHistory: []scoring.StageChange{move("", scoring.Subscriber, day1.Add(-2*time.Hour)), move(scoring.Subscriber, scoring.MQL, day1)}},
				Now:    day1,
			},
			want: Tally{"2026-12-07": {ReachedCounter(scoring.Lead): 1, ReachedCounter(scoring.MQL): 1, VelocityCounter(scoring.Lead, Bucket(2)): 1}},
		},
		{
			name: "moving back and forward again reaches nothing new",
			change: contact.Change{
				Before: &contact.Profile{ID: "c1", StageHistory: []scoring.StageChange{move("", scoring.Lead, day1.Add(-48*time.Hour)), move(scoring.Lead, scoring.MQL, day1.Add(-24*time.Hour)), move(scoring.MQL, scoring.Lead, day1.Add(-time.Hour))}},
				After:  &contact.Profile{ID: "c1", StageHistory: []scoring.StageChange{move("", scoring.Lead, day1.Add(-48*time.Hour)), move(scoring.Lead, scoring.MQL, day1.Add(-24*time.Hour)), move(scoring.MQL, scoring.Lead, day1.Add(-time.Hour)), move(scoring.Lead, scoring.MQL, day1)}},
				Now:    day1,
			},
			want: Tally{},
		},
		{
			name: "disqualified is off the funnel",
			change: contact.Change{
				Before: &contact.Profile{ID: "c1"},
				After:  &contact.Profile{ID: "c1", StageHistory: []scoring.StageChange{move("", scoring.Disqualified, day1)}},
				Now:    day1,
			},
			want: Tally{},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := FromChange(&c.change)
			if !equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func equal(a, b Tally) bool {
	if len(a) != len(b) {
		return false
	}
	for d, cs := range a {
		if len(cs) != len(b[d]) {
			return false
		}
		for k, n := range cs {
			if b[d][k] != n {
				return false
			}
		}
	}
	return true
}

// fakeWriter records each write.
type fakeWriter struct {
	mu     sync.Mutex
	writes []string
	sums   Tally
}

func (f *fakeWriter) AddReportCounts(_ context.Context, day string, shard int, c Counts) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sums == nil {
		f.sums = Tally{}
	}
	f.writes = append(f.writes, day)
	for k, n := range c {
		f.sums.Add(day, k, n)
	}
	if shard < 0 || shard >= Shards {
		panic("shard out of range")
	}
	return nil
}

func TestCounterSumsABatchAndCountsOnlyCommittedChanges(t *testing.T) {
	w := &fakeWriter{}
	c := NewCounter(w)
	ctx := context.Background()
	page := []tracking.Message{{Type: tracking.TypePage, Timestamp: day1}}
	for i := range 50 {
		ch := &contact.Change{After: &contact.Profile{ID: "c" + strings.Repeat("x", i)}, Events: page, Now: day1}
		_ = c.React(ctx, ch)
		c.Committed(ctx, ch)
	}
	// A conflict retry reacts twice for one contact: counted once.
	retried := &contact.Change{After: &contact.Profile{ID: "retried"}, Events: page, Now: day1}
	_ = c.React(ctx, retried)
	_ = c.React(ctx, retried)
	c.Committed(ctx, retried)
	// A change whose write failed is not counted.
	_ = c.React(ctx, &contact.Change{After: &contact.Profile{ID: "failed"}, Events: page, Now: day1})
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 1 {
		t.Fatalf("%d writes, want one for the batch's one day", len(w.writes))
	}
	if got := w.sums["2026-12-07"]; got[NewContacts] != 51 || got[Events] != 51 {
		t.Fatalf("sums %v, want 51 new contacts and 51 events", got)
	}
	// An empty batch writes nothing.
	if err := c.Flush(ctx); err != nil || len(w.writes) != 1 {
		t.Fatalf("empty flush wrote: %d writes, err %v", len(w.writes), err)
	}
}

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		from, to string
		days     int
		err      string
	}{
		{"2026-12-01", "2026-12-07", 7, ""},
		{"2026-12-07", "2026-12-07", 1, ""},
		{"2025-12-07", "2026-12-07", 366, ""},
		{"2025-12-06", "2026-12-07", 0, "367 days asked, at most 366"},
		{"", "2026-12-07", 0, "from and to are required"},
		{"2026-12-7", "2026-12-07", 0, `from "2026-12-7" is not a date`},
		{"2026-12-07", "tomorrow", 0, `to "tomorrow" is not a date`},
		{"2026-12-08", "2026-12-07", 0, "to 2026-12-07 is before from 2026-12-08"},
	} {
		r, err := ParseRange(c.from, c.to)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseRange(%q, %q) error %v, want %q", c.from, c.to, err, c.err)
			}
			continue
		}
		if err != nil || len(r.Days()) != c.days {
			t.Errorf("ParseRange(%q, %q) = %d days, %v; want %d", c.from, c.to, len(r.Days()), err, c.days)
		}
	}
}

func TestFunnelOfSumsDaysAndReadsMedians(t *testing.T) {
	days := []string{"2026-12-06", "2026-12-07"}
	t1 := Tally{}
	t1.Add(days[0], ReachedCounter(scoring.Subscriber), 10)
	t1.Add(days[1], ReachedCounter(scoring.Subscriber), 10)
	t1.Add(days[0], ReachedCounter(scoring.Lead), 5)
	t1.Add(days[1], VelocityCounter(scoring.Lead, Bucket(24)), 3)
	t1.Add(days[1], VelocityCounter(scoring.Lead, Bucket(100)), 1)
	t1.Add("2026-12-08", ReachedCounter(scoring.Lead), 99) // outside the range
	f := FunnelOf(t1, days)
	if len(f.Stages) != 6 || f.Stages[0].Stage != "subscriber" || f.Stages[5].Stage != "customer" {
		t.Fatalf("stages %+v", f.Stages)
	}
	s, l := f.Stages[0], f.Stages[1]
	if s.Reached != 20 || l.Reached != 5 || s.ConversionToNext == nil || *s.ConversionToNext != 0.25 {
		t.Fatalf("subscriber %+v lead %+v", s, l)
	}
	if s.SamplesToNext != 4 || s.MedianHoursToNext == nil || *s.MedianHoursToNext < 22.6 || *s.MedianHoursToNext >= 32 {
		t.Fatalf("subscriber→lead median %v over %d samples, want in the 24-hour bucket over 4", s.MedianHoursToNext, s.SamplesToNext)
	}
	if l.ConversionToNext == nil || *l.ConversionToNext != 0 || l.MedianHoursToNext != nil {
		t.Fatalf("lead %+v: want conversion 0 and no median", l)
	}
	if f.Stages[2].ConversionToNext != nil || f.Stages[5].ConversionToNext != nil {
		t.Fatalf("a stage nobody reached has no conversion: %+v", f.Stages)
	}
}
