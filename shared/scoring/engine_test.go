package scoring

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

func TestEngagementRules(t *testing.T) {
	e := testEngine(t)
	identify := tracking.Message{Type: tracking.TypeIdentify, MessageID: "i1", Timestamp: t0, Traits: map[string]any{"phone": "+1 555"}}
	identifyNoPhone := tracking.Message{Type: tracking.TypeIdentify, MessageID: "i2", Timestamp: t0, Traits: map[string]any{"title": "VP"}}
	urlOnly := tracking.Message{Type: tracking.TypePage, MessageID: "p9", Timestamp: t0,
		Context: tracking.Context{Page: &tracking.Page{URL: "https://leadflow.example/pricing?plan=pro"}}}
	tests := []struct {
		name string
		msg  tracking.Message
		want map[string]int // rule → points awarded
	}{
		{"page prefix", page("p1", "/pricing", t0), map[string]int{"pricing": 10}},
		{"page path derived from url", urlOnly, map[string]int{"pricing": 10}},
		{"other page", page("p2", "/about", t0), map[string]int{}},
		{"negative points", page("p3", "/careers/engineer", t0), map[string]int{"careers": -10}},
		{"track event", track("t1", "Demo Requested", t0, nil), map[string]int{"demo": 30}},
		{"track event name ignores case", track("t2", "demo requested", t0, nil), map[string]int{"demo": 30}},
		{"track event with spaces around", track("t3", " Demo Requested ", t0, nil), map[string]int{"demo": 30}},
		{"property filter matches", track("t4", "Plan Viewed", t0, map[string]any{"plan": "Enterprise"}), map[string]int{"enterprise-plan": 7}},
		{"property filter misses", track("t5", "Plan Viewed", t0, map[string]any{"plan": "team"}), map[string]int{}},
		{"property missing", track("t6", "Plan Viewed", t0, nil), map[string]int{}},
		{"negative event", track("t7", "Unsubscribed", t0, nil), map[string]int{"unsub": -20}},
		{"identify with filter", identify, map[string]int{"phone": 5}},
		{"identify without the trait", identifyNoPhone, map[string]int{}},
		{"a track event named page is not a page view", track("t8", "page", t0, nil), map[string]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, changes := e.ScoreEvent(State{}, Facts{}, tc.msg)
			got := map[string]int{}
			sum := 0
			for _, c := range changes {
				if c.Kind != KindEngagement {
					continue
				}
				got[c.RuleID] += c.Points
				sum += c.Points
				if c.MessageID != tc.msg.MessageID || !c.At.Equal(tc.msg.Timestamp) {
					t.Errorf("change %+v does not name its message and time", c)
				}
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("awarded %v, want %v", got, tc.want)
			}
			if !near(s.Engagement, float64(sum)) {
				t.Errorf("engagement %v, want %d", s.Engagement, sum)
			}
		})
	}
}

func TestNonMatchingMessageChangesNothing(t *testing.T) {
	e := testEngine(t)
	s0, _ := e.ScoreEvent(State{}, corporateVP(), page("p1", "/pricing", t0))
	s1, changes := e.ScoreEvent(s0, corporateVP(), page("p2", "/about", t0.Add(day)))
	if len(changes) != 0 || !reflect.DeepEqual(s0, s1) {
		t.Errorf("a page no rule wants changed the state: %+v, %+v", changes, s1)
	}
}

// award scores msgs one by one from an empty state and returns each
// message's engagement changes.
func award(t *testing.T, e *Engine, msgs ...tracking.Message) (State, [][]Change) {
	t.Helper()
	var s State
	var out [][]Change
	for _, m := range msgs {
		var cs []Change
		s, cs = e.ScoreEvent(s, Facts{}, m)
		var eng []Change
		for _, c := range cs {
			if c.Kind == KindEngagement {
				eng = append(eng, c)
			}
		}
		out = append(out, eng)
	}
	return s, out
}

