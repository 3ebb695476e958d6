package campaign

import (
	"context"
	"errors"

	"github.com/leadflow/leadflow/shared/mail"
)

// CountSkipped and CountFailed count campaign sends the pipeline did not
// send (suppressed, unsubscribed, capped out, cancelled) or that failed.
const (
	CountSkipped = "skipped"
	CountFailed  = "failed"
)

type counterKey struct{ campaign, occurrence, variant string }

// CountOutcomes adds a send batch's campaign outcomes to the campaigns'
// counters, one update per campaign occurrence and variant. A send is
// counted when the pipeline settles it (sent, skipped, failed), which
// happens once per send id; duplicates and re-queued sends add nothing.
func CountOutcomes(ctx context.Context, c Counters, reqs []mail.Request, results []mail.Result) error {
	add := map[counterKey]map[string]int64{}
	for i, res := range results {
		if i >= len(reqs) || reqs[i].Source.Campaign == "" || reqs[i].To != "" {
			continue
		}
		name := ""
		switch res.Outcome {
		case mail.OutcomeSent:
			name = CountSent
		case mail.OutcomeSkipped:
			name = CountSkipped
		case mail.OutcomeFailed:
			name = CountFailed
		default:
			continue
		}
		src := reqs[i].Source
		k := counterKey{src.Campaign, src.Run, src.Step}
		if add[k] == nil {
			add[k] = map[string]int64{}
		}
		add[k][name]++
	}
	var errs []error
	for k, d := range add {
		if err := c.Add(ctx, k.campaign, k.occurrence, k.variant, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
