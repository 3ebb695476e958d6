package scoring

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestValidModel(t *testing.T) {
	if err := testModel().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateFindsEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Model)
		want   string
	}{
		{"bad id", func(m *Model) { m.Engagement[0].ID = "Pricing Page" }, "lower-case"},
		{"id shared by two kinds", func(m *Model) { m.Fit[0].ID = "pricing" }, `id "pricing" is also used by engagement[0]`},
		{"zero points", func(m *Model) { m.Engagement[0].Points = 0 }, "must not be 0"},
		{"huge points", func(m *Model) { m.Fit[0].Points = 5000 }, "outside"},
		{"no event", func(m *Model) { m.Engagement[3].Event = " " }, "event must be"},
		{"cap on negative points", func(m *Model) { m.Engagement[2].Cap = &Cap{Points: 10, Period: Week} }, "never capped"},
		{"cap not positive", func(m *Model) { m.Engagement[0].Cap.Points = 0 }, "cap.points must be positive"},
		{"cap below points", func(m *Model) { m.Engagement[0].Cap.Points = 5 }, "every event would be cut"},
		{"bad period", func(m *Model) { m.Engagement[0].Cap.Period = "fortnight" }, "day, week or month"},
		{"bad filter", func(m *Model) { m.Engagement[0].Filters[0].Op = "like" }, "engagement[0].filters[0]: unknown op"},
		{"fit on a message field", func(m *Model) { m.Fit[0].Conditions[0].Field = "properties.title" }, "fit[0].conditions[0]: unknown profile field"},
		{"fit without conditions", func(m *Model) { m.Fit[1].Conditions = nil }, "at least one condition"},
		{"regex does not compile", func(m *Model) { m.Fit[0].Conditions[0].Value = "(vp" }, "missing closing )"},
		{"negative half-life", func(m *Model) { m.HalfLifeDays = -3 }, "half_life_days"},
		{"tiny half-life", func(m *Model) { m.HalfLifeDays = 0.01 }, "half_life_days"},
		{"NaN half-life", func(m *Model) { m.HalfLifeDays = math.NaN() }, "must be a number"},
		{"too many conditions", func(m *Model) {
			for range 21 {
				m.Fit[0].Conditions = append(m.Fit[0].Conditions, Condition{Field: "email", Op: OpExists})
			}
		}, "at most 20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testModel()
			tc.mutate(&m)
			err := m.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want a ValidationError mentioning %q", err, tc.want)
			}
			if _, err := NewEngine(m); err == nil {
				t.Error("NewEngine accepted an invalid model")
			}
		})
	}

	// All problems at once, not the first.
	m := testModel()
	m.Engagement[0].Points = 0
	m.Fit[0].ID = "BAD"
	m.HalfLifeDays = -1
	var ve *ValidationError
	if err := m.Validate(); !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Errorf("want 3 problems, got %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	a := testModel()
	b := testModel()
	b.Version = "hand-written"
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("Version takes part in the fingerprint")
	}
	// Same content through JSON (map order, layout) hashes the same.
	raw, _ := json.MarshalIndent(a, "", "    ")
	var c Model
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.Fingerprint() != a.Fingerprint() {
		t.Error("a JSON round trip changed the fingerprint")
	}
	b.Engagement[0].Points++
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("a changed rule kept the fingerprint")
	}
	e, _ := NewEngine(b)
	if e.Version() != b.Fingerprint() || e.Model().Version != e.Version() {
		t.Error("NewEngine does not stamp the version")
	}
	if len(a.Fingerprint()) != 16 {
		t.Errorf("fingerprint %q", a.Fingerprint())
	}
}

func TestFieldLists(t *testing.T) {
	got := fmt.Sprint(MessageFields(), FactFields())
	for _, f := range []string{"properties.*", "page.path", "traits.*", "company.size_band", "location.country", "interests.*"} {
		if !strings.Contains(got, f) {
			t.Errorf("field lists lack %s: %s", f, got)
		}
	}
}
