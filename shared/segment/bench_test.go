package segment

import (
	"testing"
)

// BenchmarkEval10 is one contact against a 10-condition segment, the
// figure BENCHMARKS.md reports (evaluations per second per core).
func BenchmarkEval10(b *testing.B) {
	today := Day(now)
	f := Filter{}
	if err := jsonDecode(`{"all":[
		{"trait":{"key":"country","op":"in","values":["DE","AT","CH"]}},
		{"trait":{"key":"employees","op":"gte","value":50}},
		{"tag":"vip"},
		{"score":{"kind":"total","op":"gte","value":40}},
		{"stage":{"in":["lead","mql"]}},
		{"consent":"marketing"},
		{"last_seen":{"within_days":30}},
		{"event":{"path_prefix":"/pricing","within_days":7,"min":2}},
		{"not":{"event":{"name":"Demo Requested","within_days":30}}},
		{"email":{"action":"opened","within_days":30}}
	]}`, &f); err != nil {
		b.Fatal(err)
	}
	p, err := Compile(Segment{ID: "s", Name: "S", Filter: f})
	if err != nil {
		b.Fatal(err)
	}
	v := base()
	v.Counters = Counters{"p:/pricing": {today - 2, 1, today, 2}, "o": {today - 5, 1}}
	if !p.Eval(v, now) {
		b.Fatal("benchmark contact does not match: every condition must be evaluated")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.Eval(v, now)
	}
}
