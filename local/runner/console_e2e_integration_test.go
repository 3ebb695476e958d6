package runner_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/mail"
)

// TestConsoleEndToEnd drives the built console (console/dist, `make
// console`) in Debian's Chromium against this platform: console/e2e/
// console.e2e.mjs signs in per role, finds the contact sent here through
// the tracking API, reads its score explanation, changes its stage as a
// marketer, is refused as a viewer in the UI and at the API, invites a
// user, exports and then erases the contact as an admin, runs axe-core on
// every page and saves screenshots in console/e2e-artifacts/.
func TestConsoleEndToEnd(t *testing.T) {
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(root, "console", "dist")
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("the console is not built (%v): run `make console` (make test does)", err)
	}
	chromium := os.Getenv("LEADFLOW_CHROMIUM")
	if chromium == "" {
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Fatalf("no chromium on PATH (make tools installs Debian's): %v", err)
		}
	}
	e := newEnv(t, func(o *runner.Options) { o.ConsoleDir = dist })
	contactEmail := fmt.Sprintf("e2e-%d@acme.test", time.Now().UnixNano())
	e.track(`{"batch":[
	 {"type":"page","messageId":"e2e-p1","anonymousId":"e2e-visitor","context":{"page":{"url":"https://acme.test/pricing","path":"/pricing","title":"Pricing"}}},
	 {"type":"identify","messageId":"e2e-i1","anonymousId":"e2e-visitor","traits":{"email":"` + contactEmail + `","title":"Head of Growth","plan":"enterprise"}}]}`)
	c := e.waitContact("e2e-visitor", 2)
	// A send to the contact for the contact page's messages: without
	// consent the pipeline records it as skipped, which the page lists.
	if code, body := e.postMessage(`{"contact_id":"` + c["id"].(string) + `","template_id":"welcome","idempotency_key":"e2e-welcome"}`); code != 202 {
		t.Fatalf("POST /v1/messages = %d %v", code, body)
	}
	e.waitSend(mail.APISendID("e2e-welcome"), inState(mail.Skipped, mail.Sent, mail.Delivered))

	const password = "Test-Passw0rd!"
	creds := map[string]string{}
	for name, role := range map[string]catalog.Role{"MARKETER": catalog.RoleMarketer, "VIEWER": catalog.RoleViewer, "ADMIN": catalog.RoleAdmin} {
		email, _, _ := consoleUser(t, role)
		creds[name] = email + ":" + password
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "console.e2e.mjs"))
	cmd.Dir = filepath.Join(root, "console")
	cmd.Env = append(os.Environ(),
		"CONSOLE_URL="+e.api.URL+"/console/",
		"MARKETER="+creds["MARKETER"], "VIEWER="+creds["VIEWER"], "ADMIN="+creds["ADMIN"],
		"CONTACT_EMAIL="+contactEmail, "CHROMIUM="+chromium,
		// The dashboard's totals for the last 30 days: the one contact
		// and its two events sent above.
		"OVERVIEW_EXPECT=new contacts=1,identified leads=1,events=2",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("console e2e output:\n%s", out)
	if err != nil {
		t.Fatalf("console end-to-end test failed: %v", err)
	}
}
