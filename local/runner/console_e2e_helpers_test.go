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

// consoleE2E is what each console browser test (console/e2e/*.e2e.mjs)
// needs: the built console served by a platform of its own, and Chromium.
type consoleE2E struct {
	*env
	root, chromium string
}

func newConsoleE2E(t *testing.T) *consoleE2E {
	t.Helper()
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(root, "console", "dist")
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("the console is not built (%v): run `make console` (make test does)", err)
	}
	chromium := chromiumPath(t)
	e := newEnv(t, func(o *runner.Options) { o.ConsoleDir = dist })
	return &consoleE2E{env: e, root: root, chromium: chromium}
}

// consolePassword is every e2e console user's password.
const consolePassword = "Test-Passw0rd!"

// users creates a console user per role and answers them as the scripts
// read them: NAME=email:password.
func (c *consoleE2E) users(t *testing.T, roles map[string]catalog.Role) []string {
	t.Helper()
	var env []string
	for name, role := range roles {
		email, _, _ := consoleUser(t, role)
		env = append(env, name+"="+email+":"+consolePassword)
	}
	return env
}

// run runs one e2e script with the console's URL, Chromium and env, and
// fails the test with the script's output if the script fails.
func (c *consoleE2E) run(t *testing.T, script string, timeout time.Duration, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", script))
	cmd.Dir = filepath.Join(c.root, "console")
	cmd.Env = append(os.Environ(), append([]string{"CONSOLE_URL=" + c.api.URL + "/console/", "CHROMIUM=" + c.chromium}, env...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s output:\n%s", script, out)
	if err != nil {
		t.Fatalf("%s failed: %v", script, err)
	}
}
