package runner_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/definitions"
)

func TestScoreExplainedAndStagesMove(t *testing.T) {
	e := newEnv(t)
	e.track(`{"batch":[
	 {"type":"identify","messageId":"s1","anonymousId":"scored-1","traits":{"email":"cto@bigcorp.example","title":"VP Engineering","employees":2000},"context":{"location":{"country":"US"}}},
	 {"type":"page","messageId":"s2","anonymousId":"scored-1","context":{"page":{"url":"https://x.test/pricing","path":"/pricing"}}},
	 {"type":"page","messageId":"s3","anonymousId":"scored-1","context":{"page":{"url":"https://x.test/pricing/enterprise","path":"/pricing/enterprise"}}},
	 {"type":"page","messageId":"s4","anonymousId":"scored-1","context":{"page":{"url":"https://x.test/pricing","path":"/pricing"}}},
	 {"type":"track","messageId":"s5","anonymousId":"scored-1","event":"Demo Requested"}]}`)
	c := e.waitContact("scored-1", 5)
	id := c["id"].(string)
	if c["stage"] != "mql" {
		t.Fatalf("stage %v, want mql", c["stage"])
	}
	score, _ := c["score"].(map[string]any)
	if score["total"].(float64) <= 0 || score["fit"].(float64) <= 0 {
		t.Errorf("score %v", c["score"])
	}
	code, sv := e.admin("/v1/contacts/" + id + "/score")
	if code != 200 {
		t.Fatalf("GET score: %d %v", code, sv)
	}
	if sv["stale"] != false || sv["stage"] != "mql" || len(sv["stage_history"].([]any)) == 0 {
		t.Errorf("score view %v", sv)
	}
	var pricing, capped int
	for _, h := range sv["history"].([]any) {
		entry := h.(map[string]any)
		if entry["rule_id"] == "pricing-page" {
			pricing++
			if !strings.HasPrefix(entry["event"].(string), "page /pricing") {
				t.Errorf("history entry names %v", entry["event"])
			}
			if entry["capped"] == true {
				capped++
			}
			if _, ok := entry["current_points"].(float64); !ok {
				t.Errorf("history entry without decayed value: %v", entry)
			}
		}
	}
	if pricing != 3 || capped != 1 {
		t.Errorf("pricing history entries %d (capped %d), want 3 with 1 capped", pricing, capped)
	}
	found := false
	for _, b := range sv["breakdown"].([]any) {
		if b.(map[string]any)["rule_id"] == "pricing-page" {
			found = true
		}
	}
	if !found {
		t.Errorf("breakdown lacks pricing-page: %v", sv["breakdown"])
	}

	// Stages move forward by rules only; an admin may move them back.
	if code, body := e.adminDo("PUT", "/v1/contacts/"+id+"/stage", `{"stage":"lead","reason":"not ready yet"}`); code != 200 || body["stage"] != "lead" {
		t.Errorf("explicit move back: %d %v", code, body)
	}
	if code, body := e.adminDo("PUT", "/v1/contacts/"+id+"/stage", `{"stage":"wizard"}`); code != 400 {
		t.Errorf("unknown stage: %d %v", code, body)
	}
}

func TestChangingTheModelRescoresInTheBackground(t *testing.T) {
	e := newEnv(t)
	e.track(`{"batch":[{"type":"identify","messageId":"r1","anonymousId":"rescore-1","traits":{"email":"a@corp.example"}},
	 {"type":"page","messageId":"r2","anonymousId":"rescore-1","context":{"page":{"url":"https://x.test/docs","path":"/docs"}}}]}`)
	c := e.waitContact("rescore-1", 2)
	id := c["id"].(string)
	_, before := e.admin("/v1/contacts/" + id + "/score")

	m, err := definitions.Scoring()
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Engagement {
		if m.Engagement[i].ID == "docs-view" {
			m.Engagement[i].Points = 40
			m.Engagement[i].Cap = nil
		}
	}
	body, _ := json.Marshal(m)
	code, resp := e.adminDo("PUT", "/v1/scoring", string(body))
	if code != 200 || resp["rescoring"] != true {
		t.Fatalf("PUT scoring: %d %v", code, resp)
	}
	if code, resp := e.adminDo("PUT", "/v1/scoring", `{"engagement":[{"id":"x","event":"page","points":1,"filters":[{"field":"nope","op":"eq","value":1}]}]}`); code != 400 {
		t.Errorf("invalid model accepted: %d %v", code, resp)
	}
	// The jobs function re-scores the contact without any new event.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, sv := e.admin("/v1/contacts/" + id + "/score")
		if sv["stale"] == false && sv["model_version"] != before["model_version"] {
			var docs float64
			for _, b := range sv["breakdown"].([]any) {
				if b.(map[string]any)["rule_id"] == "docs-view" {
					docs = b.(map[string]any)["points"].(float64)
				}
			}
			if docs < 39 || docs > 40.01 {
				t.Errorf("docs-view after re-score %v, want 40 once (never 3+40)", docs)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("contact was never re-scored under the new model")
}
