package runner_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/definitions/registrytest"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/token"
)

// defDo is an admin call with an optional If-Match, returning the ETag.
func (e *env) defDo(method, path, body, ifMatch string) (int, map[string]any, string) {
	e.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + adminToken}
	if ifMatch != "" {
		h["If-Match"] = ifMatch
	}
	code, out, hdr := e.do(method, path, body, h)
	return code, out, hdr.Get("ETag")
}

// defLifecycle takes one definition of a kind through the admin API: read
// (repo), override through the kind's own route with If-Match, effect (the
// consuming function sees the change), a stale If-Match refused, drift,
// versions, delete (the repo's back, a second delete is 409) and restore
// of version 1.
func (e *env) defLifecycle(kind definition.Kind, id, ownPath string, edit func(map[string]any), effect func()) {
	t := e.t
	t.Helper()
	common := "/v1/definitions/" + string(kind) + "/" + id
	code, got, repoTag := e.defDo("GET", common, "", "")
	if code != 200 || got["source"] != "repo" || got["version"] != 0.0 || repoTag == "" || got["etag"] != repoTag {
		t.Fatalf("GET %s = %d %v (ETag %q)", common, code, got, repoTag)
	}
	if code, own, tag := e.defDo("GET", ownPath, "", ""); code != 200 || own["source"] != "repo" || tag != repoTag {
		t.Fatalf("GET %s = %d %v (ETag %q)", ownPath, code, own, tag)
	}
	body := map[string]any{}
	raw, _ := json.Marshal(got["definition"])
	_ = json.Unmarshal(raw, &body)
	if edit != nil {
		edit(body)
	} else {
		raw = registrytest.Edited(t, kind, raw)
		_ = json.Unmarshal(raw, &body)
	}
	edited, _ := json.Marshal(body)

	code, saved, tag1 := e.defDo("PUT", ownPath, string(edited), repoTag)
	if code/100 != 2 || saved["source"] != "api" || saved["version"] != 1.0 || saved["updated_by"] != "admin" || tag1 == "" || tag1 == repoTag {
		t.Fatalf("PUT %s = %d %v (ETag %q)", ownPath, code, saved, tag1)
	}
	if effect != nil {
		effect()
	}

	if code, resp, _ := e.defDo("PUT", ownPath, string(edited), repoTag); code != 412 {
		t.Errorf("PUT with a stale If-Match = %d %v, want 412", code, resp)
	}
	if code, resp, _ := e.defDo("DELETE", common, "", repoTag); code != 412 {
		t.Errorf("DELETE with a stale If-Match = %d %v, want 412", code, resp)
	}
	if _, now, tag := e.defDo("GET", common, "", ""); now["version"] != 1.0 || tag != tag1 {
		t.Errorf("a refused write changed %s: %v", common, now)
	}

	_, drift, _ := e.defDo("GET", "/v1/definitions", "", "")
	found := false
	for _, k := range drift["kinds"].([]any) {
		km := k.(map[string]any)
		for _, d := range km["definitions"].([]any) {
			dm := d.(map[string]any)
			if km["kind"] == string(kind) && dm["id"] == id {
				found = dm["source"] == "api" && dm["differs_from_repo"] == true && dm["since"] != nil && dm["definition"] == nil
			}
		}
	}
	if !found {
		t.Errorf("drift does not show %s/%s as a differing override: %v", kind, id, drift)
	}

	code, vs, _ := e.defDo("GET", common+"/versions", "", "")
	list, _ := vs["versions"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["by"] != "admin" || !strings.HasPrefix(list[0].(map[string]any)["summary"].(string), "changed ") {
		t.Fatalf("versions = %d %v", code, vs)
	}
	code, v1, _ := e.defDo("GET", common+"/versions/1", "", "")
	if code != 200 || v1["version"] != 1.0 {
		t.Fatalf("version 1 = %d %v", code, v1)
	}

	if code, resp, _ := e.defDo("DELETE", common, "", tag1); code != 200 || resp["repo_restored"] != true {
		t.Fatalf("DELETE = %d %v", code, resp)
	}
	if _, back, _ := e.defDo("GET", ownPath, "", ""); back["source"] != "repo" || back["version"] != 2.0 {
		t.Errorf("after DELETE: %v", back)
	}
	if code, resp, _ := e.defDo("DELETE", common, "", ""); code != 409 {
		t.Errorf("DELETE of a repo-only definition = %d %v, want 409", code, resp)
	}

	// Restore: a PUT of version 1 as GET returned it.
	raw, _ = json.Marshal(v1)
	if code, resp, _ := e.defDo("PUT", common, string(raw), ""); code/100 != 2 || resp["version"] != 3.0 || resp["source"] != "api" {
		t.Fatalf("restore = %d %v", code, resp)
	}
	if _, vs, _ := e.defDo("GET", common+"/versions", "", ""); len(vs["versions"].([]any)) != 3 {
		t.Errorf("versions after restore: %v", vs)
	}
}

func TestFormsDefinitionThroughTheAdminAPI(t *testing.T) {
	e := newEnv(t)
	e.defLifecycle("forms", "newsletter", "/v1/forms/newsletter", func(m map[string]any) {
		m["thank_you_url"] = "https://example.com/edited-thanks"
	}, func() {
		// Ingest reads the form through the registry: the override is live.
		code, body, _ := e.formsJSON("newsletter", `{"email":"edited@example.com","consent":"on"}`, nil)
		if redirect, _ := body["redirect"].(string); code != 200 || !strings.HasPrefix(redirect, "https://example.com/edited-thanks") {
			t.Errorf("form fill after the override = %d %v", code, body)
		}
	})
}

func TestTemplatesDefinitionThroughTheAdminAPI(t *testing.T) {
	e := sendEnv(t, 20, 0)
	e.seedContacts(e.subscribed("c_def_tpl", "tina"))
	e.defLifecycle("templates", "welcome", "/v1/templates/welcome", nil, func() {
		// The sender compiles the override.
		code, body := e.postMessage(`{"contact_id":"c_def_tpl","template_id":"welcome","idempotency_key":"def-tpl-1"}`)
		if code != 202 {
			t.Fatalf("POST /v1/messages = %d %v", code, body)
		}
		e.waitSend(body["send_id"].(string), inState("sent", "delivered"))
		if ms := mailsTo(t, e.addr("tina")); len(ms) != 1 || !strings.HasSuffix(ms[0].Subject, "(edited)") {
			t.Errorf("mail after the override: %+v", ms)
		}
	})
}

func TestInterestsDefinitionThroughTheAdminAPI(t *testing.T) {
	e := newEnv(t)
	e.defLifecycle("interests", "default", "/v1/interests", nil, func() {
		e.track(`{"batch":[{"type":"page","anonymousId":"def-int","context":{"page":{"url":"https://x.test/edited/a"}}}]}`)
		if c := e.waitContact("def-int", 1); c["interests"].(map[string]any)["edited"] != 1.0 {
			t.Errorf("interests after the override: %v", c["interests"])
		}
	})
}

func TestScoringDefinitionThroughTheAdminAPI(t *testing.T) {
	e := newEnv(t)
	e.defLifecycle("scoring", "default", "/v1/scoring", nil, nil)
	// A model change through either route starts re-scoring.
	_, got, tag := e.defDo("GET", "/v1/scoring", "", "")
	model := got["model"].(map[string]any)
	model["half_life_days"] = model["half_life_days"].(float64) + 1
	raw, _ := json.Marshal(model)
	if code, resp, _ := e.defDo("PUT", "/v1/scoring", string(raw), tag); code != 200 || resp["rescoring"] != true || resp["model"].(map[string]any)["version"] == "" {
		t.Errorf("PUT /v1/scoring = %d %v", code, resp)
	}
}

func TestTopicsDefinitionThroughTheAdminAPI(t *testing.T) {
	e := newEnv(t)
	id := e.linksContact("def-topics", `{"email":"topics@example.com"}`)
	e.defLifecycle("topics", "default", "/v1/topics", nil, func() {
		path := "/v1/preferences/" + e.linksSigner().Sign(token.Token{Purpose: token.Preferences, ContactID: id})
		if code, _, page := e.linksFetch("GET", path, "", ""); code != 200 || !strings.Contains(page, "(edited)") {
			t.Errorf("preference centre after the override: %d\n%s", code, page)
		}
	})
}

func TestSendingDefinitionThroughTheAdminAPI(t *testing.T) {
	e := sendEnv(t, 20, 0)
	e.seedContacts(e.subscribed("c_def_snd", "sam"))
	e.defLifecycle("sending", "default", "/v1/sending", func(m map[string]any) {
		m["sender"].(map[string]any)["postal_address"] = "1 Edited Street, Testville"
	}, func() {
		code, body := e.postMessage(`{"contact_id":"c_def_snd","template_id":"welcome","idempotency_key":"def-snd-1"}`)
		if code != 202 {
			t.Fatalf("POST /v1/messages = %d %v", code, body)
		}
		e.waitSend(body["send_id"].(string), inState("sent", "delivered"))
		if ms := mailsTo(t, e.addr("sam")); len(ms) != 1 || !strings.Contains(ms[0].Body.Text, "1 Edited Street, Testville") {
			t.Errorf("mail after the override: %+v", ms)
		}
	})
}
