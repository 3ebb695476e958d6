package journey

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func parse(t *testing.T, s string) Journey {
	t.Helper()
	var j Journey
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		t.Fatal(err)
	}
	return j
}

func ptr[T any](v T) *T { return &v }

// base is a journey with a given trigger, entry and steps.
func base(trigger, entry, steps string, extra ...string) string {
	more := ""
	for _, e := range extra {
		more += "," + e
	}
	return `{"id":"j","name":"J","status":"live","trigger":` + trigger + `,"entry":` + entry + `,"start":"a","steps":` + steps + more + `}`
}

const signup = `{"kind":"event","event":"Signed Up","where":[{"property":"plan","op":"eq","value":"pro"}]}`

func sub() Contact {
	return Contact{ID: "c1", Status: "subscribed", Timezone: "Europe/Berlin"}
}

// pathOf is the path as "step:kind" items, for comparing.
func pathOf(ms []Mark) string {
	var out []string
	for _, m := range ms {
		s := m.Step
		if s == "" {
			s = "-"
		}
		out = append(out, s+":"+m.Kind)
	}
	return strings.Join(out, " ")
}

func TestSimulate(t *testing.T) {
	twoEmails := `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},
		{"id":"w","kind":"wait","wait":{"for":"2d"},"next":"b"},
		{"id":"b","kind":"email","email":{"template":"t2"}}]`
	tests := []struct {
		name    string
		journey string
		tl      Timeline
		want    string   // path
		sends   []string // step:template
		note    string   // a substring some mark's note must contain
		check   func(t *testing.T, r SimResult)
	}{
		{
			name:    "event trigger with property filter, email, wait, email",
			journey: base(signup, `{}`, twoEmails),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{After: Duration(time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "free"}},
				{After: Duration(2 * time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
			}},
			want:  "-:enter a:email w:wait w:wait b:email b:end",
			sends: []string{"a:t1", "b:t2"},
			check: func(t *testing.T, r SimResult) {
				if got, want := r.Path[len(r.Path)-1].At, t0.Add(2*time.Hour+48*time.Hour); !got.Equal(want) {
					t.Errorf("second mail at %s, want %s", got, want)
				}
			},
		},
		{
			name:    "form trigger",
			journey: base(`{"kind":"form","form":"demo"}`, `{}`, `[{"id":"a","kind":"email","email":{"template":"t1"}}]`),
			tl:      Timeline{Start: t0, Contact: sub(), Entries: []Happening{{Form: "other"}, {Form: "demo"}}},
			want:    "-:enter a:email a:end",
			sends:   []string{"a:t1"},
		},
		{
			name:    "marketing mail skipped for an unsubscribed contact, transactional sent",
			journey: base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"b"},{"id":"b","kind":"email","email":{"template":"t2","kind":"transactional"}}]`),
			tl:      Timeline{Start: t0, Contact: Contact{ID: "c1", Status: "unsubscribed"}, Entries: []Happening{{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}}},
			want:    "-:enter a:email b:email b:end",
			sends:   []string{"b:t2"},
			note:    "not subscribed",
		},
		{
			name:    "segment entered trigger and exit segment mid-wait",
			journey: base(`{"kind":"segment.entered","segment":"trial"}`, `{}`, twoEmails, `"exit_segment":"customers"`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{After: Duration(time.Hour), Segments: map[string]bool{"trial": true}},
				{After: Duration(5 * time.Hour), Segments: map[string]bool{"customers": true}},
			}},
			want:  "-:enter a:email w:wait w:end",
			sends: []string{"a:t1"},
			note:  "exited: entered the exit segment customers",
		},
		{
			name:    "segment exited trigger",
			journey: base(`{"kind":"segment.exited","segment":"trial"}`, `{}`, `[{"id":"a","kind":"exit"}]`),
			tl: Timeline{Start: t0, Contact: Contact{ID: "c1", Segments: map[string]bool{"trial": true}}, Entries: []Happening{
				{After: Duration(time.Hour), Segments: map[string]bool{"trial": false}},
			}},
			want: "-:enter a:end",
		},
		{
			name:    "stage change trigger",
			journey: base(`{"kind":"stage","stage":"mql"}`, `{}`, `[{"id":"a","kind":"exit"}]`),
			tl:      Timeline{Start: t0, Contact: sub(), Entries: []Happening{{Stage: "lead"}, {Stage: "mql"}, {Traits: map[string]any{"x": 1}}}},
			want:    "-:enter a:end",
		},
		{
			name:    "score crossing a threshold, once",
			journey: base(`{"kind":"score","score":50}`, `{"rule":"once"}`, `[{"id":"a","kind":"exit"}]`),
			tl:      Timeline{Start: t0, Contact: sub(), Entries: []Happening{{Score: ptr(40)}, {Score: ptr(55)}, {Score: ptr(20)}, {Score: ptr(70)}}},
			want:    "-:enter a:end -:skip",
			note:    "entry rule once",
		},
		{
			name:    "date trigger three days before a trait, at 10:00 local",
			journey: base(`{"kind":"date","date":{"trait":"trial_ends_at","offset_days":-3,"at":"10:00"}}`, `{}`, `[{"id":"a","kind":"email","email":{"template":"t1"}}]`),
			tl:      Timeline{Start: t0, Contact: sub(), Entries: []Happening{{Traits: map[string]any{"trial_ends_at": "2026-03-20"}}}},
			want:    "-:enter a:email a:end",
			check: func(t *testing.T, r SimResult) {
				want := time.Date(2026, 3, 17, 9, 0, 0, 0, time.UTC) // 10:00 CET
				if !r.Path[0].At.Equal(want) {
					t.Errorf("entered at %s, want %s", r.Path[0].At, want)
				}
			},
		},
		{
			name:    "yearly birthday at 10:00 local, twice over a year",
			journey: base(`{"kind":"date","date":{"trait":"birthday","at":"10:00","yearly":true}}`, `{"rule":"cool_down","cool_down":"30d"}`, `[{"id":"a","kind":"email","email":{"template":"t1"}}]`),
			tl:      Timeline{Start: t0, Contact: sub(), Entries: []Happening{{Traits: map[string]any{"birthday": "1990-03-01"}}}, For: Duration(800 * 24 * time.Hour)},
			want:    "-:enter a:email a:end -:enter a:email a:end",
			check: func(t *testing.T, r SimResult) {
				// 2027-03-01 10:00 in Berlin (CET, UTC+1), then 2028.
				if got := r.Path[0].At; !got.Equal(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)) {
					t.Errorf("first birthday at %s", got)
				}
			},
		},
		{
			name: "wait until weekday and time in the contact's zone across the DST change",
			// Sat 2026-03-28 12:00 UTC; Berlin moves to CEST on Sunday the 29th.
			journey: base(signup, `{}`, `[{"id":"a","kind":"wait","wait":{"weekdays":["mon"],"at":"09:00"},"next":"b"},{"id":"b","kind":"email","email":{"template":"t1"}}]`),
			tl:      Timeline{Start: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), Contact: sub(), Entries: []Happening{{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}}},
			want:    "-:enter a:wait a:wait b:email b:end",
			check: func(t *testing.T, r SimResult) {
				want := time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC) // 09:00 CEST
				if got := r.Path[len(r.Path)-1].At; !got.Equal(want) {
					t.Errorf("sent at %s, want %s (09:00 CEST)", got, want)
				}
			},
		},
		{
			name:    "wait for an event: arrives before the timeout",
			journey: base(signup, `{}`, `[{"id":"a","kind":"wait","wait":{"event":"Trial Started","timeout":"3d","timeout_next":"late"},"next":"b"},{"id":"b","kind":"email","email":{"template":"t1"}},{"id":"late","kind":"email","email":{"template":"t2"}}]`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(24 * time.Hour), Event: "Trial Started"},
			}},
			want:  "-:enter a:wait a:wait b:email b:end",
			sends: []string{"b:t1"},
		},
		{
			name:    "wait for an event: timeout branch",
			journey: base(signup, `{}`, `[{"id":"a","kind":"wait","wait":{"event":"Trial Started","timeout":"3d","timeout_next":"late"},"next":"b"},{"id":"b","kind":"email","email":{"template":"t1"}},{"id":"late","kind":"email","email":{"template":"t2"}}]`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(4 * 24 * time.Hour), Event: "Trial Started"},
			}},
			want:  "-:enter a:wait a:wait late:email late:end",
			sends: []string{"late:t2"},
			note:  "no Trial Started before the timeout",
		},
		{
			name: "branch on clicked and on score, with reasons",
			journey: base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"1d"},"next":"b"},
				{"id":"b","kind":"branch","branch":{"cases":[{"name":"clicked","condition":{"journey_email":{"action":"clicked","step":"a"}},"next":"hot"}],"else":"s"}},
				{"id":"s","kind":"branch","branch":{"cases":[{"name":"high","condition":{"score":{"kind":"total","op":"gte","value":50}},"next":"hot"}]}},
				{"id":"hot","kind":"email","email":{"template":"t2"}}]`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(time.Hour), Opened: "a"},
				{After: Duration(2 * time.Hour), Score: ptr(60)},
			}},
			want:  "-:enter a:email w:wait w:wait b:branch s:branch hot:email hot:end",
			sends: []string{"a:t1", "hot:t2"},
			note:  "took high: total score 60 gte 50: yes",
		},
		{
			name: "clicked mail takes the clicked case",
			journey: base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"1d"},"next":"b"},
				{"id":"b","kind":"branch","branch":{"cases":[{"name":"clicked","condition":{"journey_email":{"action":"clicked","step":"a"}},"next":"hot"}]}},
				{"id":"hot","kind":"email","email":{"template":"t2"}}]`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(time.Hour), Clicked: "a"},
			}},
			want:  "-:enter a:email w:wait w:wait b:branch hot:email hot:end",
			sends: []string{"a:t1", "hot:t2"},
			note:  "took clicked: clicked the mail of step a: yes",
		},
		{
			name: "random split, update contact, notify",
			journey: base(signup, `{}`, `[{"id":"a","kind":"split","split":[{"name":"x","percent":50,"next":"u"},{"name":"y","percent":50,"next":"u"}]},
				{"id":"u","kind":"update","update":{"add_tags":["nurtured"],"traits":{"tier":"gold"},"stage":"mql","score":5},"next":"n"},
				{"id":"n","kind":"notify","notify":{"event":"journey.sales_alert"},"next":"e"},{"id":"e","kind":"exit"}]`),
			tl:   Timeline{Start: t0, Contact: sub(), Entries: []Happening{{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}}},
			want: "-:enter a:split u:update n:notify e:end",
			check: func(t *testing.T, r SimResult) {
				c := r.Contact
				if c.Stage != "mql" || c.Score != 5 || c.Traits["tier"] != "gold" || len(c.Tags) != 1 {
					t.Errorf("contact after update: %+v", c)
				}
				var notified bool
				for _, e := range r.Effects {
					notified = notified || (e.Kind == EffectNotify && e.Notify.Event == "journey.sales_alert")
				}
				if !notified {
					t.Error("no notify effect")
				}
			},
		},
		{
			name:    "event goal mid-wait converts at once",
			journey: base(signup, `{}`, twoEmails, `"goals":[{"name":"bought","event":"Order Completed"}]`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(24 * time.Hour), Event: "Order Completed"},
			}},
			want:  "-:enter a:email w:wait w:end",
			sends: []string{"a:t1"},
			note:  `converted: goal "bought"`,
		},
		{
			name:    "condition goal mid-wait (checked when the contact changes)",
			journey: base(signup, `{}`, twoEmails, `"goals":[{"name":"customer","condition":{"stage":{"in":["customer"]}}}]`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(24 * time.Hour), Stage: "customer"},
			}},
			want: "-:enter a:email w:wait w:end",
			note: `converted: goal "customer": stage in [customer] (is customer): yes`,
		},
		{
			name:    "once at a time: no second entry while inside, again after",
			journey: base(signup, `{"rule":"once_at_a_time"}`, twoEmails),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(5 * 24 * time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
			}},
			want: "-:enter a:email w:wait -:skip w:wait b:email b:end -:enter a:email w:wait w:wait b:email b:end",
		},
		{
			name:    "cool-down refuses re-entry until it passed",
			journey: base(signup, `{"rule":"cool_down","cool_down":"7d"}`, `[{"id":"a","kind":"email","email":{"template":"t1"}}]`),
			tl: Timeline{Start: t0, Contact: sub(), Entries: []Happening{
				{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(3 * 24 * time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
				{After: Duration(8 * 24 * time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
			}},
			want:  "-:enter a:email a:end -:skip -:enter a:email a:end",
			sends: []string{"a:t1", "a:t1"},
			note:  "cool-down until",
		},
		{
			name:    "a draft journey never enters",
			journey: strings.Replace(base(signup, `{}`, twoEmails), `"live"`, `"draft"`, 1),
			tl:      Timeline{Start: t0, Contact: sub(), Entries: []Happening{{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}}},
			want:    "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lib := must(NewFixed(parse(t, tc.journey)))(t)
			r := must(Simulate(&Engine{Lib: lib}, tc.tl))(t)
			if got := pathOf(r.Path); got != tc.want {
				t.Errorf("path\n got %s\nwant %s\n%s", got, tc.want, FormatPath(r.Path))
			}
			if tc.sends != nil && strings.Join(r.Sends, ",") != strings.Join(tc.sends, ",") {
				t.Errorf("sends %v, want %v", r.Sends, tc.sends)
			}
			if tc.note != "" && !strings.Contains(FormatPath(r.Path), tc.note) {
				t.Errorf("no mark says %q:\n%s", tc.note, FormatPath(r.Path))
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestSplitIsDeterministicAndBalanced(t *testing.T) {
	n := 0
	for i := range 10000 {
		id := "c" + string(rune('a'+i%26)) + strings.Repeat("x", i%7) + string(rune(i))
		b := SplitBucket(id, "j", "s")
		if b != SplitBucket(id, "j", "s") {
			t.Fatal("split bucket changed for the same contact")
		}
		if b < 50 {
			n++
		}
	}
	if n < 4700 || n > 5300 {
		t.Errorf("%d of 10000 in the first half, want about 5000", n)
	}
}

// TestVersions: a run finishes on its version, or moves to the same-named
// step of the new one when the journey says so.
func TestVersions(t *testing.T) {
	v1 := `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"2d"},"next":"b"},{"id":"b","kind":"email","email":{"template":"old"}}]`
	v2 := `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"2d"},"next":"b"},{"id":"b","kind":"email","email":{"template":"new"}}]`
	for _, tc := range []struct {
		policy, want string
	}{{"finish", "b:old"}, {"move", "b:new"}} {
		t.Run(tc.policy, func(t *testing.T) {
			extra := `"on_new_version":"` + tc.policy + `"`
			lib := must(NewFixed(parse(t, base(signup, `{}`, v1, extra))))(t)
			e := &Engine{Lib: lib}
			st := &State{}
			c := sub()
			res := e.Handle(st, Input{After: &c, Key: "k1", Now: t0, Events: []Event{{ID: "e1", Name: "Signed Up", Properties: map[string]any{"plan": "pro"}, At: t0}}})
			var wake Effect
			for _, ef := range res.Effects {
				if ef.Kind == EffectTimer {
					wake = ef
				}
			}
			if err := lib.Publish(parse(t, base(signup, `{}`, v2, extra))); err != nil {
				t.Fatal(err)
			}
			res = e.Handle(st, Input{Before: &c, After: &c, Key: "k2", Now: wake.Due, Events: []Event{{ID: "w", Name: WakeEvent, Properties: jsonish(wake.Properties), At: wake.Due}}})
			var sent []string
			for _, ef := range res.Effects {
				if ef.Kind == EffectSend {
					sent = append(sent, ef.Step+":"+ef.Email.Template)
				}
			}
			if strings.Join(sent, ",") != tc.want {
				t.Errorf("sent %v, want %s\n%s", sent, tc.want, FormatPath(res.Marks))
			}
		})
	}
}

// TestSameChangeTwice: the processor may run a change twice (a conflict,
// a crash before the profile write); the same ids come out, so the sender
// and the timer wheel drop the repeat.
func TestSameChangeTwice(t *testing.T) {
	lib := must(NewFixed(parse(t, base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"2d"}}]`))))(t)
	e := &Engine{Lib: lib}
	in := func() Input {
		c := sub()
		return Input{After: &c, Key: "commit-1", Now: t0, Events: []Event{{ID: "e1", Name: "Signed Up", Properties: map[string]any{"plan": "pro"}, At: t0}}}
	}
	a, b := e.Handle(&State{}, in()), e.Handle(&State{}, in())
	if len(a.Effects) != 2 || len(a.Effects) != len(b.Effects) {
		t.Fatalf("effects %d and %d, want 2 each", len(a.Effects), len(b.Effects))
	}
	for i := range a.Effects {
		if a.Effects[i].ID != b.Effects[i].ID || a.Effects[i].ID == "" {
			t.Errorf("effect %d: ids %q and %q differ", i, a.Effects[i].ID, b.Effects[i].ID)
		}
	}
	// And a redelivered wake-up for a step already left changes nothing.
	st := &State{}
	c := sub()
	res := e.Handle(st, in())
	wake := res.Effects[1]
	ev := Event{ID: "w", Name: WakeEvent, Properties: jsonish(wake.Properties), At: wake.Due}
	first := e.Handle(st, Input{Before: &c, After: &c, Key: "k2", Now: wake.Due, Events: []Event{ev}})
	again := e.Handle(st, Input{Before: &c, After: &c, Key: "k3", Now: wake.Due.Add(time.Minute), Events: []Event{ev}})
	if !first.Changed || again.Changed || len(again.Effects) != 0 {
		t.Errorf("first wake changed=%v; second changed=%v effects=%d, want no change", first.Changed, again.Changed, len(again.Effects))
	}
}

