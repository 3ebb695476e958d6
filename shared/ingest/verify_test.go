package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/tracking"
)

const testSecret = "test-identity-secret-0123456789abcdef"

// hmacHex is what a site's server computes, written out independently of
// site.UserHash so the test checks the documented formula.
func hmacHex(secret, id string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestUserHashVerification(t *testing.T) {
	good := hmacHex(testSecret, "user-42")
	goodEmail := hmacHex(testSecret, "ada@example.com")
	tests := []struct {
		name     string
		siteKey  string
		password string
		body     string
		verified bool
		badHash  bool
	}{
		{"no hash", "verified_site", "", `{"userId":"user-42","traits":{"first_name":"A"}}`, false, false},
		{"hash of the user id in integrations.Leadflow", "verified_site", "",
			`{"userId":"user-42","traits":{"first_name":"A"},"integrations":{"Leadflow":{"user_hash":"` + good + `"}}}`, true, false},
		{"hash in traits", "verified_site", "", `{"userId":"user-42","traits":{"first_name":"A","user_hash":"` + good + `"}}`, true, false},
		{"hash in context.traits", "verified_site", "", `{"userId":"user-42","context":{"traits":{"user_hash":"` + good + `"}}}`, true, false},
		{"upper-case hex", "verified_site", "", `{"userId":"user-42","traits":{"user_hash":"` + strings.ToUpper(good) + `"}}`, true, false},
		{"hash of the email when there is no user id", "verified_site", "", `{"anonymousId":"a1","traits":{"email":"Ada@Example.com","user_hash":"` + goodEmail + `"}}`, true, false},
		{"hash of the email as sent", "verified_site", "", `{"anonymousId":"a1","traits":{"email":"Ada@Example.com","user_hash":"` + hmacHex(testSecret, "Ada@Example.com") + `"}}`, true, false},
		{"with a user id, the hash must cover the user id", "verified_site", "", `{"userId":"user-42","traits":{"email":"ada@example.com","user_hash":"` + goodEmail + `"}}`, false, true},
		{"wrong hash", "verified_site", "", `{"userId":"user-42","traits":{"user_hash":"` + hmacHex(testSecret, "user-43") + `"}}`, false, true},
		{"hash made with another secret", "verified_site", "", `{"userId":"user-42","traits":{"user_hash":"` + hmacHex("another-secret-0123456789abcdefghij", "user-42") + `"}}`, false, true},
		{"a site without a secret verifies nothing", "plain_site", "", `{"userId":"user-42","traits":{"user_hash":"` + hmacHex("", "user-42") + `"}}`, false, true},
		{"a client's own verified flag is ignored", "verified_site", "", `{"userId":"user-42","verified":true,"traits":{"first_name":"A"}}`, false, false},
		{"the secret as the Basic password verifies every message", "verified_site", testSecret, `{"userId":"user-42","traits":{"first_name":"A"}}`, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeQueue{}
			sites := fakeSites{
				"verified_site": {Key: "verified_site", Name: "v", IdentitySecret: testSecret},
				"plain_site":    {Key: "plain_site", Name: "p"},
			}
			svc := New(sites, q, time.Minute, func() time.Time { return time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) })
			acc, err := svc.Accept(context.Background(), Call{Path: "/v1/identify", Body: []byte(tc.body), BasicKey: tc.siteKey, BasicSecret: tc.password})
			if err != nil {
				t.Fatalf("a user hash never refuses a call: %v", err)
			}
			if len(q.bodies) != 1 {
				t.Fatalf("queued %d bodies", len(q.bodies))
			}
			b, err := tracking.DecodeBatch(q.bodies[0])
			if err != nil {
				t.Fatal(err)
			}
			m := b.Messages[0]
			if m.Verified != tc.verified {
				t.Errorf("verified = %v, want %v", m.Verified, tc.verified)
			}
			if (acc.BadHashes == 1) != tc.badHash || (acc.Verified == 1) != tc.verified {
				t.Errorf("accepted %+v", acc)
			}
			if strings.Contains(q.bodies[0], "user_hash") {
				t.Errorf("the user hash must not be queued or stored: %s", q.bodies[0])
			}
		})
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	q := &fakeQueue{}
	sites := fakeSites{"verified_site": {Key: "verified_site", Name: "v", IdentitySecret: testSecret}}
	svc := New(sites, q, time.Minute, nil)
	_, err := svc.Accept(context.Background(), Call{Path: "/v1/identify", Body: []byte(`{"userId":"u"}`), BasicKey: "verified_site", BasicSecret: "not-the-secret"})
	if !errors.Is(err, ErrWrongSecret) || len(q.bodies) != 0 {
		t.Errorf("err %v, queued %d", err, len(q.bodies))
	}
}

func TestSiteUserHashIsTheDocumentedHMAC(t *testing.T) {
	s := site.Site{IdentitySecret: testSecret}
	if got, want := s.UserHash("user-42"), hmacHex(testSecret, "user-42"); got != want {
		t.Errorf("UserHash = %s, want %s", got, want)
	}
	if (site.Site{}).UserHash("user-42") != "" {
		t.Error("no secret, no hash")
	}
}
