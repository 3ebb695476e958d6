// Package jwks is the auth.KeySource of a Cognito user pool: it fetches the
// pool's JSON Web Key Set over HTTP and caches it, fetching again (at most
// once per MinRefetch) when a token names a key it does not have, which is
// how a key rotation shows up.
package jwks

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/auth"
)

// MinRefetch bounds how often unknown key ids make it fetch again, so a
// stream of forged tokens cannot turn into a stream of requests to Cognito.
const MinRefetch = time.Minute

// Source fetches and caches one pool's keys.
type Source struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

var _ auth.KeySource = (*Source)(nil)

// New reads keys from url (<issuer>/.well-known/jwks.json).
func New(url string, client *http.Client) *Source {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	return &Source{url: url, client: client}
}

// Key returns the key with the id, fetching the set when it is not cached.
func (s *Source) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	if s.keys != nil && time.Since(s.fetched) < MinRefetch {
		return nil, auth.ErrUnknownKey
	}
	keys, err := s.fetch(ctx)
	if err != nil {
		return nil, err
	}
	s.keys, s.fetched = keys, time.Now()
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, auth.ErrUnknownKey
}

func (s *Source) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", s.url, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks %s: %s", s.url, resp.Status)
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("decode jwks %s: %w", s.url, err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 {
			return nil, fmt.Errorf("jwks %s: key %q is malformed", s.url, k.Kid)
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}