func TestCaps(t *testing.T) {
	e := testEngine(t)
	type want struct {
		points int
		capped bool
	}
	sunday := t0.Add(6*day + 14*time.Hour + 59*time.Minute) // Sun 23:59
	nextMonday := t0.Add(7*day - 9*time.Hour)               // Mon 00:00
	endOfMarch := time.Date(2025, 3, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name string
		msgs []tracking.Message
		want []want
	}{
		{"weekly cap cuts the third view", []tracking.Message{
			page("a", "/pricing", t0), page("b", "/pricing", t0.Add(time.Hour)), page("c", "/pricing", t0.Add(2*time.Hour)),
		}, []want{{10, false}, {10, false}, {0, true}}},
		{"ISO week runs Monday to Sunday", []tracking.Message{
			page("a", "/pricing", t0), page("b", "/pricing", t0.Add(time.Hour)), page("c", "/pricing", sunday),
			page("d", "/pricing", nextMonday),
		}, []want{{10, false}, {10, false}, {0, true}, {10, false}}},
		{"a week starting on Sunday's first event", []tracking.Message{
			page("a", "/pricing", sunday), page("b", "/pricing", sunday.Add(59*time.Second)), page("c", "/pricing", nextMonday),
			page("d", "/pricing", nextMonday.Add(time.Hour)), page("e", "/pricing", nextMonday.Add(2*time.Hour)),
		}, []want{{10, false}, {10, false}, {10, false}, {10, false}, {0, true}}},
		{"daily cap awards the remainder", []tracking.Message{
			page("a", "/blog/x", t0), page("b", "/blog/y", t0.Add(time.Hour)), page("c", "/blog/z", t0.Add(2*time.Hour)),
			page("d", "/blog/w", t0.Add(15*time.Hour)), // 00:00 next day
		}, []want{{3, false}, {2, true}, {0, true}, {3, false}}},
		{"monthly cap resets on the 1st", []tracking.Message{
			track("a", "Webinar Attended", endOfMarch.Add(-day), nil), track("b", "Webinar Attended", endOfMarch, nil),
			track("c", "Webinar Attended", endOfMarch.Add(time.Second), nil),
		}, []want{{20, false}, {0, true}, {20, false}}},
		{"negative points are never capped", []tracking.Message{
			page("a", "/careers", t0), page("b", "/careers/x", t0.Add(time.Minute)), page("c", "/careers/y", t0.Add(2*time.Minute)),
		}, []want{{-10, false}, {-10, false}, {-10, false}}},
		{"a late event is charged to the open window", []tracking.Message{
			page("next", "/pricing", nextMonday), page("late", "/pricing", t0), page("next2", "/pricing", nextMonday.Add(time.Hour)),
		}, []want{{10, false}, {10, false}, {0, true}}},
		{"a late event with no window opens its own", []tracking.Message{
			page("late", "/pricing", t0), page("next", "/pricing", nextMonday),
		}, []want{{10, false}, {10, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, per := award(t, e, tc.msgs...)
			total := 0
			for i, w := range tc.want {
				if len(per[i]) != 1 {
					t.Fatalf("message %d: %d changes, want 1: %+v", i, len(per[i]), per[i])
				}
				c := per[i][0]
				if c.Points != w.points || c.Capped != w.capped {
					t.Errorf("message %s: points %d capped %v, want %d %v", tc.msgs[i].MessageID, c.Points, c.Capped, w.points, w.capped)
				}
				total += c.Points
			}
			// No decay check here: all within days, so just the sign and order.
			if total != 0 && math.Signbit(s.Engagement) != (total < 0) {
				t.Errorf("engagement %v has the wrong sign for %d points", s.Engagement, total)
			}
		})
	}
}

func TestNegativePointsDoNotUseTheCap(t *testing.T) {
	m := testModel()
	m.Engagement = append(m.Engagement, EngagementRule{ID: "pricing-penalty", Event: "page",
		Filters: []Condition{{Field: "page.path", Op: OpEq, Value: "/pricing/cancel"}}, Points: -5})
	e, err := NewEngine(m)
	if err != nil {
		t.Fatal(err)
	}
	_, per := award(t, e, page("a", "/pricing/cancel", t0), page("b", "/pricing", t0.Add(time.Minute)), page("c", "/pricing", t0.Add(2*time.Minute)))
	if got := per[0]; len(got) != 2 || got[0].Points != 10 || got[1].Points != -5 {
		t.Fatalf("first message: %+v", got)
	}
	if got := per[2][0]; got.Points != 0 || !got.Capped {
		t.Errorf("negative points refilled the cap: %+v", got)
	}
}

func TestDecay(t *testing.T) {
	e := testEngine(t)
	s, _ := e.ScoreEvent(State{}, Facts{}, track("d", "Demo Requested", t0, nil)) // 30 points
	tests := []struct {
		at   time.Time
		want float64
	}{
		{t0, 30},
		{t0.Add(-10 * day), 30}, // before AsOf: no growth
		{t0.Add(15 * day), 30 / math.Sqrt2},
		{t0.Add(30 * day), 15},
		{t0.Add(60 * day), 7.5},
		{t0.Add(300 * day), 30.0 / 1024},
	}
	for _, tc := range tests {
		if got := e.EngagementAt(s, tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("EngagementAt(+%v) = %v, want %v", tc.at.Sub(t0), got, tc.want)
		}
	}
	if sc := e.Score(s, t0.Add(30*day)); sc.Engagement != 15 || sc.Total != 15 || sc.Fit != 0 {
		t.Errorf("Score at one half-life = %+v", sc)
	}
	// Adding at a later time first decays the held value.
	s, _ = e.ScoreEvent(s, Facts{}, track("d2", "Demo Requested", t0.Add(30*day), nil))
	if !near(s.Engagement, 45) || !s.AsOf.Equal(t0.Add(30*day)) || !near(s.ByRule["demo"], 45) {
		t.Errorf("after a second demo a half-life later: engagement %v as of %v, by rule %v", s.Engagement, s.AsOf, s.ByRule)
	}
	if c := (Change{Kind: KindEngagement, Points: 30, At: t0}); !near(e.Decayed(c, t0.Add(60*day)), 7.5) {
		t.Errorf("Decayed = %v, want 7.5", e.Decayed(c, t0.Add(60*day)))
	}
	if c := (Change{Kind: KindFit, Points: 20, At: t0}); e.Decayed(c, t0.Add(600*day)) != 20 {
		t.Error("fit points decayed")
	}

	m := testModel()
	m.HalfLifeDays = 0
	flat, err := NewEngine(m)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = flat.ScoreEvent(State{}, Facts{}, track("d", "Demo Requested", t0, nil))
	if got := flat.EngagementAt(s, t0.Add(3650*day)); got != 30 {
		t.Errorf("no half-life still decays: %v", got)
	}
	if flat.Horizon() != 0 {
		t.Error("no half-life has a horizon")
	}
}

func TestHorizon(t *testing.T) {
	e := testEngine(t)
	h := e.Horizon()
	// The largest rule is 30 points: beyond the horizon it is worth < 0.5.
	c := Change{Kind: KindEngagement, Points: 30, At: t0}
	if got := e.Decayed(c, t0.Add(h+time.Hour)); got >= 0.5 {
		t.Errorf("30 points after the horizon %v are worth %v", h, got)
	}
	if got := e.Decayed(c, t0.Add(h-day)); got < 0.5 {
		t.Errorf("horizon %v is longer than needed: %v a day before", h, got)
	}
}

func TestOutOfOrderEventsScoreAsInOrder(t *testing.T) {
	e := testEngine(t)
	// No capped rule fires twice in one period here, so arrival order must
	// not change anything but float rounding.
	msgs := []tracking.Message{
		track("a", "Demo Requested", t0, nil),
		page("b", "/pricing", t0.Add(3*day)),
		page("c", "/careers", t0.Add(10*day)),
		track("d", "Webinar Attended", t0.Add(40*day), nil),
		track("e", "Unsubscribed", t0.Add(41*day), nil),
		page("f", "/pricing", t0.Add(50*day)),
		track("g", "Demo Requested", t0.Add(90*day), nil),
	}
	inOrder, _ := award(t, e, msgs...)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		shuffled := append([]tracking.Message(nil), msgs...)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		got, _ := award(t, e, shuffled...)
		if math.Abs(got.Engagement-inOrder.Engagement) > 1e-9 || !got.AsOf.Equal(inOrder.AsOf) {
			t.Fatalf("shuffle %d: engagement %v as of %v, in order %v as of %v", i, got.Engagement, got.AsOf, inOrder.Engagement, inOrder.AsOf)
		}
		for id, v := range inOrder.ByRule {
			if math.Abs(got.ByRule[id]-v) > 1e-9 {
				t.Fatalf("shuffle %d: rule %s %v, in order %v", i, id, got.ByRule[id], v)
			}
		}
	}
	// And the value is the closed form: each event decayed from its own time.
	want := 0.0
	for _, m := range msgs {
		_, cs := e.ScoreEvent(State{}, Facts{}, m)
		want += float64(cs[0].Points) * math.Exp2(-inOrder.AsOf.Sub(m.Timestamp).Hours()/24/30)
	}
	if math.Abs(inOrder.Engagement-want) > 1e-9 {
		t.Errorf("engagement %v, closed form %v", inOrder.Engagement, want)
	}
	var sum float64
	for _, v := range inOrder.ByRule {
		sum += v
	}
	if math.Abs(sum-inOrder.Engagement) > 1e-9 {
		t.Errorf("by-rule shares sum to %v, engagement is %v", sum, inOrder.Engagement)
	}
}

