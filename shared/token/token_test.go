package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestSignAndVerify(t *testing.T) {
	s, err := NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	click := s.Sign(Token{Purpose: Click, ContactID: "c_1", SendID: "s_1", URL: "https://example.com/a?b=c"})
	unsub := s.Sign(Token{Purpose: Unsubscribe, ContactID: "c_1", Topic: "newsletter"})
	confirm := s.Sign(Token{Purpose: Confirm, ContactID: "c_1", Expires: now.Add(time.Hour).Unix()})
	tamperedPayload := "x" + click[1:]
	tamperedSig := click[:len(click)-2] + "AA"

	other, _ := NewSigner("ffffffffffffffffffffffffffffffff")
	tests := []struct {
		name    string
		signer  *Signer
		purpose string
		tok     string
		at      time.Time
		want    error
	}{
		{"click verifies", s, Click, click, now, nil},
		{"unsubscribe verifies", s, Unsubscribe, unsub, now, nil},
		{"a click token cannot unsubscribe", s, Unsubscribe, click, now, ErrPurpose},
		{"tampered payload", s, Click, tamperedPayload, now, ErrSignature},
		{"tampered signature", s, Click, tamperedSig, now, ErrSignature},
		{"another secret", other, Click, click, now, ErrSignature},
		{"expired", s, Confirm, confirm, now.Add(2 * time.Hour), ErrExpired},
		{"not expired", s, Confirm, confirm, now, nil},
		{"garbage", s, Click, "not-a-token", now, ErrMalformed},
		{"empty", s, Click, "", now, ErrMalformed},
		{"oversize", s, Click, strings.Repeat("a", 5000) + ".b", now, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tc.signer.Verify(tc.purpose, tc.tok, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err == nil && tok.ContactID != "c_1" {
				t.Errorf("token %+v", tok)
			}
		})
	}
	if tok, _ := s.Verify(Click, click, now); tok.URL != "https://example.com/a?b=c" || tok.SendID != "s_1" {
		t.Errorf("click token lost fields: %+v", tok)
	}
}

func TestRotation(t *testing.T) {
	old, _ := NewSigner("old-secret-old-secret-old-secret-1")
	tok := old.Sign(Token{Purpose: Open, ContactID: "c_1"})
	rotated, _ := NewSigner("new-secret-new-secret-new-secret-2", "old-secret-old-secret-old-secret-1")
	if _, err := rotated.Verify(Open, tok, time.Now()); err != nil {
		t.Errorf("a link signed with the previous secret must still verify: %v", err)
	}
	if _, err := NewSigner("short"); err == nil {
		t.Error("short secrets must be refused")
	}
	if got := ParseSecrets(" a , ,b"); len(got) != 2 || got[0] != "a" {
		t.Errorf("ParseSecrets = %v", got)
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := NewSigner(secret)
	f.Add(s.Sign(Token{Purpose: Click, ContactID: "c", URL: "https://x"}))
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, in string) {
		tok, err := s.Verify(Click, in, time.Now())
		if err == nil && (tok.ContactID == "" || tok.Purpose != Click) {
			t.Fatalf("accepted a bad token: %+v", tok)
		}
	})
}
