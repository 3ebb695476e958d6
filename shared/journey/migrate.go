package journey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// Journeys saved through the admin API before conditions became segment
// filters are stored in the journeys' own old condition language:
//
//	{"all": [c...]} {"any": [c...]} {"not": c}
//	{"score": {"gte": 50}}   (gt, gte, lt, lte, eq; the total score)
//	{"tag": "vip"} {"stage": "mql"} {"segment": "customers"} {"subscribed": true}
//	{"trait": "plan", "eq": "pro"} {"trait": "plan", "exists": true}
//	{"clicked": "<step id>"} {"opened": "<step id>"}
//
// Decoding a journey (the one path every reader and the validator share)
// rewrites such conditions to the equal segment filter and records each
// rewrite in Journey.Migrated, so a stored journey keeps running, a save
// stores the new form, and the admin API can show what changed. A form
// with no equal filter is refused by name instead of being guessed.

// Migration is one condition rewritten from the old syntax.
type Migration struct {
	// Step is the branch step ("" for a goal); Where names the case or goal.
	Step  string          `json:"step,omitempty"`
	Where string          `json:"where"`
	From  json.RawMessage `json:"from"`
	To    json.RawMessage `json:"to"`
}

// UnmarshalJSON decodes strictly (an unknown field is an error, as for
// every definition) and migrates old-syntax conditions.
func (j *Journey) UnmarshalJSON(b []byte) error {
	type plain Journey // no methods: no recursion
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the journey")
	}
	*j = Journey(p)
	j.migrate()
	return nil
}

// migrate rewrites old-syntax conditions in place; an old form it cannot
// rewrite becomes a problem Validate reports on its step.
func (j *Journey) migrate() {
	j.Migrated, j.unmigrated = nil, nil
	fix := func(step, where string, raw *json.RawMessage) {
		if len(*raw) == 0 {
			return
		}
		to, changed, err := MigrateCondition(*raw)
		if err != nil {
			j.unmigrated = append(j.unmigrated, Problem{Step: step, Message: where + ": " + err.Error()})
			return
		}
		if changed {
			j.Migrated = append(j.Migrated, Migration{Step: step, Where: where, From: *raw, To: to})
			*raw = to
		}
	}
	for i := range j.Steps {
		s := &j.Steps[i]
		if s.Branch == nil {
			continue
		}
		for ci := range s.Branch.Cases {
			fix(s.ID, "case "+strconv.Quote(s.Branch.Cases[ci].Name), &s.Branch.Cases[ci].Condition)
		}
	}
	for gi := range j.Goals {
		fix("", "goal "+strconv.Quote(j.Goals[gi].Name), &j.Goals[gi].Condition)
	}
}

// MigrateCondition returns a condition in the segment filter language: raw
// itself when it already is one (changed false), or the old syntax
// rewritten to the equal filter. An old form with no equal filter is an
// error naming it; anything else keeps the validator's own verdict.
func MigrateCondition(raw json.RawMessage) (json.RawMessage, bool, error) {
	if _, err := ParseCondition(raw); err == nil {
		return raw, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw, false, nil // not JSON: the validator says so
	}
	out, changed, err := migrateNode(v)
	if err != nil {
		return raw, false, err
	}
	if !changed {
		return raw, false, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return raw, false, fmt.Errorf("migrate condition: %w", err)
	}
	if _, err := ParseCondition(b); err != nil {
		// Partly old, partly neither language: leave it to the validator,
		// which names the problem in the original.
		return raw, false, nil
	}
	return b, true, nil
}

// errOldForm names an old-syntax form that has no equal filter.
func errOldForm(node map[string]any, why string) error {
	b, _ := json.Marshal(node)
	return fmt.Errorf("old condition %s cannot be migrated: %s", b, why)
}

var oldScoreOps = map[string]string{"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "eq": "equals"}

// migrateNode rewrites one node (and its children) of the old syntax.
func migrateNode(v any) (any, bool, error) {
	node, ok := v.(map[string]any)
	if !ok {
		return v, false, nil
	}
	keys := make([]string, 0, len(node))
	for k := range node {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	only := func(ks ...string) bool {
		for _, k := range keys {
			found := false
			for _, want := range ks {
				found = found || k == want
			}
			if !found {
				return false
			}
		}
		return true
	}
	str := func(k string) (string, bool) {
		s, ok := node[k].(string)
		return s, ok && s != ""
	}
	switch {
	case len(keys) == 1 && (keys[0] == "all" || keys[0] == "any"):
		list, ok := node[keys[0]].([]any)
		if !ok {
			return v, false, nil
		}
		out := make([]any, len(list))
		changed := false
		for i, c := range list {
			m, ch, err := migrateNode(c)
			if err != nil {
				return v, false, err
			}
			out[i], changed = m, changed || ch
		}
		return map[string]any{keys[0]: out}, changed, nil
	case len(keys) == 1 && keys[0] == "not":
		m, ch, err := migrateNode(node["not"])
		if err != nil {
			return v, false, err
		}
		return map[string]any{"not": m}, ch, nil
	case len(keys) == 1 && keys[0] == "score":
		cmp, ok := node["score"].(map[string]any)
		if !ok || len(cmp) != 1 {
			return v, false, nil
		}
		for op, val := range cmp {
			newOp, ok := oldScoreOps[op]
			n, isNum := val.(json.Number)
			if !ok || !isNum {
				return v, false, nil // the new form, or neither: the validator decides
			}
			return map[string]any{"score": map[string]any{"kind": "total", "op": newOp, "value": n}}, true, nil
		}
	case len(keys) == 1 && keys[0] == "stage":
		if s, ok := str("stage"); ok {
			return map[string]any{"stage": map[string]any{"in": []any{s}}}, true, nil
		}
	case len(keys) == 1 && keys[0] == "subscribed":
		want, ok := node["subscribed"].(bool)
		if !ok {
			return v, false, errOldForm(node, "subscribed takes true or false")
		}
		sub := map[string]any{"status": map[string]any{"in": []any{"subscribed"}}}
		if want {
			return sub, true, nil
		}
		return map[string]any{"not": sub}, true, nil
	case len(keys) == 1 && (keys[0] == "clicked" || keys[0] == "opened"):
		step, ok := str(keys[0])
		if !ok {
			return v, false, errOldForm(node, keys[0]+" names an email step")
		}
		return map[string]any{"journey_email": map[string]any{"action": keys[0], "step": step}}, true, nil
	case node["trait"] != nil && only("trait", "eq", "exists"):
		name, ok := str("trait")
		if !ok {
			return v, false, nil // {"trait": {...}}: the new form
		}
		eq, hasEq := node["eq"]
		ex, hasEx := node["exists"]
		switch {
		case hasEq == hasEx:
			return v, false, errOldForm(node, "a trait condition takes eq or exists (one of them)")
		case hasEq:
			return map[string]any{"trait": map[string]any{"key": name, "op": "equals", "value": eq}}, true, nil
		case ex == true:
			return map[string]any{"trait": map[string]any{"key": name, "op": "exists"}}, true, nil
		default:
			// The old language tested presence whatever the value said, so
			// {"exists": false} meant "is set": either rewrite would change
			// what a stored journey does without anyone deciding it.
			return v, false, errOldForm(node, `the old language read "exists": false as "is set"; write {"trait": {"key": "`+name+`", "op": "exists"}} or "op": "not_exists"`)
		}
	}
	return v, false, nil
}
