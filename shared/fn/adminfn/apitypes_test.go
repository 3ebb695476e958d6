package adminfn

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/tracking"
	"github.com/leadflow/leadflow/shared/user"
)

// TestConsoleTypesMatchTheAPI reads the console's API body types
// (console/src/types/api.ts) and checks every field they declare is a JSON
// key of the Go type the API encodes, so renaming a field on either side
// fails the tests instead of blanking a page.
func TestConsoleTypesMatchTheAPI(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "console", "src", "types", "api.ts"))
	if err != nil {
		t.Fatal(err)
	}
	goTypes := map[string]reflect.Type{
		"Contact":           reflect.TypeOf(contact.Profile{}),
		"ContactView":       reflect.TypeOf(ContactView{}),
		"Score":             reflect.TypeOf(scoring.Score{}),
		"StageChange":       reflect.TypeOf(scoring.StageChange{}),
		"RuleScore":         reflect.TypeOf(scoring.RuleScore{}),
		"ScoreHistoryEntry": reflect.TypeOf(HistoryEntry{}),
		"ScoreView":         reflect.TypeOf(ScoreView{}),
		"TrackedEvent":      reflect.TypeOf(tracking.Message{}),
		"User":              reflect.TypeOf(user.User{}),
		"Invitation":        reflect.TypeOf(user.Invitation{}),
		"AuditEntry":        reflect.TypeOf(audit.Entry{}),
		"DefinitionProblem": reflect.TypeOf(definition.Problem{}),
		"VersionInfo":       reflect.TypeOf(definition.VersionInfo{}),
		"DriftEntry":        reflect.TypeOf(definition.Definition{}),
		"ScoreChange":       reflect.TypeOf(dynamo.ScoredChange{}),
		"ScorePoint":        reflect.TypeOf(ScorePoint{}),
		"MessageView":       reflect.TypeOf(MessageView{}),
		"MessagePage":       reflect.TypeOf(MessagePage{}),
		"OverviewReport":    reflect.TypeOf(OverviewView{}),
		"BreakerState":      reflect.TypeOf(BreakerView{}),
		"FunnelReport":      reflect.TypeOf(report.FunnelReport{}),
		"FunnelStage":       reflect.TypeOf(report.FunnelStage{}),
	}
	iface := regexp.MustCompile(`(?s)export interface (\w+)(?: extends \w+)? \{\n(.*?)\n\}`)
	field := regexp.MustCompile(`^  (\w+)\??:`)
	seen := 0
	for _, m := range iface.FindAllStringSubmatch(string(raw), -1) {
		name, body := m[1], m[2]
		typ, ok := goTypes[name]
		if !ok {
			continue
		}
		seen++
		keys := jsonKeys(typ)
		for _, line := range strings.Split(body, "\n") {
			f := field.FindStringSubmatch(line)
			if f == nil {
				continue
			}
			if !keys[f[1]] {
				t.Errorf("console type %s has field %q, which %s does not encode", name, f[1], typ)
			}
		}
	}
	if seen != len(goTypes) {
		t.Errorf("found %d of the %d console types in api.ts", seen, len(goTypes))
	}
}

// jsonKeys are the JSON object keys a struct encodes, embedded structs included.
func jsonKeys(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			for k := range jsonKeys(f.Type) {
				out[k] = true
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = true
	}
	return out
}

// TestConsoleSeriesNamesMatchTheReport: the console's SeriesName union
// lists exactly the overview's series.
func TestConsoleSeriesNamesMatchTheReport(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "console", "src", "types", "api.ts"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)export type SeriesName =(.*?);`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("api.ts has no SeriesName type")
	}
	var names []string
	for _, q := range regexp.MustCompile(`'(\w+)'`).FindAllSubmatch(m[1], -1) {
		names = append(names, string(q[1]))
	}
	var want []string
	for _, s := range report.Series {
		want = append(want, s.Name)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("console series %v, API series %v", names, want)
	}
}
