package runner_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/site"
)

// importFile uploads body through a new import and starts it.
func (e *env) importFile(def, body string) string {
	e.t.Helper()
	code, created := e.adminDo("POST", "/v1/imports", def)
	if code != 201 {
		e.t.Fatalf("create import: %d %v", code, created)
	}
	id := created["id"].(string)
	req, err := http.NewRequest(created["upload_method"].(string), created["upload_url"].(string), strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("upload to the presigned URL: %s", resp.Status)
	}
	if code, started := e.adminDo("POST", "/v1/imports/"+id+"/start", ""); code != 202 || started["state"] != "running" {
		e.t.Fatalf("start import: %d %v", code, started)
	}
	return id
}

// waitImport polls until the import is done (the bound only stops a hang).
func (e *env) waitImport(id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		code, imp := e.admin("/v1/imports/" + id)
		if code != 200 {
			e.t.Fatalf("get import: %d %v", code, imp)
		}
		switch imp["state"] {
		case "done":
			return imp
		case "failed":
			e.t.Fatalf("import failed: %v", imp["error"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("import %s not done in time", id)
	return nil
}

func (e *env) contactByEmail(email string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, body := e.admin("/v1/contacts?email=" + url.QueryEscape(email))
		if code == 200 {
			if list, _ := body["contacts"].([]any); len(list) == 1 {
				_, c := e.admin("/v1/contacts/" + list[0].(map[string]any)["id"].(string))
				return c
			} else if len(list) > 1 {
				e.t.Fatalf("%d contacts for %s", len(list), email)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("no contact for %s", email)
	return nil
}

func (e *env) errorReport(id string) [][]string {
	e.t.Helper()
	code, link := e.admin("/v1/imports/" + id + "/errors")
	if code != 200 {
		e.t.Fatalf("error report link: %d %v", code, link)
	}
	resp, err := http.Get(link["url"].(string))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("download the report: %s", resp.Status)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

const importDef = `{"file_name":"fair.csv","columns":{"email":"Email","phone":"Phone","tags":"Tags","consent":"Opt-in",
 "traits":{"first_name":"First name","company":"Company"}},"tags":["fair-2026"],"list_id":"fair-2026",
 "consent":{"evidence":"sign-up sheets at the Berlin fair, 2026-10-02","purposes":["marketing","advertising"]}}`

// Issue 13: a file with good, bad and duplicate rows imports the good rows
// once each, reports every other row with its line and reason, and records
// consent only where the file says so.
func TestImportGoodBadAndDuplicateRows(t *testing.T) {
	e := newEnv(t, func(o *runner.Options) { o.ImportPageSize = 3 })
	file := "Email,First name,Company,Phone,Tags,Opt-in\n" +
		"ada@example.com,Ada,Acme,+49 30 1234567,vip,yes\n" + // 2
		"not-an-email,Bob,,,,yes\n" + // 3
		"cy@example.com,Cy,,,,no\n" + // 4
		"ADA@example.com ,Ada2,,,,yes\n" + // 5: duplicate of 2 (next page)
		",Nobody,,,,\n" + // 6
		"dee@example.com,Dee,,030 123,,\n" + // 7: national phone
		"eve@example.com,\"=HYPERLINK(1)\",,,,x\n" + // 8
		"cy@example.com,Cy again,,,,\n" // 9: duplicate of 4
	id := e.importFile(importDef, file)
	imp := e.waitImport(id)
	for k, want := range map[string]float64{"rows": 8, "imported": 3, "failed": 5, "duplicates": 2} {
		if imp[k] != want {
			t.Errorf("%s = %v, want %v (%v)", k, imp[k], want, imp)
		}
	}
	if imp["error_report"] != "/v1/imports/"+id+"/errors" {
		t.Errorf("error_report %v", imp["error_report"])
	}
	report := e.errorReport(id)
	want := [][]string{
		{"line", "email", "reason"},
		{"3", "not-an-email", `invalid email "not-an-email"`},
		{"5", "ada@example.com", "duplicate of line 2"},
		{"6", "", "no email"},
		{"7", "dee@example.com", `phone "030 123" is not in international format (+ and country code, 8 to 15 digits)`},
		{"9", "cy@example.com", "duplicate of line 4"},
	}
	if fmt.Sprint(report) != fmt.Sprint(want) {
		t.Errorf("report\n%v\nwant\n%v", report, want)
	}
	ada := e.contactByEmail("ada@example.com")
	traits := ada["traits"].(map[string]any)
	if traits["first_name"] != "Ada" || traits["company"] != "Acme" || traits["phone"] != "+49301234567" {
		t.Errorf("ada's traits %v (the duplicate row must not win)", traits)
	}
	if fmt.Sprint(ada["tags"]) != "[fair-2026 vip]" || fmt.Sprint(ada["lists"]) != "[fair-2026]" || ada["status"] != "subscribed" {
		t.Errorf("ada: tags %v lists %v status %v", ada["tags"], ada["lists"], ada["status"])
	}
	if cs, _ := ada["consents"].([]any); len(cs) != 2 || !strings.Contains(fmt.Sprint(cs), "advertising") || !strings.Contains(fmt.Sprint(cs), "import:"+id) {
		t.Errorf("ada's consents %v", ada["consents"])
	}
	cy := e.contactByEmail("cy@example.com")
	if cy["status"] != "no_consent" || cy["consents"] != nil {
		t.Errorf("cy said no: status %v consents %v", cy["status"], cy["consents"])
	}
	if e.contactByEmail("eve@example.com")["traits"].(map[string]any)["first_name"] != "=HYPERLINK(1)" {
		t.Error("eve's trait not kept as text")
	}
	// A viewer sees the import but not the report (personal data).
	_, viewer, _ := consoleUser(t, catalog.RoleViewer)
	if code, _ := e.as(viewer, "GET", "/v1/imports/"+id, ""); code != 200 {
		t.Errorf("viewer could not read the import: %d", code)
	}
	if code, _ := e.as(viewer, "GET", "/v1/imports/"+id+"/errors", ""); code != 403 {
		t.Errorf("viewer fetched the error report: %d", code)
	}
}

// Issue 13: an import whose runner is stopped mid-way (pages in flight,
// rows queued and not yet committed) finishes after a restart with every
// row imported once: one contact per email, one identify event each, and
// counts that add up.
func TestImportSurvivesARestartMidway(t *testing.T) {
	prefix := fmt.Sprintf("imk%d-", time.Now().UnixNano()%1e9)
	opts := runner.Options{
		Endpoints: servers.Endpoints(), Table: prefix + "leadflow", QueuePrefix: prefix, AdminToken: adminToken,
		Site:              site.Site{Key: siteKey, Name: "Import site", AllowedOrigins: []string{"https://allowed.example"}},
		VisibilityTimeout: time.Second, BatchWindow: 100 * time.Millisecond, NoSchedules: true, Log: testLog(),
		UserPool: &userPool, ImportPageSize: 10,
	}
	start := func() (*env, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		p, err := runner.New(ctx, opts)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		p.Start(ctx)
		api := httptest.NewServer(p)
		return &env{t: t, platform: p, api: api, table: opts.Table}, func() { api.Close(); cancel(); p.Wait() }
	}
	const n = 400
	var b strings.Builder
	b.WriteString("Email,First name\n")
	for i := range n {
		fmt.Fprintf(&b, "p%03d@example.com,P%d\n", i, i)
	}
	e, stop := start()
	id := e.importFile(`{"columns":{"email":"Email","traits":{"first_name":"First name"}},"list_id":"restart"}`, b.String())
	var before map[string]any
	for {
		_, before = e.admin("/v1/imports/" + id)
		if before["rows"].(float64) >= 50 || before["state"] != "running" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop() // pages and contact batches in flight are cut off
	if before["state"] != "running" {
		t.Fatalf("the import ended before the restart (%v): the test needs more rows", before["state"])
	}

	e, stop = start()
	defer stop()
	imp := e.waitImport(id)
	if imp["rows"] != float64(n) || imp["imported"] != float64(n) || imp["failed"] != float64(0) {
		t.Fatalf("after the restart: rows %v imported %v failed %v, want %d, %d, 0", imp["rows"], imp["imported"], imp["failed"], n, n)
	}
	e.settle()
	for i := range n {
		c := e.contactByEmail(fmt.Sprintf("p%03d@example.com", i))
		if c["event_count"] != float64(1) || c["traits"].(map[string]any)["first_name"] != fmt.Sprintf("P%d", i) {
			t.Fatalf("contact %d: event_count %v traits %v", i, c["event_count"], c["traits"])
		}
	}
}
