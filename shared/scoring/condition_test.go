package scoring

import (
	"strings"
	"testing"

	"github.com/leadflow/leadflow/shared/enrich"
	"github.com/leadflow/leadflow/shared/tracking"
)

func TestConditionOnMessage(t *testing.T) {
	msg := tracking.Message{
		Type: tracking.TypeTrack, Event: "Plan Viewed", Name: "Pricing",
		Properties: map[string]any{
			"plan": "Enterprise", "seats": 25.0, "amount": "199.5", "trial": true,
			"tags": []any{"b2b", "Annual"}, "nested": map[string]any{"tier": "gold"}, "nothing": nil, "empty": "",
		},
		Traits: map[string]any{"phone": "+1 555"},
		Context: tracking.Context{
			Page:     &tracking.Page{URL: "https://leadflow.example/pricing/enterprise?x=1", Title: "Pricing", Referrer: "https://google.com/"},
			Campaign: &tracking.Campaign{Source: "google", Medium: "cpc"},
		},
	}
	tests := []struct {
		name string
		c    Condition
		want bool
	}{
		{"eq string ignores case", Condition{"properties.plan", OpEq, "enterprise"}, true},
		{"eq string differs", Condition{"properties.plan", OpEq, "team"}, false},
		{"neq", Condition{"properties.plan", OpNeq, "team"}, true},
		{"neq same", Condition{"properties.plan", OpNeq, "ENTERPRISE"}, false},
		{"neq on missing is false", Condition{"properties.absent", OpNeq, "team"}, false},
		{"eq number", Condition{"properties.seats", OpEq, 25.0}, true},
		{"eq number as string", Condition{"properties.seats", OpEq, "25"}, true},
		{"eq numeric string as number", Condition{"properties.amount", OpEq, 199.5}, true},
		{"eq bool", Condition{"properties.trial", OpEq, true}, true},
		{"eq bool false", Condition{"properties.trial", OpEq, false}, false},
		{"in", Condition{"properties.plan", OpIn, []any{"team", "enterprise"}}, true},
		{"in misses", Condition{"properties.plan", OpIn, []any{"team", "pro"}}, false},
		{"in numbers", Condition{"properties.seats", OpIn, []any{10.0, 25.0}}, true},
		{"contains ignores case", Condition{"properties.plan", OpContains, "PRISE"}, true},
		{"contains misses", Condition{"properties.plan", OpContains, "team"}, false},
		{"prefix", Condition{"properties.plan", OpPrefix, "ent"}, true},
		{"prefix longer than value", Condition{"properties.plan", OpPrefix, "enterprise-plus"}, false},
		{"regex is case-sensitive as written", Condition{"properties.plan", OpRegex, "^enter"}, false},
		{"regex with (?i)", Condition{"properties.plan", OpRegex, "(?i)^enter"}, true},
		{"gt", Condition{"properties.seats", OpGt, 10.0}, true},
		{"gt equal is false", Condition{"properties.seats", OpGt, 25.0}, false},
		{"gte equal", Condition{"properties.seats", OpGte, 25.0}, true},
		{"lt", Condition{"properties.seats", OpLt, 30.0}, true},
		{"lte", Condition{"properties.seats", OpLte, 24.0}, false},
		{"gt on numeric string", Condition{"properties.amount", OpGt, 100.0}, true},
		{"gt on text is false", Condition{"properties.plan", OpGt, 1.0}, false},
		{"exists", Condition{"properties.plan", OpExists, nil}, true},
		{"exists on null", Condition{"properties.nothing", OpExists, nil}, false},
		{"exists on empty string", Condition{"properties.empty", OpExists, nil}, false},
		{"missing", Condition{"properties.absent", OpMissing, nil}, true},
		{"missing on null", Condition{"properties.nothing", OpMissing, nil}, true},
		{"missing on present", Condition{"properties.plan", OpMissing, nil}, false},
		{"nested path", Condition{"properties.nested.tier", OpEq, "gold"}, true},
		{"path through a scalar", Condition{"properties.plan.tier", OpExists, nil}, false},
		{"object exists", Condition{"properties.nested", OpExists, nil}, true},
		{"object eq is false", Condition{"properties.nested", OpEq, "gold"}, false},
		{"array any element", Condition{"properties.tags", OpEq, "annual"}, true},
		{"array neq means none equal", Condition{"properties.tags", OpNeq, "b2b"}, false},
		{"array neq", Condition{"properties.tags", OpNeq, "b2c"}, true},
		{"message traits", Condition{"traits.phone", OpExists, nil}, true},
		{"event", Condition{"event", OpEq, "plan viewed"}, true},
		{"type", Condition{"type", OpEq, "track"}, true},
		{"name", Condition{"name", OpEq, "pricing"}, true},
		{"page.url contains", Condition{"page.url", OpContains, "/pricing/"}, true},
		{"page.path from url", Condition{"page.path", OpEq, "/pricing/enterprise"}, true},
		{"page.title", Condition{"page.title", OpEq, "Pricing"}, true},
		{"page.referrer", Condition{"page.referrer", OpContains, "google"}, true},
		{"page.search missing", Condition{"page.search", OpMissing, nil}, true},
		{"campaign.source", Condition{"campaign.source", OpEq, "Google"}, true},
		{"campaign.name missing", Condition{"campaign.name", OpExists, nil}, false},
		{"category missing", Condition{"category", OpMissing, nil}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, problems := compile(tc.c, nsMessage, "c")
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if got := m.matchMessage(&msg); got != tc.want {
				t.Errorf("%s on message = %v, want %v", tc.c, got, tc.want)
			}
		})
	}
}