func TestDecayedSharesArePruned(t *testing.T) {
	e := testEngine(t)
	s, _ := award(t, e, page("a", "/pricing", t0), track("b", "Demo Requested", t0.Add(400*day), nil))
	if _, ok := s.ByRule["pricing"]; ok {
		t.Errorf("a share worth 10·2^-13 is still held: %v", s.ByRule)
	}
	if !near(s.Engagement, 30) {
		t.Errorf("engagement %v, want 30 (pruned share removed from the sum)", s.Engagement)
	}
}

func TestFitIsRecomputedFromFacts(t *testing.T) {
	e := testEngine(t)
	f := corporateVP() // senior 20 + corporate 10 + US 5 + 201-500 15
	s, changes := e.ScoreEvent(State{}, f, page("p", "/about", t0))
	if s.Fit != 50 || len(changes) != 4 {
		t.Fatalf("fit %d, changes %+v", s.Fit, changes)
	}
	for _, c := range changes {
		if c.Kind != KindFit || c.MessageID != "p" || c.Points != s.FitBreakdown[c.RuleID] {
			t.Errorf("fit change %+v", c)
		}
	}

	tests := []struct {
		name    string
		mutate  func(*Facts)
		fit     int
		changes map[string]int
	}{
		{"same facts change nothing", func(*Facts) {}, 50, map[string]int{}},
		{"title lost", func(f *Facts) { f.Traits = map[string]any{"title": "Engineer", "employees": 300.0} }, 30, map[string]int{"senior": -20}},
		{"free-mail swaps two rules", func(f *Facts) { f.Company.EmailType = "freemail" }, 30, map[string]int{"corporate": -10, "freemail": -10}},
		{"bigger company leaves the band", func(f *Facts) { f.Traits = map[string]any{"title": "VP", "employees": 5000.0} }, 35, map[string]int{"size": -15}},
		{"everything unknown", func(f *Facts) { *f = Facts{} }, 0, map[string]int{"senior": -20, "corporate": -10, "country": -5, "size": -15}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := corporateVP()
			tc.mutate(&f)
			got, changes := e.ScoreEvent(s, f, page("q", "/about", t0.Add(day)))
			if got.Fit != tc.fit {
				t.Errorf("fit %d, want %d", got.Fit, tc.fit)
			}
			delta := map[string]int{}
			sum := 0
			for _, c := range changes {
				delta[c.RuleID] += c.Points
				sum += c.Points
			}
			if !maps.Equal(delta, tc.changes) {
				t.Errorf("changes %v, want %v", delta, tc.changes)
			}
			if s.Fit+sum != got.Fit {
				t.Errorf("changes sum to %d but fit went %d → %d", sum, s.Fit, got.Fit)
			}
		})
	}
}

