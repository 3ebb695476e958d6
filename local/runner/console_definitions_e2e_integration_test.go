package runner_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
)

// TestConsoleDefinitionsEndToEnd drives the built console's definition
// pages in Debian's Chromium (console/e2e/definitions.e2e.mjs): a template
// problem at its line while typing and the draft's preview, a JSON problem
// at its line, a 412 conflict, history and restore, the re-score's
// progress after a scoring change, read-only roles, axe-core and a
// screenshot of each page in console/e2e-artifacts/.
func TestConsoleDefinitionsEndToEnd(t *testing.T) {
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
	// An identified contact, so a scoring change has someone to re-score.
	e.track(`{"batch":[{"type":"identify","messageId":"defs-e2e-i1","anonymousId":"defs-e2e","traits":{"email":"defs-e2e@acme.test"}}]}`)
	e.waitContact("defs-e2e", 1)

	const password = "Test-Passw0rd!"
	env := []string{"CONSOLE_URL=" + e.api.URL + "/console/", "CHROMIUM=" + chromium}
	for name, role := range map[string]catalog.Role{"MARKETER": catalog.RoleMarketer, "VIEWER": catalog.RoleViewer, "ADMIN": catalog.RoleAdmin} {
		email, _, _ := consoleUser(t, role)
		env = append(env, name+"="+email+":"+password)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "definitions.e2e.mjs"))
	cmd.Dir = filepath.Join(root, "console")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("definitions e2e output:\n%s", out)
	if err != nil {
		t.Fatalf("definitions end-to-end test failed: %v", err)
	}
}