// TestPauseHoldsAndResumes: a run reaching a step of a paused journey is
// held with no timer (a paused journey costs storage only, not an hourly
// re-check per run); the resume event continues it; a resume event for a
// run that is not held changes nothing.
func TestPauseHoldsAndResumes(t *testing.T) {
	j := parse(t, base(signup, `{}`, `[{"id":"a","kind":"wait","wait":{"for":"1h"},"next":"b"},{"id":"b","kind":"email","email":{"template":"t1"}}]`))
	lib := must(NewFixed(j))(t)
	e := &Engine{Lib: lib}
	st := &State{}
	c := sub()
	res := e.Handle(st, Input{After: &c, Key: "k", Now: t0, Events: []Event{{ID: "e", Name: "Signed Up", Properties: map[string]any{"plan": "pro"}}}})
	wake := res.Effects[0]
	run := st.Runs[0].ID
	resume := Event{ID: "timer:jr", Name: ResumeEvent, Properties: map[string]any{"journey": "j", "run": run}}
	if res := e.Handle(st, Input{Before: &c, After: &c, Key: "k1", Now: t0.Add(time.Minute), Events: []Event{resume}}); res.Changed || len(res.Effects) != 0 {
		t.Fatalf("a resume event for a run at its wait: changed=%v effects %+v, want nothing", res.Changed, res.Effects)
	}
	paused := j
	paused.Status = StatusPaused
	_ = lib.Publish(paused)
	res = e.Handle(st, Input{Before: &c, After: &c, Key: "k2", Now: wake.Due, Events: []Event{{Name: WakeEvent, Properties: jsonish(wake.Properties)}}})
	hold := Effect{Kind: EffectHold, ID: "jh:" + run, Journey: "j", Version: 1, Run: run, Step: "b"}
	if len(res.Effects) != 1 || !reflect.DeepEqual(res.Effects[0], hold) || !st.Runs[0].Held || st.Runs[0].Step != "b" || !st.Runs[0].Until.IsZero() {
		t.Fatalf("paused: effects %+v, run %+v; want the run held at b with no timer, listed in the held index", res.Effects, st.Runs)
	}
	// Another change of the contact while held lists it nowhere again.
	if res := e.Handle(st, Input{Before: &c, After: &c, Key: "k2b", Now: wake.Due.Add(time.Hour), Events: []Event{{ID: "x", Name: "Page Viewed"}}}); len(res.Effects) != 0 || res.Changed {
		t.Fatalf("held run touched again: effects %+v changed %v", res.Effects, res.Changed)
	}
	if !strings.Contains(FormatPath(res.Marks), "held until it is resumed") {
		t.Errorf("no hold in the path:\n%s", FormatPath(res.Marks))
	}
	_ = lib.Publish(j) // resumed (a new version, live again)
	res = e.Handle(st, Input{Before: &c, After: &c, Key: "k3", Now: wake.Due.Add(24 * time.Hour), Events: []Event{resume}})
	if len(res.Effects) != 1 || res.Effects[0].Kind != EffectSend || len(st.Runs) != 0 {
		t.Errorf("resumed: effects %+v, runs %+v; want the mail sent and the run over", res.Effects, st.Runs)
	}
}

