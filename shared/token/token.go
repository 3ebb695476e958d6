// Package token signs the links Leadflow puts in email: unsubscribe,
// preferences, open pixel, click redirect, double opt-in confirmation. A
// token names its purpose, so a pixel token can never unsubscribe anyone
// and a click token only redirects to the URL it was signed for.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Purposes of a token.
const (
	Unsubscribe = "unsub"
	Preferences = "prefs"
	Open        = "open"
	Click       = "click"
	Confirm     = "confirm"
)

// Token is what a link carries. Short JSON keys keep URLs short.
type Token struct {
	Purpose   string `json:"p"`
	ContactID string `json:"c"`
	// SendID ties opens and clicks to the message (attribution).
	SendID string `json:"s,omitempty"`
	// URL is the click destination.
	URL string `json:"u,omitempty"`
	// TemplateID names the template a click link was rendered from, so the
	// redirect can re-check the destination against the hosts the template
	// links to. Links signed before it existed have none.
	TemplateID string `json:"m,omitempty"`
	// Topic scopes an unsubscribe to one subscription topic ("" = all).
	Topic string `json:"t,omitempty"`
	// Expires is unix seconds; 0 never expires (unsubscribe links must keep
	// working for as long as the mail sits in an inbox).
	Expires int64 `json:"e,omitempty"`
}

// Errors a caller answers 400 for.
var (
	ErrMalformed = errors.New("malformed link token")
	ErrSignature = errors.New("link token signature does not match")
	ErrPurpose   = errors.New("link token is for another purpose")
	ErrExpired   = errors.New("link token has expired")
)

// Signer signs with the first secret and verifies with any, so secrets can
// be rotated without breaking links already in inboxes.
type Signer struct {
	secrets [][]byte
}

// NewSigner builds a signer; every secret must be at least 32 bytes.
func NewSigner(secrets ...string) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("token: at least one signing secret is required")
	}
	s := &Signer{}
	for _, sec := range secrets {
		if len(sec) < 32 {
			return nil, errors.New("token: signing secrets must be at least 32 characters")
		}
		s.secrets = append(s.secrets, []byte(sec))
	}
	return s, nil
}

// ParseSecrets splits a comma-separated secret list (newest first).
func ParseSecrets(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func mac(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("leadflow-link-v1."))
	m.Write([]byte(payload))
	return m.Sum(nil)[:20] // 160 bits: ample against forgery, shorter URLs
}

// Sign returns the token as a URL-safe string.
func (s *Signer) Sign(t Token) string {
	raw, _ := json.Marshal(t) // a struct of strings and ints always encodes
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac(s.secrets[0], payload))
}

// Verify checks a token string for the given purpose at time now.
func (s *Signer) Verify(purpose, str string, now time.Time) (Token, error) {
	payload, sig, ok := strings.Cut(str, ".")
	if !ok || payload == "" || sig == "" || len(str) > 4096 {
		return Token{}, ErrMalformed
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return Token{}, ErrMalformed
	}
	valid := false
	for _, sec := range s.secrets {
		if hmac.Equal(got, mac(sec, payload)) {
			valid = true
			break
		}
	}
	if !valid {
		return Token{}, ErrSignature
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Token{}, ErrMalformed
	}
	var t Token
	if err := json.Unmarshal(raw, &t); err != nil || t.ContactID == "" {
		return Token{}, fmt.Errorf("%w: payload", ErrMalformed)
	}
	if t.Purpose != purpose {
		return Token{}, ErrPurpose
	}
	if t.Expires != 0 && now.Unix() > t.Expires {
		return Token{}, ErrExpired
	}
	return t, nil
}
