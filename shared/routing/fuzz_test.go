package routing

import (
	"context"
	"encoding/json"
	"testing"
)

type bodies []string

func (b *bodies) Enqueue(_ context.Context, body string) error {
	*b = append(*b, body)
	return nil
}

// FuzzDecode feeds the router's queue decoder anything: a request it
// accepts names itself, a contact and a real stage, and Send re-queues it
// unchanged.
//
//	go test ./shared/routing/ -run '^$' -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"id":"q-1","contact_id":"c_1","change":{"from":"lead","to":"mql","at":"2026-11-24T10:00:00Z","score":72}}`,
		`{"id":"q-2","contact_id":"c_1","change":{"to":"disqualified"}}`,
		`{"id":"q-3","contact_id":"c_1","change":{"to":"customer-ish"}}`, `{"id":"","contact_id":"c"}`, `null`, `{"change":null}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r, err := Decode(body)
		if err != nil {
			return
		}
		if r.ID == "" || r.ContactID == "" || !r.Change.To.Valid() {
			t.Fatalf("accepted %+v", r)
		}
		var q bodies
		if err := Send(context.Background(), &q, r); err != nil || len(q) != 1 {
			t.Fatalf("an accepted request does not queue: %v", err)
		}
		r2, err := Decode(q[0])
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(r2)
		if err != nil || string(a) != string(b) {
			t.Fatalf("re-queued %s came back as %s (%v)", a, b, err)
		}
	})
}
