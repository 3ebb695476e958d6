// Package auth decides who is calling the admin API: the machine admin token
// (scripts, CI) or a console user with a token from the Cognito user pool.
// It is plain Go; the pool's signing keys come through the KeySource port
// (adapter: auth/jwks, which fetches and caches the pool's JWKS).
package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
)

// Principal is the caller of an admin route.
type Principal struct {
	// Subject is the user's stable id (the token's sub), or "admin-token".
	Subject string
	// Email is the user's address; empty for the machine token.
	Email string
	Role  catalog.Role
	// Machine marks the admin token.
	Machine bool
}

// Name is how the audit log shows the principal: the email when known.
func (p Principal) Name() string {
	if p.Email != "" {
		return p.Email
	}
	return p.Subject
}

// MachineSubject is the Subject of the admin token's principal.
const MachineSubject = "admin-token"

// Machine is the principal of the admin token.
var Machine = Principal{Subject: MachineSubject, Role: catalog.RoleAdmin, Machine: true}

// ErrInvalidToken is returned (wrapped, with the reason) for any token that
// fails a check. The reason is safe to show the caller: it never repeats
// the token.
var ErrInvalidToken = errors.New("invalid token")

// KeySource gives the RSA public key with the key id, fetching the pool's
// keys again when the id is unknown (keys rotate).
type KeySource interface {
	Key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// ErrUnknownKey is what a KeySource returns for a key id it does not have.
var ErrUnknownKey = errors.New("unknown signing key")

// Verifier checks Cognito ID and access tokens: RS256 signature against the
// pool's keys, issuer, audience (ID token) or client_id (access token),
// token_use and expiry.
type Verifier struct {
	Issuer   string
	ClientID string
	Keys     KeySource
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// Leeway tolerates clock skew on exp, iat and nbf.
	Leeway time.Duration
}

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// claims are the fields a Cognito token carries that the checks read.
type claims struct {
	Iss      string          `json:"iss"`
	Sub      string          `json:"sub"`
	Aud      json.RawMessage `json:"aud"`
	ClientID string          `json:"client_id"`
	TokenUse string          `json:"token_use"`
	Exp      *float64        `json:"exp"`
	Iat      *float64        `json:"iat"`
	Nbf      *float64        `json:"nbf"`
	Email    string          `json:"email"`
	Username string          `json:"username"`
	Groups   []string        `json:"cognito:groups"`
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

// Verify checks the token and returns its principal. The role is the
// highest of the user's groups (RoleNone when in none).
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Principal{}, invalid("not a JWT")
	}
	var h header
	if err := decodePart(parts[0], &h); err != nil {
		return Principal{}, invalid("header: %v", err)
	}
	// Only RS256: "none" and HMAC algorithms (signed with the public key as
	// a secret) are the classic JWT forgeries.
	if h.Alg != "RS256" {
		return Principal{}, invalid("algorithm %q is not RS256", h.Alg)
	}
	if h.Kid == "" {
		return Principal{}, invalid("no key id")
	}
	key, err := v.Keys.Key(ctx, h.Kid)
	if errors.Is(err, ErrUnknownKey) {
		return Principal{}, invalid("signed with unknown key %q", h.Kid)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("signing keys: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Principal{}, invalid("signature encoding")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return Principal{}, invalid("bad signature")
	}
	var c claims
	if err := decodePart(parts[1], &c); err != nil {
		return Principal{}, invalid("claims: %v", err)
	}
	if c.Iss != v.Issuer {
		return Principal{}, invalid("issuer %q is not this user pool", c.Iss)
	}
	switch c.TokenUse {
	case "id":
		if !audienceHas(c.Aud, v.ClientID) {
			return Principal{}, invalid("ID token for another client")
		}
	case "access":
		if c.ClientID != v.ClientID {
			return Principal{}, invalid("access token for another client")
		}
	default:
		return Principal{}, invalid("token_use %q is neither id nor access", c.TokenUse)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if c.Exp == nil {
		return Principal{}, invalid("no expiry")
	}
	if now.After(unix(*c.Exp).Add(v.Leeway)) {
		return Principal{}, invalid("expired")
	}
	if c.Nbf != nil && now.Add(v.Leeway).Before(unix(*c.Nbf)) {
		return Principal{}, invalid("not valid yet")
	}
	if c.Iat != nil && now.Add(v.Leeway).Before(unix(*c.Iat)) {
		return Principal{}, invalid("issued in the future")
	}
	if c.Sub == "" {
		return Principal{}, invalid("no subject")
	}
	return Principal{Subject: c.Sub, Email: c.Email, Role: catalog.HighestRole(c.Groups)}, nil
}

func unix(s float64) time.Time { return time.Unix(int64(s), 0) }

// audienceHas reads aud as a string or a list of strings.
func audienceHas(raw json.RawMessage, client string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == client && client != ""
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return client != "" && slices.Contains(many, client)
	}
	return false
}

func decodePart(p string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	return json.Unmarshal(raw, v)
}