func TestFitRuleRemovedFromModelIsTakenBack(t *testing.T) {
	old := testEngine(t)
	s, _ := old.ScoreEvent(State{}, corporateVP(), page("p", "/about", t0))
	m := testModel()
	m.Fit = m.Fit[1:] // drop "senior"
	e, err := NewEngine(m)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Stale(s) || old.Stale(s) || e.Stale(State{}) {
		t.Error("Stale should flag exactly a state from another model")
	}
	got, changes := e.ScoreEvent(s, corporateVP(), page("q", "/about", t0))
	if got.Fit != 30 || len(changes) != 1 || changes[0].RuleID != "senior" || changes[0].Points != -20 {
		t.Errorf("fit %d, changes %+v", got.Fit, changes)
	}
	if got.ModelVersion != old.Version() {
		t.Error("ScoreEvent relabelled a stale state; the background re-score would skip it")
	}
}

func TestScoreEventDoesNotChangeItsInput(t *testing.T) {
	e := testEngine(t)
	s, _ := award(t, e, page("a", "/pricing", t0), track("b", "Demo Requested", t0, nil))
	s, _ = e.ScoreEvent(s, corporateVP(), page("c", "/blog/x", t0))
	before, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range []tracking.Message{page("d", "/pricing", t0.Add(day)), page("e", "/blog/y", t0.Add(2*day)), track("f", "Unsubscribed", t0, nil)} {
		f := corporateVP()
		f.Company.EmailType = "freemail"
		first, c1 := e.ScoreEvent(s, f, m)
		again, c2 := e.ScoreEvent(s, f, m)
		if !reflect.DeepEqual(first, again) || !reflect.DeepEqual(c1, c2) {
			t.Errorf("message %d: the same input gave different results", i)
		}
	}
	after, _ := json.Marshal(s)
	if string(before) != string(after) {
		t.Errorf("ScoreEvent changed its input state:\n%s\n%s", before, after)
	}
}