func TestConditionOnFacts(t *testing.T) {
	f := Facts{
		Email:     "ann@acme.example",
		Status:    "subscribed",
		Traits:    map[string]any{"title": "Director of Sales", "company": map[string]any{"employee_count": 750.0}},
		Company:   &enrich.Company{Domain: "acme.example", EmailType: "corporate"},
		Location:  &tracking.Location{Country: "gb", City: "London"},
		Tags:      []string{"webinar-2025", "VIP"},
		Interests: map[string]int{"product-a": 4},
		PageViews: 12,
	}
	empty := Facts{}
	tests := []struct {
		name  string
		c     Condition
		facts Facts
		want  bool
	}{
		{"title contains ignores case", Condition{"traits.title", OpContains, "director"}, f, true},
		{"title regex word", Condition{"traits.title", OpRegex, `(?i)\bvp\b`}, f, false},
		{"email exists", Condition{"email", OpExists, nil}, f, true},
		{"email missing", Condition{"email", OpMissing, nil}, empty, true},
		{"status", Condition{"status", OpEq, "subscribed"}, f, true},
		{"email type", Condition{"company.email_type", OpEq, "corporate"}, f, true},
		{"email type neq unknown is false", Condition{"company.email_type", OpNeq, "freemail"}, empty, false},
		{"domain", Condition{"company.domain", OpEq, "ACME.example"}, f, true},
		{"size band from company.employee_count", Condition{"company.size_band", OpEq, "501-1000"}, f, true},
		{"size band in", Condition{"company.size_band", OpIn, []any{"51-200", "501-1000"}}, f, true},
		{"size band unknown", Condition{"company.size_band", OpMissing, nil}, empty, true},
		{"country in ignores case", Condition{"location.country", OpIn, []any{"US", "GB"}}, f, true},
		{"country of nobody", Condition{"location.country", OpIn, []any{"US", "GB"}}, empty, false},
		{"city", Condition{"location.city", OpEq, "london"}, f, true},
		{"region missing", Condition{"location.region", OpMissing, nil}, f, true},
		{"tags any", Condition{"tags", OpEq, "vip"}, f, true},
		{"tags neq", Condition{"tags", OpNeq, "competitor"}, f, true},
		{"tags neq on no tags is false", Condition{"tags", OpNeq, "competitor"}, empty, false},
		{"tags prefix", Condition{"tags", OpPrefix, "webinar-"}, f, true},
		{"lists missing", Condition{"lists", OpMissing, nil}, f, true},
		{"interest count", Condition{"interests.product-a", OpGte, 3.0}, f, true},
		{"interest absent", Condition{"interests.product-b", OpGt, 0.0}, f, false},
		{"page views", Condition{"page_views", OpGt, 10.0}, f, true},
		{"sessions zero", Condition{"sessions", OpEq, 0.0}, f, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, problems := compile(tc.c, nsFacts, "c")
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if got := m.matchFacts(&tc.facts); got != tc.want {
				t.Errorf("%s on facts = %v, want %v", tc.c, got, tc.want)
			}
		})
	}
}

