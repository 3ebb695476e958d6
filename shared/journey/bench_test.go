package journey

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkWakeStep is one timed step: a wait comes due, the run branches,
// requests a mail and waits again (what the processor does per woken run).
func BenchmarkWakeStep(b *testing.B) {
	j := parseB(b, base(signup, `{}`, `[{"id":"a","kind":"wait","wait":{"for":"1d"},"next":"b"},
		{"id":"b","kind":"branch","branch":{"cases":[{"name":"hot","condition":{"score":{"kind":"total","op":"gte","value":50}},"next":"m"}],"else":"m"}},
		{"id":"m","kind":"email","email":{"template":"t"},"next":"a"}]`))
	lib, err := NewFixed(j)
	if err != nil {
		b.Fatal(err)
	}
	e := &Engine{Lib: lib}
	c := sub()
	st := &State{}
	res := e.Handle(st, Input{After: &c, Key: "k", Now: t0, Events: []Event{{Name: "Signed Up", Properties: map[string]any{"plan": "pro"}}}})
	wake := res.Effects[0]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := st.Clone()
		r := e.Handle(s, Input{Before: &c, After: &c, Key: "w", Now: wake.Due, Events: []Event{{Name: WakeEvent, Properties: jsonish(wake.Properties)}}})
		if len(r.Effects) != 2 {
			b.Fatalf("effects %d", len(r.Effects))
		}
	}
}

// BenchmarkEventWith20Journeys is the added work per tracked event: 20
// live journeys (event, score, stage and segment triggers), a contact in
// one run waiting for an event, an ordinary event that matches nothing.
func BenchmarkEventWith20Journeys(b *testing.B) {
	var js []Journey
	for i := range 20 {
		trig := fmt.Sprintf(`{"kind":"event","event":"Event %d","where":[{"property":"plan","op":"eq","value":"pro"}]}`, i)
		switch i % 4 {
		case 1:
			trig = fmt.Sprintf(`{"kind":"score","score":%d}`, 50+i)
		case 2:
			trig = `{"kind":"stage","stage":"mql"}`
		case 3:
			trig = `{"kind":"segment.entered","segment":"trial"}`
		}
		j := parseB(b, base(trig, `{}`, `[{"id":"a","kind":"wait","wait":{"event":"Trial Started","timeout":"3d","timeout_next":""},"next":"b"},{"id":"b","kind":"email","email":{"template":"t"}}]`,
			`"goals":[{"name":"bought","event":"Order Completed"},{"name":"customer","condition":{"stage":{"in":["customer"]}}}]`))
		j.ID = fmt.Sprintf("j%02d", i)
		js = append(js, j)
	}
	lib, err := NewFixed(js...)
	if err != nil {
		b.Fatal(err)
	}
	e := &Engine{Lib: lib}
	c := sub()
	st := &State{}
	e.Handle(st, Input{After: &c, Key: "k", Now: t0, Events: []Event{{Name: "Event 0", Properties: map[string]any{"plan": "pro"}}}})
	if len(st.Runs) != 1 {
		b.Fatalf("runs %d", len(st.Runs))
	}
	ev := []Event{{Name: "Page Viewed", Properties: map[string]any{"path": "/pricing"}}}
	now := t0.Add(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := st.Clone()
		r := e.Handle(s, Input{Before: &c, After: &c, Key: "e", Now: now, Events: ev})
		if r.Changed {
			b.Fatal("an unrelated event changed the state")
		}
	}
}

func parseB(b *testing.B, s string) Journey {
	b.Helper()
	t := &testing.T{}
	return parse(t, s)
}
