package job

import (
	"context"
	"testing"
)

type bodies []string

func (b *bodies) Enqueue(_ context.Context, body string) error {
	*b = append(*b, body)
	return nil
}

// FuzzDecode feeds the jobs queue's decoder anything: it accepts only
// known kinds, and a page it accepts queues its continuation (Send) as a
// body that decodes to the same page.
//
//	go test ./shared/job/ -run '^$' -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"kind":"rescore","model_version":"v3","shard":2,"cursor":"eyJwayI6ImMjMSJ9","pages":4}`,
		`{"kind":"rescore","shard":0}`, `{"kind":"purge"}`, `{"kind":"rescore","shard":"1"}`, `{}`, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		j, err := Decode(body)
		if err != nil {
			return
		}
		if j.Kind != Rescore {
			t.Fatalf("accepted kind %q", j.Kind)
		}
		var q bodies
		if err := Send(context.Background(), &q, j); err != nil || len(q) != 1 {
			t.Fatalf("an accepted job does not queue: %v", err)
		}
		if j2, err := Decode(q[0]); err != nil || j2 != j {
			t.Fatalf("re-queued %+v came back as %+v (%v)", j, j2, err)
		}
	})
}
