package runner_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestValidateAndDraftPreviewChangeNothing: the validate route places a
// template's problem in its part and a JSON one in the text; the preview
// renders a draft; neither saves anything.
func TestValidateAndDraftPreviewChangeNothing(t *testing.T) {
	e := newEnv(t)
	_, before := e.adminDo("GET", "/v1/definitions/templates/welcome", "")
	tpl, _ := before["definition"].(map[string]any)
	if tpl == nil {
		t.Fatalf("GET welcome: %v", before)
	}

	broken := map[string]any{}
	for k, v := range tpl {
		broken[k] = v
	}
	broken["html"] = "<p>Hi</p>\n<p>{{ contact.nope }}</p>\n" + tpl["html"].(string)
	body, _ := json.Marshal(broken)
	code, v := e.adminDo("POST", "/v1/definitions/templates/welcome/validate", string(body))
	ps, _ := v["problems"].([]any)
	if code != 200 || v["valid"] != false || len(ps) == 0 {
		t.Fatalf("validate broken template: %d %v", code, v)
	}
	p := ps[0].(map[string]any)
	if p["in"] != "html" || p["line"] != float64(2) || p["column"] != float64(7) {
		t.Errorf("problem %v, want in html at 2:7", p)
	}

	code, v = e.adminDo("POST", "/v1/definitions/topics/default/validate", "{\n  \"topics\": [\n    {\"id\": \"x\" \"name\": \"N\"}\n  ]\n}")
	ps, _ = v["problems"].([]any)
	if code != 200 || v["valid"] != false || len(ps) != 1 || ps[0].(map[string]any)["line"] != float64(3) {
		t.Errorf("validate broken topics: %d %v, want one problem on line 3", code, v)
	}

	draft := map[string]any{}
	for k, v := range tpl {
		draft[k] = v
	}
	draft["subject"] = "Draft for {{ contact.email }}"
	raw, _ := json.Marshal(map[string]any{"template": draft})
	code, v = e.adminDo("POST", "/v1/templates/welcome/preview", string(raw))
	if code != 200 || !strings.HasPrefix(v["subject"].(string), "Draft for ") {
		t.Errorf("draft preview: %d %v, want the draft's subject", code, v)
	}
	raw, _ = json.Marshal(map[string]any{"template": broken})
	code, v = e.adminDo("POST", "/v1/templates/welcome/preview", string(raw))
	if errObj, _ := v["error"].(map[string]any); code != 422 || errObj["code"] != "invalid_template" {
		t.Errorf("broken draft preview: %d %v, want 422 invalid_template", code, v)
	}

	_, after := e.adminDo("GET", "/v1/definitions/templates/welcome", "")
	if after["version"] != before["version"] || after["etag"] != before["etag"] {
		t.Errorf("validate or preview changed the template: version %v → %v", before["version"], after["version"])
	}
	_, vs := e.adminDo("GET", "/v1/definitions/topics/default/versions", "")
	if n := len(vs["versions"].([]any)); n != 0 {
		t.Errorf("validating topics saved %d versions", n)
	}
}
