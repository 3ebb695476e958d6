package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCatalogIsValid(t *testing.T) {
	if err := Load().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEveryFunctionHasAMain(t *testing.T) {
	// Each catalog function is built from functions/<name>/main.go, and every
	// folder there is in the catalog, so neither can be forgotten.
	root := filepath.Join("..", "..", "functions")
	names := map[string]bool{}
	for _, f := range Load().Functions {
		names[f.Name] = true
		if _, err := os.Stat(filepath.Join(root, f.Name, "main.go")); err != nil {
			t.Errorf("catalog function %q has no functions/%s/main.go: %v", f.Name, f.Name, err)
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !names[e.Name()] {
			t.Errorf("functions/%s is not in the catalog", e.Name())
		}
	}
}

func TestValidateFindsProblems(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Catalog)
		want   string
	}{
		{"duplicate route", func(c *Catalog) { c.Functions[2].Routes = append(c.Functions[2].Routes, c.Functions[0].Routes[0]) }, "served by both"},
		{"unknown queue", func(c *Catalog) { c.Functions[1].Queue = &QueueTrigger{Queue: "nope", BatchSize: 1} }, "unknown queue"},
		{"short visibility", func(c *Catalog) { c.Queues[0].VisibilityTimeoutSeconds = 10 }, "visibility"},
		{"two trigger kinds", func(c *Catalog) { c.Functions[0].Queue = &QueueTrigger{Queue: EventsQueue, BatchSize: 1} }, "exactly one kind"},
		{"duplicate function", func(c *Catalog) { c.Functions = append(c.Functions, c.Functions[0]) }, "listed twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Load()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestRouteMatch(t *testing.T) {
	c := Load()
	tests := []struct {
		method, path, fn, route string
		params                  map[string]string
	}{
		{"POST", "/v1/batch", "ingest", "POST /v1/batch", nil},
		{"GET", "/v1/contacts/c_123", "admin", "GET /v1/contacts/{id}", map[string]string{"id": "c_123"}},
		{"GET", "/v1/contacts", "admin", "GET /v1/contacts", nil},
		// Unmatched requests go to the catch-all route, as in API Gateway.
		{"GET", "/v1/batch", "ingest", "$default", nil},
		{"GET", "/v1/contacts/a/b", "ingest", "$default", nil},
	}
	for _, tc := range tests {
		f, r, params, ok := c.RouteMatch(tc.method, tc.path)
		if ok != (tc.fn != "") || f.Name != tc.fn || (ok && r.Key() != tc.route) {
			t.Errorf("%s %s: got %q %q %v", tc.method, tc.path, f.Name, r.Key(), ok)
		}
		for k, v := range tc.params {
			if params[k] != v {
				t.Errorf("%s %s: param %s = %q, want %q", tc.method, tc.path, k, params[k], v)
			}
		}
	}
}

func TestEnvGivesOnlyWhatAccessNames(t *testing.T) {
	c := Load()
	r := Resources{Table: "T", QueueURLs: map[string]string{EventsQueue: "http://q"}, AdminTokenHash: "abc"}
	ingest, _ := c.Function("ingest")
	admin, _ := c.Function("admin")
	processor, _ := c.Function("processor")
	if env := ingest.Env(r); env[EnvTableName] != "T" || env[QueueURLEnv(EventsQueue)] != "http://q" || env[EnvAdminTokenSHA256] != "" {
		t.Errorf("ingest env = %v", env)
	}
	if env := admin.Env(r); env[EnvAdminTokenSHA256] != "abc" || env[QueueURLEnv(EventsQueue)] != "" {
		t.Errorf("admin env = %v", env)
	}
	if env := processor.Env(r); env[QueueURLEnv(EventsQueue)] != "" {
		t.Errorf("processor env = %v", env)
	}
}

func TestValidateRefusesUnboundedItemAccess(t *testing.T) {
	for _, tc := range []struct {
		name string
		item ItemAccess
		want string
	}{
		{"scan", Items(ItemContact, Query, Scan), "Scan cannot be limited"},
		{"write to an index", Items(IndexContacts, PutItem), "only Query applies"},
		{"unknown action", Items(ItemSite, Op("DeleteTable")), "unknown DynamoDB action"},
		{"no actions", Items(ItemSite), "no actions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Load()
			c.Functions[0].Access.Items = append(c.Functions[0].Access.Items, tc.item)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
	// Declaring a kind twice is refused too.
	c := Load()
	c.Functions[0].Access.Items = append(c.Functions[0].Access.Items, c.Functions[0].Access.Items[0])
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate kind: %v", err)
	}
}

func TestEveryAdminRouteHasAnActionClass(t *testing.T) {
	c := Load()
	f, _ := c.Function("admin")
	f.Routes = append(f.Routes, Route{Method: "GET", Path: "/v1/new-thing", Auth: Admin})
	for i := range c.Functions {
		if c.Functions[i].Name == "admin" {
			c.Functions[i] = f
		}
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "no known action class") {
		t.Fatalf("Validate() = %v, want a complaint about the route without an action class", err)
	}
}

func TestRoleTable(t *testing.T) {
	// The table: viewers read all but exports, marketers also
	// write and export, only admins manage users and sending settings.
	want := map[Role]map[Action]bool{
		RoleNone:     {ActRead: false, ActReadPersonalData: false, ActWrite: false, ActAdminOnly: false},
		RoleViewer:   {ActRead: true, ActReadPersonalData: false, ActWrite: false, ActAdminOnly: false},
		RoleMarketer: {ActRead: true, ActReadPersonalData: true, ActWrite: true, ActAdminOnly: false},
		RoleAdmin:    {ActRead: true, ActReadPersonalData: true, ActWrite: true, ActAdminOnly: true},
	}
	for r, acts := range want {
		for a, ok := range acts {
			if got := r.Can(a); got != ok {
				t.Errorf("%q.Can(%q) = %v, want %v", r, a, got, ok)
			}
		}
		if r.Can(Action("made-up")) {
			t.Errorf("%q may perform an unknown action", r)
		}
	}
	if got := HighestRole([]string{"viewer", "other", "admin", "marketer"}); got != RoleAdmin {
		t.Errorf("HighestRole = %q, want admin", got)
	}
	if got := HighestRole([]string{"staff"}); got != RoleNone {
		t.Errorf("HighestRole(unknown group) = %q, want none", got)
	}
}

func TestAuditedRoutes(t *testing.T) {
	for _, tc := range []struct {
		r    Route
		want bool
	}{
		{Route{Method: "GET", Action: ActRead}, false},
		{Route{Method: "POST", Action: ActRead}, false}, // previews change nothing
		{Route{Method: "GET", Action: ActAdminOnly}, false},
		{Route{Method: "GET", Action: ActReadPersonalData}, true},
		{Route{Method: "PUT", Action: ActWrite}, true},
		{Route{Method: "DELETE", Action: ActAdminOnly}, true},
	} {
		if got := tc.r.Audited(); got != tc.want {
			t.Errorf("%s %s Audited() = %v, want %v", tc.r.Method, tc.r.Action, got, tc.want)
		}
	}
}
