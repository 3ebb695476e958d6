package site

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// Identity verification, as Intercom and the tools teams already use do it:
// the site's server holds a secret that is never sent to browsers and signs
// the identity of the signed-in visitor with it; the browser passes the
// signature along with the identify call. Data without a valid signature is
// unverified: with only the public write key, anyone can claim any email.

// MinIdentitySecret and MaxIdentitySecret bound a secret set through the
// admin API: shorter is guessable, longer is a mistake (a key file?).
const (
	MinIdentitySecret = 32
	MaxIdentitySecret = 256
)

// NewIdentitySecret returns a random secret: 256 bits, as text safe to paste
// into any server's configuration.
func NewIdentitySecret() string {
	return "lfis_" + rand.Text() + rand.Text()
}

// ValidateIdentitySecret reports what is wrong with a secret set by hand.
func ValidateIdentitySecret(s string) error {
	if len(s) < MinIdentitySecret || len(s) > MaxIdentitySecret {
		return fmt.Errorf("identity_secret must be %d-%d characters", MinIdentitySecret, MaxIdentitySecret)
	}
	if strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return fmt.Errorf("identity_secret must be printable ASCII without spaces")
	}
	return nil
}

// UserHash is what the site's server computes for a visitor: the hex
// HMAC-SHA256 of the identity (the user id, or the email when there is no
// user id) keyed with the site's identity secret. "" when the site has no
// secret.
func (s Site) UserHash(identity string) string {
	if s.IdentitySecret == "" || identity == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(s.IdentitySecret))
	mac.Write([]byte(identity))
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifiesUserHash reports whether hash signs identity with this site's
// secret. Comparison is constant-time; case of the hex digits is ignored.
func (s Site) VerifiesUserHash(identity, hash string) bool {
	want := s.UserHash(identity)
	if want == "" || hash == "" {
		return false
	}
	return hmac.Equal([]byte(want), []byte(strings.ToLower(strings.TrimSpace(hash))))
}

// VerifiesSecret reports whether a server presented this site's identity
// secret itself (as the HTTP Basic password): everything it sends counts
// as verified.
func (s Site) VerifiesSecret(secret string) bool {
	if s.IdentitySecret == "" || secret == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(s.IdentitySecret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
