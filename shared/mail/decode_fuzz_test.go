package mail

import (
	"encoding/json"
	"testing"
)

// FuzzDecode feeds the sender's queue body decoder anything. What it
// accepts is a valid request (the pipeline relies on send, contact and
// template ids being there) that survives a re-queue (a deferred or
// throttled send is encoded again) unchanged.
//
//	go test ./shared/mail/ -run '^$' -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"send_id":"a-1","contact_id":"c_1","template_id":"welcome","source":{"campaign":"launch"},"requested_at":"2026-11-24T10:00:00Z"}`,
		`{"send_id":"d-1","contact_id":"c_1","template_id":"double-opt-in","kind":"transactional","vars":{"confirm_url":"https://x.example/c"},"not_before":"2026-11-24T21:00:00+01:00","attempt":3}`,
		`{"send_id":"t","contact_id":"c","template_id":"x","to":"qa@example.com"}`,
		`{"send_id":"","contact_id":"c","template_id":"x"}`, `{"kind":"bulk"}`, `null`, `[]`, `{"send_id":1}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r, err := Decode(body)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil || r.SendID == "" || r.ContactID == "" || r.TemplateID == "" {
			t.Fatalf("accepted an invalid request %+v: %v", r, err)
		}
		again, err := r.Encode()
		if err != nil {
			t.Fatalf("an accepted request does not encode: %v", err)
		}
		r2, err := Decode(again)
		if err != nil {
			t.Fatalf("a re-queued request is refused: %v", err)
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(r2)
		if string(a) != string(b) {
			t.Fatalf("a re-queue changed the request:\n%s\n%s", a, b)
		}
	})
}
