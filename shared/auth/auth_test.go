package auth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/auth"
	"github.com/leadflow/leadflow/shared/auth/jwks"
	"github.com/leadflow/leadflow/shared/catalog"
)

const (
	issuer = "http://127.0.0.1:1/local_pool"
	client = "client-1"
)

var now = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

func sign(t *testing.T, key *rsa.PrivateKey, kid, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"}) + "." + enc(claims)
	d := sha256.Sum256([]byte(head))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return head + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// jwksServer serves the public half of key under kid, counting fetches.
func jwksServer(t *testing.T, key *rsa.PrivateKey, kid string, fetches *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestVerify(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	var fetches atomic.Int32
	srv := jwksServer(t, key, "k1", &fetches)
	v := &auth.Verifier{Issuer: issuer, ClientID: client, Keys: jwks.New(srv.URL, nil), Now: func() time.Time { return now }}
	exp := float64(now.Add(time.Hour).Unix())
	idClaims := func(mut func(map[string]any)) map[string]any {
		c := map[string]any{"iss": issuer, "sub": "u-1", "aud": client, "token_use": "id", "exp": exp,
			"iat": float64(now.Add(-time.Minute).Unix()), "email": "a@example.com", "cognito:groups": []string{"viewer", "marketer"}}
		if mut != nil {
			mut(c)
		}
		return c
	}
	tests := []struct {
		name    string
		token   string
		role    catalog.Role
		wantErr string
	}{
		{"id token", sign(t, key, "k1", "RS256", idClaims(nil)), catalog.RoleMarketer, ""},
		{"access token", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) {
			delete(c, "aud")
			c["token_use"], c["client_id"] = "access", client
		})), catalog.RoleMarketer, ""},
		{"no groups", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) { delete(c, "cognito:groups") })), catalog.RoleNone, ""},
		{"other key", sign(t, other, "k1", "RS256", idClaims(nil)), "", "bad signature"},
		{"unknown kid", sign(t, key, "k2", "RS256", idClaims(nil)), "", "unknown key"},
		{"hs256", sign(t, key, "k1", "HS256", idClaims(nil)), "", "not RS256"},
		{"other issuer", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) { c["iss"] = "http://evil/pool" })), "", "issuer"},
		{"other audience", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) { c["aud"] = "client-2" })), "", "another client"},
		{"access for other client", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) {
			c["token_use"], c["client_id"] = "access", "client-2"
		})), "", "another client"},
		{"refresh-ish use", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) { c["token_use"] = "refresh" })), "", "token_use"},
		{"expired", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) { c["exp"] = float64(now.Add(-time.Second).Unix()) })), "", "expired"},
		{"no expiry", sign(t, key, "k1", "RS256", idClaims(func(c map[string]any) { delete(c, "exp") })), "", "no expiry"},
		{"garbage", "abc", "", "not a JWT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.token)
			if tc.wantErr != "" {
				if !errors.Is(err, auth.ErrInvalidToken) || !contains(err.Error(), tc.wantErr) {
					t.Fatalf("Verify = %v, want invalid token mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Role != tc.role || p.Subject != "u-1" || p.Email != "a@example.com" {
				t.Errorf("principal = %+v, want role %q", p, tc.role)
			}
		})
	}
	// The set was fetched once; the unknown kid asked again at most once
	// within MinRefetch.
	if n := fetches.Load(); n < 1 || n > 2 {
		t.Errorf("JWKS fetched %d times, want 1 or 2", n)
	}
	for range 5 {
		v.Verify(context.Background(), sign(t, key, "k9", "RS256", idClaims(nil)))
	}
	if n := fetches.Load(); n > 2 {
		t.Errorf("unknown key ids fetched the JWKS %d times within a minute", n)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