func TestConditionProblems(t *testing.T) {
	tests := []struct {
		name string
		c    Condition
		ns   namespace
		want string
	}{
		{"unknown message field", Condition{"page.host", OpEq, "x"}, nsMessage, "unknown message field"},
		{"profile field on a message", Condition{"company.email_type", OpEq, "x"}, nsMessage, "unknown message field"},
		{"message field on a profile", Condition{"page.path", OpEq, "x"}, nsFacts, "unknown profile field"},
		{"empty path", Condition{"properties..plan", OpEq, "x"}, nsMessage, "empty path segment"},
		{"unknown op", Condition{"event", "like", "x"}, nsMessage, "unknown op"},
		{"exists with value", Condition{"event", OpExists, "x"}, nsMessage, "takes no value"},
		{"in without list", Condition{"event", OpIn, "x"}, nsMessage, "non-empty array"},
		{"in with object", Condition{"event", OpIn, []any{map[string]any{}}}, nsMessage, "not a string"},
		{"bad regex", Condition{"event", OpRegex, "(["}, nsMessage, "pattern"},
		{"huge regex", Condition{"event", OpRegex, strings.Repeat("a", 600)}, nsMessage, "at most 500"},
		{"gt on text", Condition{"properties.n", OpGt, "many"}, nsMessage, "needs a number"},
		{"contains empty", Condition{"event", OpContains, ""}, nsMessage, "non-empty string"},
		{"eq without value", Condition{"event", OpEq, nil}, nsMessage, "needs a string, number or bool"},
		{"unknown band", Condition{"company.size_band", OpIn, []any{"50-100"}}, nsFacts, "not a company size band"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := compile(tc.c, tc.ns, "where")
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "; "), tc.want) {
				t.Errorf("problems = %v, want mention of %q", problems, tc.want)
			}
		})
	}
}

func TestSizeBand(t *testing.T) {
	tests := []struct {
		traits map[string]any
		want   string
	}{
		{nil, ""},
		{map[string]any{"employees": 1.0}, "1-10"},
		{map[string]any{"employees": 10.0}, "1-10"},
		{map[string]any{"employees": 11.0}, "11-50"},
		{map[string]any{"employees": 200.0}, "51-200"},
		{map[string]any{"employees": 201.0}, "201-500"},
		{map[string]any{"employees": 20000.0}, "10001+"},
		{map[string]any{"employees": 0.0}, ""},
		{map[string]any{"company_size": "201-500"}, "201-500"},
		{map[string]any{"company_size": " 10001+ "}, "10001+"},
		{map[string]any{"company_size": "50-99"}, "11-50"},
		{map[string]any{"company_size": "10,000+"}, "5001-10000"},
		{map[string]any{"company_size": "unknown"}, ""},
		{map[string]any{"company_size": 42.0}, "11-50"},
		{map[string]any{"company": map[string]any{"employee_count": 3000.0}}, "1001-5000"},
		{map[string]any{"company_size": "lots", "employees": 60.0}, "51-200"},
	}
	for _, tc := range tests {
		f := Facts{Traits: tc.traits}
		if got := f.SizeBand(); got != tc.want {
			t.Errorf("SizeBand(%v) = %q, want %q", tc.traits, got, tc.want)
		}
	}
}

func TestConditionBuiltInGo(t *testing.T) {
	// Models built in Go (the admin API's tests, generated models) use Go
	// types JSON never produces.
	m, problems := compile(Condition{Field: "location.country", Op: OpIn, Value: []string{"US", "CA"}}, nsFacts, "c")
	if len(problems) > 0 || !m.matchFacts(&Facts{Location: &tracking.Location{Country: "ca"}}) {
		t.Errorf("[]string in: %v", problems)
	}
	m, problems = compile(Condition{Field: "page_views", Op: OpGte, Value: 3}, nsFacts, "c")
	if len(problems) > 0 || !m.matchFacts(&Facts{PageViews: 3}) {
		t.Errorf("int threshold: %v", problems)
	}
	if _, problems := compile(Condition{Field: "interests.a.b", Op: OpExists}, nsFacts, "c"); len(problems) == 0 {
		t.Error("interests.a.b accepted")
	}
}