func TestStop(t *testing.T) {
	lib := must(NewFixed(parse(t, base(signup, `{}`, `[{"id":"a","kind":"wait","wait":{"for":"1h"}}]`))))(t)
	st := &State{}
	c := sub()
	(&Engine{Lib: lib}).Handle(st, Input{After: &c, Key: "k", Now: t0, Events: []Event{{Name: "Signed Up", Properties: map[string]any{"plan": "pro"}}}})
	res, ok := Stop(st, st.Runs[0].ID, t0.Add(time.Minute))
	if !ok || len(st.Runs) != 0 || st.Ended[0].Outcome != OutcomeStopped || res.Counts[0].Metric != MetricStopped {
		t.Errorf("stop: ok=%v state %+v counts %+v", ok, st, res.Counts)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, journey, want string
	}{
		{"unreachable step", base(signup, `{}`, `[{"id":"a","kind":"exit"},{"id":"b","kind":"exit"}]`), "step b: unreachable"},
		{"loop without a wait", base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t"},"next":"b"},{"id":"b","kind":"update","update":{"add_tags":["x"]},"next":"a"}]`), "loop without a wait: a → b → a"},
		{"unknown next", base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t"},"next":"zz"}]`), `goes to "zz"`},
		{"unevaluable condition", base(signup, `{}`, `[{"id":"a","kind":"branch","branch":{"cases":[{"name":"x","condition":{"moon":"full"},"next":""}]}}]`), "condition cannot be evaluated"},
		{"old condition with no equal filter", base(signup, `{}`, `[{"id":"a","kind":"branch","branch":{"cases":[{"name":"x","condition":{"trait":"plan","exists":false},"next":""}]}}]`), `step a: case "x": old condition {"exists":false,"trait":"plan"} cannot be migrated`},
		{"bad segment operator", base(signup, `{}`, `[{"id":"a","kind":"branch","branch":{"cases":[{"name":"x","condition":{"trait":{"key":"plan","op":"eq","value":"pro"}},"next":""}]}}]`), `case "x": condition cannot be evaluated`},
		{"journey_email of a step that is not an email", base(signup, `{}`, `[{"id":"a","kind":"branch","branch":{"cases":[{"name":"x","condition":{"journey_email":{"action":"opened","step":"a"}},"next":""}]}}]`), `journey_email step "a" is not an email step`},
		{"journey_email of a later mail", base(signup, `{}`, `[{"id":"a","kind":"branch","branch":{"cases":[{"name":"x","condition":{"journey_email":{"action":"opened","step":"m"}},"next":"m"}]}},{"id":"m","kind":"email","email":{"template":"t"}}]`), `no path leads from email step "m" to this branch`},
		{"journey_email bad action", base(signup, `{}`, `[{"id":"m","kind":"email","email":{"template":"t"},"next":"a"},{"id":"a","kind":"branch","branch":{"cases":[{"name":"x","condition":{"journey_email":{"action":"read","step":"m"}},"next":""}]}}]`), `is not opened or clicked`},
		{"goal condition of another language", base(signup, `{}`, `[{"id":"a","kind":"exit"}]`, `"goals":[{"name":"g","condition":{"moon":"full"}}]`), `goal "g": condition cannot be evaluated`},
		{"goal journey_email of no step", base(signup, `{}`, `[{"id":"a","kind":"exit"}]`, `"goals":[{"name":"g","condition":{"journey_email":{"action":"clicked","step":"zz"}}}]`), `journey_email step "zz" is not an email step`},
		{"split not 100", base(signup, `{}`, `[{"id":"a","kind":"split","split":[{"name":"x","percent":30,"next":""}]}]`), "add up to 30"},
		{"event wait needs a timeout", base(signup, `{}`, `[{"id":"a","kind":"wait","wait":{"event":"X"}}]`), "needs a timeout"},
		{"bad trigger", base(`{"kind":"moon"}`, `{}`, `[{"id":"a","kind":"exit"}]`), "trigger kind must be"},
		{"bad notify event", base(signup, `{}`, `[{"id":"a","kind":"notify","notify":{"event":"sales"}}]`), "must start with journey."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := parse(t, tc.journey).Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
	// A loop through a wait is fine.
	ok := base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"7d"},"next":"a"}]`)
	if err := parse(t, ok).Validate(); err != nil {
		t.Errorf("loop with a wait: %v", err)
	}
}

// TestConditions runs branch cases written in the segment filter language
// through the engine: each case decides the arm a contact takes.
func TestConditions(t *testing.T) {
	steps := func(cond string) string {
		return `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"1d"},"next":"b"},
			{"id":"b","kind":"branch","branch":{"cases":[{"name":"yes","condition":` + cond + `,"next":"y"}],"else":"n"}},
			{"id":"y","kind":"exit"},{"id":"n","kind":"exit"}]`
	}
	vip := Contact{ID: "c1", Status: "subscribed", Traits: map[string]any{"plan": "Pro", "seats": 12.0}, Tags: []string{"vip"}, Stage: "mql",
		Score: 40, Segments: map[string]bool{"trial": true}, Lists: []string{"webinar"}}
	tests := []struct {
		name, cond string
		events     []Happening
		want       string // arm: y or n
		note       string
	}{
		{"trait equals folds case", `{"trait":{"key":"plan","op":"equals","value":"pro"}}`, nil, "y", "trait plan equals pro (is Pro): yes"},
		{"trait gte", `{"trait":{"key":"seats","op":"gte","value":20}}`, nil, "n", "trait seats gte 20 (is 12): no"},
		{"tag", `{"tag":"vip"}`, nil, "y", "tag vip: yes"},
		{"stage", `{"stage":{"in":["sql","customer"]}}`, nil, "n", "stage in [sql customer] (is mql): no"},
		{"score total", `{"score":{"kind":"total","op":"lt","value":50}}`, nil, "y", "total score 40 lt 50: yes"},
		{"status", `{"status":{"in":["subscribed"]}}`, nil, "y", ""},
		{"segment membership", `{"segment":"trial"}`, nil, "y", "in segment trial: yes"},
		{"list membership", `{"list":"webinar"}`, nil, "y", "on list webinar: yes"},
		{"not", `{"not":{"tag":"vip"}}`, nil, "n", "not (tag vip: yes)"},
		{"any of", `{"any":[{"tag":"churned"},{"segment":"trial"}]}`, nil, "y", "in segment trial: yes"},
		{"all of, the failing one is the reason", `{"all":[{"tag":"vip"},{"list":"other"}]}`, nil, "n", "on list other: no"},
		{"journey_email opened counts a click", `{"journey_email":{"action":"opened","step":"a"}}`, []Happening{{After: Duration(time.Hour), Clicked: "a"}}, "y", "opened the mail of step a: yes"},
		{"journey_email clicked needs a click", `{"journey_email":{"action":"clicked","step":"a"}}`, []Happening{{After: Duration(time.Hour), Opened: "a"}}, "n", "clicked the mail of step a: no"},
		{"journey_email any mail of the run", `{"journey_email":{"action":"opened"}}`, []Happening{{After: Duration(time.Hour), Opened: "a"}}, "y", "opened a mail of this journey: yes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lib := must(NewFixed(parse(t, base(signup, `{}`, steps(tc.cond)))))(t)
			tl := Timeline{Start: t0, Contact: vip, Entries: append([]Happening{{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}}, tc.events...)}
			r := must(Simulate(&Engine{Lib: lib}, tl))(t)
			last := r.Path[len(r.Path)-1]
			if last.Step != tc.want {
				t.Errorf("ended at %s, want %s\n%s", last.Step, tc.want, FormatPath(r.Path))
			}
			if tc.note != "" && !strings.Contains(FormatPath(r.Path), tc.note) {
				t.Errorf("no reason says %q:\n%s", tc.note, FormatPath(r.Path))
			}
		})
	}
}

// TestGoalOnRunMail: a goal condition may ask about the run's own mail,
// and is checked when the engagement arrives mid-wait.
func TestGoalOnRunMail(t *testing.T) {
	j := base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t1"},"next":"w"},{"id":"w","kind":"wait","wait":{"for":"7d"},"next":"b"},{"id":"b","kind":"email","email":{"template":"t2"}}]`,
		`"goals":[{"name":"engaged","condition":{"journey_email":{"action":"clicked","step":"a"}}}]`)
	lib := must(NewFixed(parse(t, j)))(t)
	r := must(Simulate(&Engine{Lib: lib}, Timeline{Start: t0, Contact: sub(), Entries: []Happening{
		{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}},
		{After: Duration(3 * time.Hour), Clicked: "a"},
	}}))(t)
	if got, want := pathOf(r.Path), "-:enter a:email w:wait w:end"; got != want {
		t.Fatalf("path %s, want %s\n%s", got, want, FormatPath(r.Path))
	}
	if !strings.Contains(r.Path[len(r.Path)-1].Note, `converted: goal "engaged": clicked the mail of step a: yes`) || !r.Path[len(r.Path)-1].At.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("end mark %+v", r.Path[len(r.Path)-1])
	}
}

