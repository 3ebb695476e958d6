package runner_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func (e *env) track(body string) {
	e.t.Helper()
	if code, resp, _ := e.do("POST", "/v1/batch", body, map[string]string{"X-Site-Key": siteKey}); code != 200 {
		e.t.Fatalf("batch rejected: %d %v", code, resp)
	}
}

func (e *env) adminDo(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	code, resp, _ := e.do(method, path, body, map[string]string{"Authorization": "Bearer " + adminToken})
	return code, resp
}

func TestSecondDeviceMergesAndEnrichmentFollows(t *testing.T) {
	e := newEnv(t)
	ua := `"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1"`
	e.track(`{"batch":[
	 {"type":"page","messageId":"l1","anonymousId":"laptop","timestamp":"2026-11-20T09:00:00Z","context":{"page":{"url":"https://acme.test/products/analytics?utm_source=google&utm_medium=cpc","path":"/products/analytics"}}},
	 {"type":"identify","messageId":"l2","anonymousId":"laptop","timestamp":"2026-11-20T09:01:00Z","traits":{"email":"Grace@Acme.test","title":"VP Marketing"}}]}`)
	a := e.waitContact("laptop", 2)
	e.track(`{"batch":[
	 {"type":"page","messageId":"p1","anonymousId":"phone","timestamp":"2026-11-22T18:00:00Z","context":{` + ua + `,"page":{"url":"https://acme.test/pricing","path":"/pricing"},"location":{"country":"FR","city":"Lyon"},"timezone":"Europe/Paris"}},
	 {"type":"page","messageId":"p2","anonymousId":"phone","timestamp":"2026-11-22T18:05:00Z","context":{` + ua + `,"page":{"url":"https://acme.test/pricing/enterprise","path":"/pricing/enterprise"}}}]}`)
	e.waitContact("phone", 2)
	e.track(`{"batch":[{"type":"identify","messageId":"p3","anonymousId":"phone","timestamp":"2026-11-22T18:06:00Z","traits":{"email":"grace@acme.test","phone_model":"iPhone"}}]}`)
	e.settle()

	c := e.waitContact("phone", 5)
	if c["id"] != a["id"] {
		t.Fatalf("phone contact %v is not the laptop contact %v", c["id"], a["id"])
	}
	if c["page_views"] != float64(3) || c["event_count"] != float64(5) || c["sessions"] != float64(2) {
		t.Errorf("page_views %v event_count %v sessions %v", c["page_views"], c["event_count"], c["sessions"])
	}
	interests, _ := c["interests"].(map[string]any)
	if interests["pricing"] != float64(2) || interests["product-analytics"] != float64(1) {
		t.Errorf("interests %v", c["interests"])
	}
	if comp, _ := c["company"].(map[string]any); comp["domain"] != "acme.test" || comp["email_type"] != "corporate" {
		t.Errorf("company %v", c["company"])
	}
	if dev, _ := c["device"].(map[string]any); dev["type"] != "mobile" || dev["os"] != "iOS" {
		t.Errorf("device %v", c["device"])
	}
	if loc, _ := c["location"].(map[string]any); loc["country"] != "FR" || c["timezone"] != "Europe/Paris" {
		t.Errorf("location %v timezone %v", c["location"], c["timezone"])
	}
	traits, _ := c["traits"].(map[string]any)
	if traits["title"] != "VP Marketing" || traits["phone_model"] != "iPhone" {
		t.Errorf("traits %v", traits)
	}
	if ft, _ := c["first_touch"].(map[string]any); ft["source"] != "google" {
		t.Errorf("first touch must keep the earliest: %v", c["first_touch"])
	}
	if ids, _ := c["anonymous_ids"].([]any); len(ids) != 2 {
		t.Errorf("anonymous_ids %v", ids)
	}
	// The merged contact's id still answers, with the survivor.
	merged := c["merged_ids"].([]any)
	if len(merged) != 1 {
		t.Fatalf("merged_ids %v", merged)
	}
	if code, m := e.admin("/v1/contacts/" + merged[0].(string)); code != 200 || m["id"] != a["id"] {
		t.Errorf("GET merged id: %d %v", code, m["id"])
	}
}