func TestScoreEventsIsOrderIndependentWithinABatch(t *testing.T) {
	e := testEngine(t)
	batch := []tracking.Message{
		page("c", "/pricing", t0.Add(2*time.Hour)), page("a", "/pricing", t0), page("b", "/pricing", t0.Add(time.Hour)),
		page("a", "/pricing", t0), // repeated id in one batch
	}
	s1, c1 := e.ScoreEvents(State{}, corporateVP(), batch)
	rev := []tracking.Message{batch[2], batch[3], batch[1], batch[0]}
	s2, c2 := e.ScoreEvents(State{}, corporateVP(), rev)
	if !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(c1, c2) {
		t.Fatalf("batch order changed the result:\n%+v\n%+v", c1, c2)
	}
	eng := 0
	for _, c := range c1 {
		if c.Kind == KindEngagement {
			eng++
			if c.MessageID == "c" && (!c.Capped || c.Points != 0) {
				t.Errorf("the latest view should be the capped one: %+v", c)
			}
		} else if c.MessageID != "c" {
			// No message in the batch carries traits: the last one is credited.
			t.Errorf("fit change not attributed to the batch's last message: %+v", c)
		}
	}
	if eng != 3 {
		t.Errorf("%d engagement changes, want 3 (the repeated id scores once)", eng)
	}
}

// Fit is credited to the message that set the traits it reads (issue 8.9):
// a batch [identify with title and company size, page /pricing, page /docs]
// credited the fit rules to the page view of /docs.
func TestFitIsCreditedToTheMessageThatSetTheTraits(t *testing.T) {
	e := testEngine(t)
	id := tracking.Message{Type: "identify", MessageID: "id-1", Timestamp: t0, Traits: map[string]any{"title": "VP", "employees": 300.0}}
	batch := []tracking.Message{id, page("p-1", "/pricing", t0.Add(time.Second)), page("p-2", "/docs", t0.Add(2*time.Second))}
	_, changes := e.ScoreEvents(State{}, corporateVP(), batch)
	fit := 0
	for _, c := range changes {
		if c.Kind != KindFit {
			continue
		}
		fit++
		if c.MessageID != "id-1" || !c.At.Equal(t0) {
			t.Errorf("fit change credited to %s at %v, want the identify id-1 at %v: %+v", c.MessageID, c.At, t0, c)
		}
	}
	if fit == 0 {
		t.Fatal("no fit changes")
	}
}

func timeline() []tracking.Message {
	var msgs []tracking.Message
	for i := range 40 {
		at := t0.Add(time.Duration(i) * 37 * time.Hour)
		switch i % 5 {
		case 0:
			msgs = append(msgs, page(fmt.Sprintf("p%d", i), "/pricing", at))
		case 1:
			msgs = append(msgs, page(fmt.Sprintf("b%d", i), "/blog/post", at))
		case 2:
			msgs = append(msgs, track(fmt.Sprintf("w%d", i), "Webinar Attended", at, nil))
		case 3:
			msgs = append(msgs, page(fmt.Sprintf("c%d", i), "/careers", at))
		default:
			msgs = append(msgs, track(fmt.Sprintf("d%d", i), "Demo Requested", at, nil))
		}
	}
	return msgs
}

