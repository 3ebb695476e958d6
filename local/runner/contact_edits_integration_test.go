package runner_test

import (
	"testing"

	"github.com/leadflow/leadflow/shared/catalog"
)

// TestContactEditsNameTheSignedInUser: a stage change made from the console
// is recorded under the person who made it (the email in their token), in
// the contact's stage history and in the audit log, not as a generic
// "admin"; the machine token keeps its configured name.
func TestContactEditsNameTheSignedInUser(t *testing.T) {
	e := newEnv(t)
	email, tok, _ := consoleUser(t, catalog.RoleMarketer)
	e.track(`{"batch":[{"type":"identify","messageId":"edits-1","anonymousId":"edits-1","traits":{"email":"edits@acme.test"}}]}`)
	id := e.waitContact("edits-1", 1)["id"].(string)

	if code, body := e.as(tok, "PUT", "/v1/contacts/"+id+"/stage", `{"stage":"mql","reason":"asked for a demo"}`); code != 200 {
		t.Fatalf("stage change: %d %v", code, body)
	}
	if code, body := e.as(tok, "POST", "/v1/contacts/"+id+"/tags", `{"tags":["vip"]}`); code != 200 {
		t.Fatalf("add tag: %d %v", code, body)
	}
	if code, body := e.adminDo("PUT", "/v1/contacts/"+id+"/stage", `{"stage":"sql","reason":"script"}`); code != 200 {
		t.Fatalf("stage change with the admin token: %d %v", code, body)
	}
	_, c := e.as(tok, "GET", "/v1/contacts/"+id, "")
	hist, _ := c["stage_history"].([]any)
	if len(hist) != 2 {
		t.Fatalf("stage history: %v, want two moves", c["stage_history"])
	}
	if h := hist[0].(map[string]any); h["to"] != "mql" || h["by"] != email || h["reason"] != "asked for a demo" {
		t.Errorf("the marketer's move: %v, want by %s", h, email)
	}
	if h := hist[1].(map[string]any); h["to"] != "sql" || h["by"] != "admin" {
		t.Errorf("the admin token's move: %v, want by admin", h)
	}

	_, page := e.as(tok, "GET", "/v1/audit?kind=contacts&limit=50", "")
	actions := map[string]bool{}
	for _, x := range page["entries"].([]any) {
		en := x.(map[string]any)
		if en["target"] != id || en["actor"] != email {
			continue
		}
		if en["role"] != "marketer" {
			t.Errorf("audit entry %v: role %v, want marketer", en["action"], en["role"])
		}
		actions[en["action"].(string)] = true
	}
	for _, want := range []string{"PUT /v1/contacts/{id}/stage", "POST /v1/contacts/{id}/tags"} {
		if !actions[want] {
			t.Errorf("audit log has no %q on %s by %s: %v", want, id, email, page["entries"])
		}
	}
}