func TestAdminContactOperations(t *testing.T) {
	e := newEnv(t)
	e.track(`{"batch":[{"type":"identify","messageId":"i1","anonymousId":"ops-1","userId":"u-ops","traits":{"email":"ops@example.org","plan":"free"}},
	 {"type":"track","messageId":"t1","anonymousId":"ops-1","event":"Signed Up"},{"type":"page","messageId":"pg1","anonymousId":"ops-1"}]}`)
	c := e.waitContact("ops-1", 3)
	id := c["id"].(string)

	if code, body := e.adminDo("PATCH", "/v1/contacts/"+id, `{"traits":{"plan":"enterprise","nickname":null,"company_size":"51-200"}}`); code != 200 || body["traits"].(map[string]any)["plan"] != "enterprise" {
		t.Errorf("PATCH traits: %d %v", code, body)
	}
	for _, bad := range []string{`{"traits":{"name":"<img src=x onerror=alert(1)>"}}`, `{"traits":{"email":"nope"}}`, `{"status":"subscribed"}`, `{"unknown":1}`, `{}`} {
		if code, body := e.adminDo("PATCH", "/v1/contacts/"+id, bad); code != 400 {
			t.Errorf("PATCH %s: %d %v", bad, code, body)
		}
	}
	if code, body := e.adminDo("POST", "/v1/contacts/"+id+"/tags", `{"tags":["vip","beta"]}`); code != 200 || len(body["tags"].([]any)) != 2 {
		t.Errorf("add tags: %d %v", code, body)
	}
	if code, body := e.adminDo("DELETE", "/v1/contacts/"+id+"/tags/beta", ""); code != 200 || len(body["tags"].([]any)) != 1 {
		t.Errorf("remove tag: %d %v", code, body)
	}
	// Search by tag and by trait.
	for _, q := range []string{"tag=vip", "trait.plan=enterprise", "tag=vip&trait.company_size=51-200"} {
		code, body := e.admin("/v1/contacts?" + q)
		list, _ := body["contacts"].([]any)
		if code != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != id {
			t.Errorf("search %s: %d %v", q, code, body)
		}
	}
	if _, body := e.admin("/v1/contacts?tag=nobody"); len(body["contacts"].([]any)) != 0 {
		t.Errorf("search for a missing tag found %v", body["contacts"])
	}
	// Timeline pages.
	code, tl := e.admin("/v1/contacts/" + id + "/timeline?limit=2")
	if code != 200 || len(tl["events"].([]any)) != 2 || tl["next_before"] == nil {
		t.Fatalf("timeline page 1: %d %v", code, tl)
	}
	_, tl2 := e.admin("/v1/contacts/" + id + "/timeline?limit=2&before=" + url.QueryEscape(tl["next_before"].(string)))
	if len(tl2["events"].([]any)) != 1 || tl2["next_before"] != nil {
		t.Errorf("timeline page 2: %v", tl2)
	}
	seen := map[any]bool{}
	for _, ev := range append(tl["events"].([]any), tl2["events"].([]any)...) {
		seen[ev.(map[string]any)["messageId"]] = true
	}
	if len(seen) != 3 {
		t.Errorf("pages overlap or skip: %v", seen)
	}
	// Export has everything.
	code, ex := e.admin("/v1/contacts/" + id + "/export")
	if code != 200 || len(ex["events"].([]any)) != 3 || ex["contact"].(map[string]any)["email"] != "ops@example.org" {
		t.Errorf("export: %d %v", code, ex)
	}
	raw, _ := json.Marshal(ex["identities"])
	for _, want := range []string{"ops-1", "u-ops", "ops@example.org"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("export identities %s lack %s", raw, want)
		}
	}
	// Erasure removes profile, events and identity links.
	if code, body := e.adminDo("DELETE", "/v1/contacts/"+id, ""); code != 200 || body["erased"] != true {
		t.Fatalf("erase: %d %v", code, body)
	}
	if code, _ := e.admin("/v1/contacts/" + id); code != 404 {
		t.Errorf("erased contact still answers: %d", code)
	}
	for _, q := range []string{"anonymous_id=ops-1", "user_id=u-ops", "email=ops@example.org"} {
		if _, body := e.admin("/v1/contacts?" + q); len(body["contacts"].([]any)) != 0 {
			t.Errorf("identity %s still resolves after erasure", q)
		}
	}
	if code, _ := e.admin("/v1/contacts/" + id + "/export"); code != 404 {
		t.Errorf("export after erasure: %d", code)
	}
}

func TestInterestRulesChangeAtRuntime(t *testing.T) {
	e := newEnv(t)
	code, body := e.admin("/v1/interests")
	if code != 200 || body["source"] != "repo" || len(body["rules"].([]any)) == 0 {
		t.Fatalf("GET interests: %d %v", code, body)
	}
	if code, body := e.adminDo("PUT", "/v1/interests", `{"rules":[{"interest":"Bad Name","path_prefix":"/x"}]}`); code != 400 {
		t.Errorf("invalid rules accepted: %d %v", code, body)
	}
	if code, body := e.adminDo("PUT", "/v1/interests", `{"rules":[{"interest":"widgets","path_prefix":"/widgets"}]}`); code != 200 {
		t.Fatalf("PUT interests: %d %v", code, body)
	}
	if _, body := e.admin("/v1/interests"); body["source"] != "api" {
		t.Errorf("source after PUT %v", body["source"])
	}
	// The processor caches rules for a minute; this platform's processor
	// has not read them yet, so the new rules apply to the first batch.
	e.track(`{"batch":[{"type":"page","anonymousId":"widget-fan","context":{"page":{"url":"https://x.test/widgets/blue"}}},{"type":"page","anonymousId":"widget-fan","context":{"page":{"url":"https://x.test/pricing"}}}]}`)
	c := e.waitContact("widget-fan", 2)
	interests, _ := c["interests"].(map[string]any)
	if interests["widgets"] != float64(1) || interests["pricing"] != nil {
		t.Errorf("interests %v, want only the runtime rules", interests)
	}
}

func TestPublicEndpointsRejectBadTraits(t *testing.T) {
	e := newEnv(t)
	for i, body := range []string{
		`{"batch":[{"type":"identify","anonymousId":"bad-traits","traits":{"name":"<script>alert(1)</script>"}}]}`,
		`{"batch":[{"type":"identify","anonymousId":"bad-traits","traits":{"email":"not an email"}}]}`,
		`{"batch":[{"type":"identify","anonymousId":"bad-traits","traits":{"bio":"` + strings.Repeat("x", 3000) + `"}}]}`,
	} {
		code, resp, _ := e.do("POST", "/v1/batch", body, map[string]string{"X-Site-Key": siteKey})
		if errObj, _ := resp["error"].(map[string]any); code != 400 || errObj["code"] != "invalid_traits" {
			t.Errorf("case %d: %d %v", i, code, resp)
		}
	}
	e.settle()
	if _, body := e.admin("/v1/contacts?anonymous_id=bad-traits"); len(body["contacts"].([]any)) != 0 {
		t.Error("a rejected identify stored a contact")
	}
}
