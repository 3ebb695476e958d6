package journey

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestMigrateCondition: every form of the old condition language becomes
// the equal segment filter, which then answers as the old one did.
func TestMigrateCondition(t *testing.T) {
	type probe struct {
		c     Contact
		run   *Run
		holds bool
	}
	pro := Contact{ID: "c", Traits: map[string]any{"plan": "pro", "seats": float64(5)}}
	tests := []struct {
		name, old, want string
		probes          []probe
	}{
		{"score gte", `{"score":{"gte":50}}`, `{"score":{"kind":"total","op":"gte","value":50}}`,
			[]probe{{Contact{Score: 50}, nil, true}, {Contact{Score: 49}, nil, false}}},
		{"score gt", `{"score":{"gt":50}}`, `{"score":{"kind":"total","op":"gt","value":50}}`,
			[]probe{{Contact{Score: 51}, nil, true}, {Contact{Score: 50}, nil, false}}},
		{"score lt", `{"score":{"lt":10}}`, `{"score":{"kind":"total","op":"lt","value":10}}`,
			[]probe{{Contact{Score: 9}, nil, true}, {Contact{Score: 10}, nil, false}}},
		{"score lte", `{"score":{"lte":10}}`, `{"score":{"kind":"total","op":"lte","value":10}}`,
			[]probe{{Contact{Score: 10}, nil, true}, {Contact{Score: 11}, nil, false}}},
		{"score eq", `{"score":{"eq":7}}`, `{"score":{"kind":"total","op":"equals","value":7}}`,
			[]probe{{Contact{Score: 7}, nil, true}, {Contact{Score: 8}, nil, false}}},
		{"stage", `{"stage":"mql"}`, `{"stage":{"in":["mql"]}}`,
			[]probe{{Contact{Stage: "mql"}, nil, true}, {Contact{Stage: "lead"}, nil, false}}},
		{"subscribed true", `{"subscribed":true}`, `{"status":{"in":["subscribed"]}}`,
			[]probe{{Contact{Status: "subscribed"}, nil, true}, {Contact{Status: "pending"}, nil, false}}},
		{"subscribed false", `{"subscribed":false}`, `{"not":{"status":{"in":["subscribed"]}}}`,
			[]probe{{Contact{Status: "unsubscribed"}, nil, true}, {Contact{Status: "subscribed"}, nil, false}}},
		{"trait eq", `{"trait":"plan","eq":"pro"}`, `{"trait":{"key":"plan","op":"equals","value":"pro"}}`,
			[]probe{{pro, nil, true}, {Contact{Traits: map[string]any{"plan": "free"}}, nil, false}}},
		{"trait eq number", `{"trait":"seats","eq":5}`, `{"trait":{"key":"seats","op":"equals","value":5}}`,
			[]probe{{pro, nil, true}, {Contact{Traits: map[string]any{"seats": float64(6)}}, nil, false}}},
		{"trait exists", `{"trait":"plan","exists":true}`, `{"trait":{"key":"plan","op":"exists"}}`,
			[]probe{{pro, nil, true}, {Contact{}, nil, false}}},
		{"clicked", `{"clicked":"welcome-mail"}`, `{"journey_email":{"action":"clicked","step":"welcome-mail"}}`,
			[]probe{{Contact{}, &Run{Clicked: []string{"welcome-mail"}}, true}, {Contact{}, &Run{Opened: []string{"welcome-mail"}}, false}}},
		{"opened (a click counts)", `{"opened":"welcome-mail"}`, `{"journey_email":{"action":"opened","step":"welcome-mail"}}`,
			[]probe{{Contact{}, &Run{Clicked: []string{"welcome-mail"}}, true}, {Contact{}, &Run{}, false}}},
		{"all, any, not with old and new nodes", `{"all":[{"tag":"vip"},{"any":[{"stage":"mql"},{"not":{"score":{"lt":20}}}]}]}`,
			`{"all":[{"tag":"vip"},{"any":[{"stage":{"in":["mql"]}},{"not":{"score":{"kind":"total","op":"lt","value":20}}}]}]}`,
			[]probe{{Contact{Tags: []string{"vip"}, Score: 25}, nil, true}, {Contact{Tags: []string{"vip"}, Score: 5}, nil, false}, {Contact{Stage: "mql"}, nil, false}}},
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := MigrateCondition(json.RawMessage(tc.old))
			if err != nil || !changed {
				t.Fatalf("MigrateCondition(%s) = changed %v, err %v", tc.old, changed, err)
			}
			if string(got) != tc.want {
				t.Fatalf("MigrateCondition(%s)\n got %s\nwant %s", tc.old, got, tc.want)
			}
			cond, err := CompileCondition(got)
			if err != nil {
				t.Fatalf("migrated condition does not compile: %v", err)
			}
			for _, p := range tc.probes {
				c := p.c
				if h := cond.Holds(&c, p.run, now); h != p.holds {
					t.Errorf("%s on %+v (run %+v) = %v, want %v", got, p.c, p.run, h, p.holds)
				}
			}
		})
	}
}

