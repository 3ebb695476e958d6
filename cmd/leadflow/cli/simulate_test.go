package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestSimulateRepoTimelines runs `leadflow simulate` over the example
// timelines kept beside the definitions.
func TestSimulateRepoTimelines(t *testing.T) {
	for _, tc := range []struct{ timeline, want, not string }{
		{"welcome-high-scorer.json", "took high scorer: total score 72 gte 50: yes", ""},
		{"welcome-clicked.json", "took clicked: clicked the mail of step welcome-mail: yes", "sent welcome-tips"},
	} {
		t.Run(tc.timeline, func(t *testing.T) {
			var out, errs bytes.Buffer
			code := Main(context.Background(), []string{"--dir", "../../../definitions", "simulate", "welcome", "../../../definitions/timelines/" + tc.timeline}, os.Getenv, &out, &errs)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs.String())
			}
			if !strings.Contains(out.String(), tc.want) || (tc.not != "" && strings.Contains(out.String(), tc.not)) {
				t.Errorf("output:\n%s\nwant %q, not %q", out.String(), tc.want, tc.not)
			}
		})
	}
}
