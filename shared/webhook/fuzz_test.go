package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/scoring"
)

// FuzzDecode feeds the webhooks queue's decoder anything. A delivery it
// accepts can be sent (an https or loopback URL, a JSON body, an attempt
// from 1), and its retry (Next) is a delivery that decodes again, one
// attempt later, with the same body.
//
//	go test ./shared/webhook/ -run '^$' -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"delivery_id":"q1/0","url":"https://hooks.example.com/leadflow?token=s3cret","event":"lead.qualified","body":{"id":"q1","contact":{"email":"a@b.example"}},"attempt":1}`,
		`{"delivery_id":"q1/1","url":"http://127.0.0.1:9000/h","event":"lead.qualified","body":[1,2,{"<":"&"}],"attempt":7,"last_error":"HTTP 503"}`,
		`{"delivery_id":"x","url":"http://evil.example","event":"e","body":{},"attempt":1}`,
		`{"delivery_id":"x","url":"https://u:p@a.example","event":"e","body":{},"attempt":1}`,
		`{"delivery_id":"x","url":"https://a.example","event":"e","body":"x","attempt":0}`, `null`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		d, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("a refusal that is not ErrInvalid: %v", err)
			}
			return
		}
		if d.ID == "" || d.Event == "" || d.Attempt < 1 || !json.Valid(d.Body) || ValidateURL(d.URL) != nil {
			t.Fatalf("accepted an undeliverable %+v", d)
		}
		if r := Redact(d.URL); strings.Contains(r, "@") || strings.Count(r, "/") != 2 {
			t.Fatalf("Redact(%q) = %q shows more than scheme and host", d.URL, r)
		}
		// The producer queues a delivery with Encode; every attempt then
		// sends the bytes that decode gives, so a retry must send exactly
		// the bytes the first attempt sent (the signature covers them).
		first := requeue(t, d)
		retry := requeue(t, first)
		if retry.Attempt != d.Attempt+2 || retry.ID != d.ID || retry.URL != d.URL || retry.Event != d.Event || !bytes.Equal(first.Body, retry.Body) {
			t.Fatalf("retry of %+v came back as %+v", first, retry)
		}
		var a, b any
		if json.Unmarshal(d.Body, &a) != nil || json.Unmarshal(first.Body, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("queueing changed the body: %s -> %s", d.Body, first.Body)
		}
	})
}

// requeue is d's trip through the queue as the next attempt.
func requeue(t *testing.T, d Delivery) Delivery {
	t.Helper()
	raw, err := d.Next("HTTP 503").Encode()
	if err != nil {
		t.Fatalf("a retry does not encode: %v", err)
	}
	again, err := Decode(raw)
	if err != nil {
		t.Fatalf("a retry is refused: %v", err)
	}
	return again
}

// FuzzSignature: a signature Leadflow makes verifies for its body at its
// time, a changed body, secret or timestamp fails as a mismatch, and no
// header verifies unless it carries the body's MAC for its timestamp.
//
//	go test ./shared/webhook/ -run '^$' -fuzz FuzzSignature -fuzztime 20s
func FuzzSignature(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f.Add(secret, []byte(`{"id":"q1"}`), int64(1795000000), "t=1795000000,v1=00")
	f.Add([]byte("k"), []byte{}, int64(0), "v1=zz,t=1")
	f.Add([]byte{}, []byte("x"), int64(-62135596800), "t=1,t=2,v1=")
	f.Add(secret, []byte("\x00\xff"), int64(253402300799), " t = 5 , v1=AB ,x")
	f.Fuzz(func(t *testing.T, secret, body []byte, ts int64, header string) {
		if len(secret) == 0 {
			if scoring.Verify(secret, scoring.Sign(secret, time.Unix(ts, 0), body), body, time.Unix(ts, 0), 0) == nil {
				t.Fatal("an empty secret verified")
			}
			return
		}
		at := time.Unix(ts, 0)
		sig := scoring.Sign(secret, at, body)
		if err := scoring.Verify(secret, sig, body, at, 0); err != nil {
			t.Fatalf("Verify(Sign) = %v for t=%d", err, ts)
		}
		mismatch := func(what string, secret []byte, sig string, body []byte) {
			if err := scoring.Verify(secret, sig, body, at, 0); !errors.Is(err, scoring.ErrSignatureMismatch) {
				t.Fatalf("%s: Verify = %v, want a mismatch", what, err)
			}
		}
		mismatch("longer body", secret, sig, append(bytes.Clone(body), 'x'))
		if len(body) > 0 {
			flipped := bytes.Clone(body)
			flipped[len(flipped)/2] ^= 0x01
			mismatch("changed body", secret, sig, flipped)
		}
		mismatch("other secret", append(bytes.Clone(secret), 'x'), sig, body)
		_, v1, _ := strings.Cut(sig, ",")
		if ts < 1<<62 {
			// Same MAC, a later timestamp: the timestamp is signed too.
			moved := "t=" + strconv.FormatInt(at.Unix()+1, 10) + "," + v1
			if err := scoring.Verify(secret, moved, body, at.Add(time.Second), 0); !errors.Is(err, scoring.ErrSignatureMismatch) {
				t.Fatalf("a moved timestamp: Verify = %v, want a mismatch", err)
			}
		}

		// Any header: it verifies only if it carries the real MAC.
		var hts int64
		for part := range strings.SplitSeq(header, ",") {
			if k, v, _ := strings.Cut(strings.TrimSpace(part), "="); k == "t" {
				hts, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if scoring.Verify(secret, header, body, time.Unix(hts, 0), 0) == nil {
			want := scoring.Sign(secret, time.Unix(hts, 0), body)
			_, mac, _ := strings.Cut(want, ",v1=")
			if !strings.Contains(strings.ToLower(header), mac) {
				t.Fatalf("forged header %q verified", header)
			}
		}
	})
}