func TestRescoreIsDeterministicAndNeverDoubleCounts(t *testing.T) {
	e := testEngine(t)
	now := t0.Add(100 * day)
	events := timeline()
	want, wantChanges := e.Rescore(corporateVP(), events, now)
	if want.ModelVersion != e.Version() {
		t.Errorf("model version %q, want %q", want.ModelVersion, e.Version())
	}

	// The same input again, shuffled, and with every event delivered twice.
	rng := rand.New(rand.NewPCG(3, 4))
	shuffled := append(append([]tracking.Message(nil), events...), events...)
	rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
	for name, in := range map[string][]tracking.Message{"again": events, "shuffled with duplicates": shuffled} {
		got, changes := e.Rescore(corporateVP(), in, now)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(changes, wantChanges) {
			t.Errorf("%s: Rescore gave a different result", name)
		}
	}

	// It equals scoring the timeline event by event, in order.
	var inc State
	for _, m := range events {
		inc, _ = e.ScoreEvent(inc, corporateVP(), m)
	}
	if math.Abs(inc.Engagement-want.Engagement) > 1e-9 || inc.Fit != want.Fit || !reflect.DeepEqual(inc.Caps, want.Caps) {
		t.Errorf("incremental %v/%d, rescore %v/%d", inc.Engagement, inc.Fit, want.Engagement, want.Fit)
	}

	// Changes explain the state: engagement points decayed to AsOf sum to it.
	var sum float64
	for _, c := range wantChanges {
		if c.Kind == KindEngagement {
			sum += e.Decayed(c, want.AsOf)
		} else if c.MessageID != "" || !c.At.Equal(now) {
			t.Errorf("re-score fit change should be dated now with no message: %+v", c)
		}
	}
	if math.Abs(sum-want.Engagement) > 0.1 { // pruned shares account for the rest
		t.Errorf("changes sum to %v, engagement %v", sum, want.Engagement)
	}
}

func TestBreakdown(t *testing.T) {
	e := testEngine(t)
	s, _ := e.ScoreEvents(State{}, corporateVP(), []tracking.Message{
		track("d", "Demo Requested", t0, nil), page("p", "/pricing", t0), page("c", "/careers", t0), track("u", "Unsubscribed", t0, nil),
	})
	got := e.Breakdown(s, t0.Add(30*day))
	want := []RuleScore{
		{RuleID: "senior", Kind: KindFit, Description: "Senior title", Points: 20},
		{RuleID: "demo", Kind: KindEngagement, Points: 15},
		{RuleID: "size", Kind: KindFit, Points: 15},
		{RuleID: "corporate", Kind: KindFit, Points: 10},
		{RuleID: "country", Kind: KindFit, Points: 5},
		{RuleID: "pricing", Kind: KindEngagement, Points: 5},
		{RuleID: "careers", Kind: KindEngagement, Points: -5},
		{RuleID: "unsub", Kind: KindEngagement, Description: "Unsubscribed", Points: -10},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Breakdown =\n%+v\nwant\n%+v", got, want)
	}
	if sc := e.Score(s, t0.Add(30*day)); sc.Total != 55 {
		t.Errorf("total %d, want 50 fit + 5 engagement", sc.Total)
	}
}

func TestStateRoundTripsThroughJSON(t *testing.T) {
	e := testEngine(t)
	s, _ := e.Rescore(corporateVP(), timeline(), t0.Add(100*day))
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip changed the state:\n%+v\n%+v", s, back)
	}
	if len(raw) > 600 {
		t.Errorf("state is %d bytes; it rides on every profile write", len(raw))
	}
	empty, _ := json.Marshal(State{})
	if string(empty) != `{"fit":0,"engagement":0}` {
		t.Errorf("empty state encodes as %s", empty)
	}
}

func TestRefit(t *testing.T) {
	e := testEngine(t)
	s, _ := e.ScoreEvent(State{}, corporateVP(), track("d", "Demo Requested", t0, nil))
	f := corporateVP()
	f.Traits["title"] = "Analyst"
	got, changes := e.Refit(s, f, t0.Add(day))
	if got.Fit != 30 || len(changes) != 1 || changes[0].Points != -20 || changes[0].MessageID != "" || !changes[0].At.Equal(t0.Add(day)) {
		t.Errorf("fit %d, changes %+v", got.Fit, changes)
	}
	if got.Engagement != s.Engagement || !got.AsOf.Equal(s.AsOf) {
		t.Error("Refit touched engagement")
	}
}
