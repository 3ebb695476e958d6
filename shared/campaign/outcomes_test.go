package campaign

import (
	"context"
	"testing"

	"github.com/leadflow/leadflow/shared/mail"
)

func TestCountOutcomes(t *testing.T) {
	w := newWorld()
	src := func(v string) mail.Source { return mail.Source{Campaign: "launch", Run: "20270101T0900Z", Step: v} }
	reqs := []mail.Request{
		{SendID: "1", Source: src("a")}, {SendID: "2", Source: src("a")}, {SendID: "3", Source: src("b")},
		{SendID: "4", Source: src("b")}, {SendID: "5", Source: src("a")}, {SendID: "6"}, {SendID: "7", Source: src("a"), To: "test@example.com"},
	}
	results := []mail.Result{
		{Outcome: mail.OutcomeSent}, {Outcome: mail.OutcomeSent}, {Outcome: mail.OutcomeSkipped},
		{Outcome: mail.OutcomeDuplicate}, {Outcome: mail.OutcomeWaiting}, {Outcome: mail.OutcomeSent}, {Outcome: mail.OutcomeSent},
	}
	var adds []string
	c := countersFunc(func(camp, occ, v string, d map[string]int64) {
		for k, n := range d {
			adds = append(adds, camp+"/"+occ+"/"+v+"/"+k)
			w.counts[v+"/"+k] += n
		}
	})
	if err := CountOutcomes(context.Background(), c, reqs, results); err != nil {
		t.Fatal(err)
	}
	if w.counts["a/sent"] != 2 || w.counts["b/skipped"] != 1 || len(adds) != 2 {
		t.Fatalf("counts %v adds %v", w.counts, adds)
	}
}

type countersFunc func(c, o, v string, d map[string]int64)

func (f countersFunc) Add(_ context.Context, c, o, v string, d map[string]int64) error {
	f(c, o, v, d)
	return nil
}