func TestCheckRefs(t *testing.T) {
	j := parse(t, base(`{"kind":"segment.entered","segment":"trial"}`, `{}`, `[{"id":"a","kind":"email","email":{"template":"nope","topic":"zz"}}]`))
	err := CheckRefs(j, Refs{Templates: map[string]bool{"t": true}, Topics: map[string]bool{}})
	for _, want := range []string{`segment "trial" does not exist`, `template "nope" does not exist`, `topic "zz" does not exist`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	if ps := ProblemsOf(err); len(ps) != 3 || ps[1].Step != "a" {
		t.Errorf("problems %+v: want 3, the template's on step a", ps)
	}
	// Segments and lists a branch condition names must exist too.
	j = parse(t, base(signup, `{}`, `[{"id":"a","kind":"branch","branch":{"cases":[{"name":"x","condition":{"any":[{"segment":"ghost"},{"list":"nolist"},{"list":"webinar"}]},"next":""}]}}]`))
	err = CheckRefs(j, Refs{Segments: func(string) bool { return false }, Lists: func(id string) bool { return id == "webinar" }})
	if ps := ProblemsOf(err); len(ps) != 2 || ps[0].Step != "a" || !strings.Contains(err.Error(), `segment "ghost" does not exist`) || !strings.Contains(err.Error(), `list "nolist" does not exist`) {
		t.Errorf("err = %v, want the segment and the list on step a", err)
	}
}

// TestEdgeCounts: every move from one step to the next is counted on the
// edge, so the map can draw how many took each branch arm or timeout.
func TestEdgeCounts(t *testing.T) {
	j := base(signup, `{"rule":"once_at_a_time"}`, `[{"id":"a","kind":"wait","wait":{"event":"Trial Started","timeout":"1d","timeout_next":"late"},"next":"b"},
		{"id":"b","kind":"branch","branch":{"cases":[{"name":"vip","condition":{"tag":"vip"},"next":"v"}],"else":"late"}},
		{"id":"v","kind":"email","email":{"template":"t1"}},{"id":"late","kind":"email","email":{"template":"t2"}}]`)
	lib := must(NewFixed(parse(t, j)))(t)
	signed := Happening{Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}
	r := must(Simulate(&Engine{Lib: lib}, Timeline{Start: t0, Contact: sub(), Entries: []Happening{
		signed, // run 1: times out → late
		{After: Duration(48 * time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}, // run 2
		{After: Duration(49 * time.Hour), Event: "Trial Started"},                                        // → b → else → late
		{After: Duration(96 * time.Hour), Event: "Signed Up", Properties: map[string]any{"plan": "pro"}}, // run 3
		{After: Duration(97 * time.Hour), AddTags: []string{"vip"}, Event: "Trial Started"},              // → b → v
	}}))(t)
	edges := map[string]int{}
	for _, c := range r.Counts {
		if to, ok := EdgeTo(c.Metric); ok {
			edges[c.Step+">"+to]++
		}
	}
	want := map[string]int{">a": 3, "a>late": 1, "a>b": 2, "b>late": 1, "b>v": 1}
	if len(edges) != len(want) {
		t.Errorf("edges %v, want %v\n%s", edges, want, FormatPath(r.Path))
	}
	for k, n := range want {
		if edges[k] != n {
			t.Errorf("edge %s = %d, want %d (all %v)", k, edges[k], n, edges)
		}
	}
}