// TestMigrateConditionLeavesOthers: a segment filter is not touched, and
// a condition in neither language is left for the validator to name.
func TestMigrateConditionLeavesOthers(t *testing.T) {
	for _, raw := range []string{`{"tag":"vip"}`, `{"score":{"kind":"fit","op":"gte","value":3}}`, `{"stage":{"in":["mql"]}}`, `{"moon":"full"}`, `{"score":{"above":3}}`, `{"all":[{"stage":"mql"},{"moon":1}]}`} {
		got, changed, err := MigrateCondition(json.RawMessage(raw))
		if err != nil || changed || string(got) != raw {
			t.Errorf("MigrateCondition(%s) = %s, %v, %v; want it unchanged", raw, got, changed, err)
		}
	}
}

// TestMigrateConditionRefuses: old forms with no equal filter are refused
// by name.
func TestMigrateConditionRefuses(t *testing.T) {
	tests := map[string]string{
		`{"trait":"plan","exists":false}`:           `old condition {"exists":false,"trait":"plan"} cannot be migrated: the old language read "exists": false as "is set"`,
		`{"trait":"plan","eq":"pro","exists":true}`: `a trait condition takes eq or exists (one of them)`,
		`{"not":{"subscribed":"yes"}}`:              `old condition {"subscribed":"yes"} cannot be migrated: subscribed takes true or false`,
		`{"any":[{"tag":"x"},{"clicked":""}]}`:      `old condition {"clicked":""} cannot be migrated`,
		`{"all":[{"trait":"plan","exists":false}]}`: `"exists": false`,
	}
	for raw, want := range tests {
		_, _, err := MigrateCondition(json.RawMessage(raw))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("MigrateCondition(%s) err = %v, want it to say %q", raw, err, want)
		}
	}
}

// TestDecodeMigratesStoredJourney: a journey stored in the old syntax
// decodes (the one path the registry, the library and the admin API
// share) into one that validates and runs, with each rewrite reported,
// and saves in the new syntax.
func TestDecodeMigratesStoredJourney(t *testing.T) {
	old := base(signup, `{}`, `[{"id":"a","kind":"email","email":{"template":"t"},"next":"b"},`+
		`{"id":"b","kind":"branch","branch":{"cases":[{"name":"clicked","condition":{"clicked":"a"},"next":"x"}],"else":"x"}},{"id":"x","kind":"exit"}]`,
		`"goals":[{"name":"paid","condition":{"trait":"plan","eq":"pro"}}]`)
	j := parse(t, old)
	if err := j.Validate(); err != nil {
		t.Fatalf("migrated journey: %v", err)
	}
	if len(j.Migrated) != 2 || j.Migrated[0].Step != "b" || j.Migrated[0].Where != `case "clicked"` || string(j.Migrated[0].From) != `{"clicked":"a"}` ||
		j.Migrated[1].Where != `goal "paid"` || string(j.Migrated[1].To) != `{"trait":{"key":"plan","op":"equals","value":"pro"}}` {
		t.Fatalf("migrations = %+v", j.Migrated)
	}
	if _, err := Compile(j, 3); err != nil {
		t.Fatalf("compile: %v", err)
	}
	saved, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(saved), `"clicked":"a"`) || !strings.Contains(string(saved), `"journey_email":{"action":"clicked","step":"a"}`) {
		t.Fatalf("saved form still old: %s", saved)
	}
	again := parse(t, string(saved))
	if len(again.Migrated) != 0 {
		t.Fatalf("a saved journey migrated again: %+v", again.Migrated)
	}
	// Decoding stays strict.
	var bad Journey
	if err := json.Unmarshal([]byte(strings.Replace(old, `"start"`, `"moon":1,"start"`, 1)), &bad); err == nil {
		t.Fatal("an unknown field was accepted")
	}
	// An old form with no equal filter is a validation problem on its step.
	j = parse(t, strings.Replace(old, `{"clicked":"a"}`, `{"trait":"plan","exists":false}`, 1))
	err = j.Validate()
	var ps Problems
	if !errors.As(err, &ps) || !errors.Is(err, ErrInvalid) || ps[0].Step != "b" || !strings.Contains(ps[0].Message, `case "clicked": old condition`) {
		t.Fatalf("err = %v", err)
	}
}
