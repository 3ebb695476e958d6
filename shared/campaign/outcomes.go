package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// Engagements marks a send's first open or click of each kind (the send
// record, conditionally) and returns the record when this one was first.
type Engagements interface {
	FirstEngagement(ctx context.Context, sendID, kind string, machine bool, at time.Time) (mail.SendState, bool, error)
}

// CountEngagement counts a campaign send's first human or machine open or
// click ("open", "click") in the campaign's results: unique per send,
// however often the pixel loads or the link is followed.
func CountEngagement(ctx context.Context, e Engagements, c Counters, sendID, kind string, machine bool, at time.Time) error {
	rec, first, err := e.FirstEngagement(ctx, sendID, kind, machine, at)
	if err != nil || !first || rec.Source.Campaign == "" {
		return err
	}
	name := map[string]string{"open/false": CountOpensHuman, "open/true": CountOpensMachine,
		"click/false": CountClicksHuman, "click/true": CountClicksBot}[fmt.Sprintf("%s/%v", kind, machine)]
	if name == "" {
		return fmt.Errorf("engagement kind %q", kind)
	}
	return c.Add(ctx, rec.Source.Campaign, rec.Source.Run, rec.Source.Step, map[string]int64{name: 1})
}
