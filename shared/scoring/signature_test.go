package scoring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestSignMatchesTheDocumentedScheme(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"type":"lead.qualified"}`)
	at := time.Unix(1700000000, 0)
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("1700000000." + string(body)))
	want := "t=1700000000,v1=" + hex.EncodeToString(h.Sum(nil))
	if got := Sign(secret, at, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"id":"e1","type":"lead.qualified","owner":"di"}`)
	at := time.Unix(1700000000, 0)
	good := Sign(secret, at, body)
	other := Sign([]byte("whsec_old"), at, body)
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, good, body, at, nil},
		{"valid within tolerance after", secret, good, body, at.Add(4 * time.Minute), nil},
		{"valid within tolerance before (receiver clock behind)", secret, good, body, at.Add(-4 * time.Minute), nil},
		{"replayed after the window", secret, good, body, at.Add(6 * time.Minute), ErrSignatureTimestamp},
		{"from the future", secret, good, body, at.Add(-6 * time.Minute), ErrSignatureTimestamp},
		{"tampered body", secret, good, []byte(`{"id":"e1","type":"lead.qualified","owner":"mallory"}`), at, ErrSignatureMismatch},
		{"timestamp moved forward to dodge the window", secret, fmt.Sprintf("t=%d,v1=%s", at.Unix()+600, good[len("t=1700000000,v1="):]), body, at.Add(10 * time.Minute), ErrSignatureMismatch},
		{"wrong secret", []byte("whsec_other"), good, body, at, ErrSignatureMismatch},
		{"rotation: one of two signatures matches", secret, other + ",v1=" + good[len("t=1700000000,v1="):], body, at, nil},
		{"unknown scheme ignored", secret, good + ",v0=deadbeef", body, at, nil},
		{"spaces tolerated", secret, "t=1700000000, v1=" + good[len("t=1700000000,v1="):], body, at, nil},
		{"empty header", secret, "", body, at, ErrSignatureFormat},
		{"no v1", secret, "t=1700000000", body, at, ErrSignatureFormat},
		{"no t", secret, "v1=" + good[len("t=1700000000,v1="):], body, at, ErrSignatureFormat},
		{"two t", secret, "t=1,t=2,v1=00", body, at, ErrSignatureFormat},
		{"t not a number", secret, "t=soon,v1=00", body, at, ErrSignatureFormat},
		{"v1 not hex", secret, "t=1700000000,v1=zz", body, at, ErrSignatureFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	if err := Verify(nil, good, body, at, 0); err == nil {
		t.Error("an empty secret verified")
	}
	if err := Verify(secret, good, body, at.Add(DefaultTolerance-time.Second), 0); err != nil {
		t.Errorf("tolerance 0 should mean the default: %v", err)
	}
}
