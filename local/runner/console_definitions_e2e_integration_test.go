package runner_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
)

// TestConsoleDefinitionsEndToEnd drives the built console's definition
// pages in Debian's Chromium (console/e2e/definitions.e2e.mjs): a template
// problem at its line while typing and the draft's preview, a JSON problem
// at its line, a 412 conflict, history and restore, the re-score's
// progress after a scoring change, read-only roles, axe-core and a
// screenshot of each page in console/e2e-artifacts/.
func TestConsoleDefinitionsEndToEnd(t *testing.T) {
	e := newConsoleE2E(t)
	// An identified contact, so a scoring change has someone to re-score.
	e.track(`{"batch":[{"type":"identify","messageId":"defs-e2e-i1","anonymousId":"defs-e2e","traits":{"email":"defs-e2e@acme.test"}}]}`)
	e.waitContact("defs-e2e", 1)

	e.run(t, "definitions.e2e.mjs", 4*time.Minute,
		e.users(t, map[string]catalog.Role{"MARKETER": catalog.RoleMarketer, "VIEWER": catalog.RoleViewer, "ADMIN": catalog.RoleAdmin})...)
}
