package runner_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// userHash is what a site's server computes (README, "Identity
// verification"): hex HMAC-SHA256 of the user id or email, keyed with the
// site's identity secret.
func userHash(secret, id string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))
}

// TestPublicKeyCannotTakeOverAKnownContact reproduces issue 8.2: with only
// the public write key, an identify naming a known contact's email used to
// overwrite their traits (first_name -> "Pwned") and, through a prepared
// anonymous profile, their first touch. Now only a call carrying a valid
// user hash (or sent with the secret by the site's server) changes them.
func TestPublicKeyCannotTakeOverAKnownContact(t *testing.T) {
	e := newEnv(t)
	const secret = "integration-identity-secret-0123456789"
	admin := map[string]string{"Authorization": "Bearer " + adminToken}
	// The secret is set before any tracking call: ingest caches a site for a minute.
	code, body, _ := e.do("PUT", "/v1/sites/"+siteKey, `{"name":"Test site","allowed_origins":["https://allowed.example"],"identity_secret":"`+secret+`"}`, admin)
	if code != 200 || body["identity_secret"] != secret || body["identity_verification"] != true {
		t.Errorf("set identity secret: %d %v", code, body)
	}
	if code, body := e.admin("/v1/sites"); code != 200 || strings.Contains(mustJSON(t, body), secret) {
		t.Errorf("GET /v1/sites must not show the secret: %d %v", code, body)
	}
	browser := map[string]string{"X-Site-Key": siteKey, "Origin": "https://allowed.example"}
	post := func(headers map[string]string, batch string) {
		t.Helper()
		if code, resp, _ := e.do("POST", "/v1/batch", batch, headers); code != 200 {
			t.Fatalf("batch refused: %d %v", code, resp)
		}
	}

	// Ada visits from a newsletter and identifies herself (public key).
	post(browser, `{"batch":[
	 {"type":"page","messageId":"ada-p1","anonymousId":"ada-laptop","timestamp":"`+batchTime(0)+`","context":{"page":{"url":"https://example.com/?utm_source=newsletter&utm_medium=email"}}},
	 {"type":"identify","messageId":"ada-i1","anonymousId":"ada-laptop","timestamp":"`+batchTime(1)+`","traits":{"email":"ada@victim.test","first_name":"Ada"}}]}`)
	ada := e.waitContact("ada-laptop", 2)

	// The attacker prepares an anonymous profile with an older visit from
	// their own campaign and newer trait values...
	early := time.Now().UTC().Add(-6 * 24 * time.Hour).Format(time.RFC3339)
	post(browser, `{"batch":[
	 {"type":"page","messageId":"x-p1","anonymousId":"attacker","timestamp":"`+early+`","context":{"page":{"url":"https://example.com/?utm_source=evil&utm_medium=cpc"}}},
	 {"type":"identify","messageId":"x-i1","anonymousId":"attacker","timestamp":"`+batchTime(2)+`","traits":{"first_name":"Pwned","title":"Attacker"}}]}`)
	e.waitContact("attacker", 2)
	// ...then claims Ada's email, with a forged user hash for good measure.
	post(browser, `{"batch":[{"type":"identify","messageId":"x-i2","anonymousId":"attacker","timestamp":"`+batchTime(3)+`",
	 "traits":{"email":"ADA@victim.test","first_name":"Pwned","user_hash":"`+userHash("guessed-secret", "ada@victim.test")+`"}}]}`)
	// The marker: the attacker's events reached Ada's contact (the accepted
	// limit of every Segment-spec tool), so everything else was decided.
	c := e.waitContact("ada-laptop", 5)
	if c["id"] != ada["id"] {
		t.Fatalf("contact changed: %v -> %v", ada["id"], c["id"])
	}
	traits, _ := c["traits"].(map[string]any)
	if traits["first_name"] != "Ada" {
		t.Errorf("first_name = %v: the public key took over a known contact", traits["first_name"])
	}
	if traits["title"] != "Attacker" {
		t.Errorf("a trait Ada never had may be added: traits %v", traits)
	}
	if ft, _ := c["first_touch"].(map[string]any); ft["source"] != "newsletter" || c["first_seen"] != ada["first_seen"] {
		t.Errorf("first touch %v first seen %v (was %v): attribution taken over", c["first_touch"], c["first_seen"], ada["first_seen"])
	}
	if c["email"] != "ada@victim.test" || c["page_views"] != float64(2) {
		t.Errorf("email %v page_views %v", c["email"], c["page_views"])
	}

	// Ada's site signs her email with the secret: her own change goes through.
	post(browser, `{"batch":[{"type":"identify","messageId":"ada-i2","anonymousId":"ada-laptop","timestamp":"`+batchTime(4)+`",
	 "traits":{"email":"ada@victim.test","first_name":"Ada L."},"integrations":{"Leadflow":{"user_hash":"`+userHash(secret, "ada@victim.test")+`"}}}]}`)
	c = e.waitContact("ada-laptop", 6)
	if traits, _ := c["traits"].(map[string]any); traits["first_name"] != "Ada L." {
		t.Errorf("first_name = %v after a verified identify", traits["first_name"])
	}
	if evs, _ := c["events"].([]any); strings.Contains(mustJSON(t, evs), "user_hash") {
		t.Error("the user hash was stored on the timeline")
	}

	// The site's server sends with the secret as the Basic password.
	server := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(siteKey+":"+secret))}
	post(server, `{"batch":[{"type":"identify","messageId":"ada-i3","userId":"ada-1","timestamp":"`+batchTime(5)+`","traits":{"email":"ada@victim.test","first_name":"Augusta Ada"}}]}`)
	e.settle()
	code, body = e.admin("/v1/contacts?user_id=ada-1")
	if list, _ := body["contacts"].([]any); code != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != ada["id"] {
		t.Fatalf("the server's verified user id must join Ada's contact: %d %v", code, body)
	}
	if _, c := e.admin("/v1/contacts/" + ada["id"].(string)); c["traits"].(map[string]any)["first_name"] != "Augusta Ada" {
		t.Errorf("first_name = %v after the server's call", c["traits"].(map[string]any)["first_name"])
	}
	wrong := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(siteKey+":not-the-secret"))}
	if code, resp, _ := e.do("POST", "/v1/batch", `{"batch":[{"type":"identify","userId":"ada-1","traits":{"first_name":"X"}}]}`, wrong); code != 401 {
		t.Errorf("wrong secret: %d %v", code, resp)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSiteIdentitySecretIsShownOnlyWhenSet(t *testing.T) {
	e := newEnv(t)
	admin := map[string]string{"Authorization": "Bearer " + adminToken}
	put := func(body string) (int, map[string]any) {
		t.Helper()
		code, resp, _ := e.do("PUT", "/v1/sites/secret_site", body, admin)
		return code, resp
	}
	code, created := put(`{"name":"Shop"}`)
	first, _ := created["identity_secret"].(string)
	if code != 201 || !strings.HasPrefix(first, "lfis_") || len(first) < 32 || created["identity_verification"] != true {
		t.Fatalf("a new site gets a generated secret, shown once: %d %v", code, created)
	}
	code, updated := put(`{"name":"Shop","allowed_origins":["https://shop.example"]}`)
	if _, shown := updated["identity_secret"]; code != 200 || shown || updated["identity_verification"] != true {
		t.Errorf("an update keeps the secret and does not show it: %d %v", code, updated)
	}
	code, rotated := put(`{"name":"Shop","generate_identity_secret":true}`)
	if s, _ := rotated["identity_secret"].(string); code != 200 || s == "" || s == first {
		t.Errorf("rotation: %d %v", code, rotated)
	}
	if _, list := e.admin("/v1/sites"); strings.Contains(mustJSON(t, list), "lfis_") || !strings.Contains(mustJSON(t, list), `"identity_verification":true`) {
		t.Errorf("GET /v1/sites must say verification is on and never show the secret: %v", list)
	}
	for _, bad := range []string{`{"name":"Shop","identity_secret":"short"}`, `{"name":"Shop","identity_secret":"` + strings.Repeat("x", 40) + `","generate_identity_secret":true}`} {
		if code, resp := put(bad); code != 400 {
			t.Errorf("%s: %d %v", bad, code, resp)
		}
	}
	if code, off := put(`{"name":"Shop","identity_secret":""}`); code != 200 || off["identity_verification"] != false {
		t.Errorf("turning verification off: %d %v", code, off)
	}
}
