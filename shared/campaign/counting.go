package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/leadflow/leadflow/shared/mail"
)

// SendCounter counts a campaign send's outcomes once each: the send record
// carries a mark per outcome, written in the same transaction as the
// counters (sharded), so a retried or duplicated event adds nothing and a
// failed write adds nothing either (the retry counts it).
type SendCounter interface {
	GetSend(ctx context.Context, sendID string) (mail.SendState, error)
	CountSendOnce(ctx context.Context, sendID, mark string, src mail.Source, deltas map[string]int64) (bool, error)
}

// PrefixLink starts the counter of one link's unique human clicks:
// "click:" + the link without its query.
const PrefixLink = "click:"

// outcomeMark is the send record's attribute that says an outcome was
// counted.
func outcomeMark(name string) string { return "k:" + name }

// CountSendOutcome counts one outcome of a campaign send (CountDelivered,
// CountBounced, CountComplained, CountUnsubscribed) once. Sends that are
// not a campaign's, or have no record (a test send), count nothing.
func CountSendOutcome(ctx context.Context, sc SendCounter, sendID, name string) (bool, error) {
	switch name {
	case CountDelivered, CountBounced, CountComplained, CountUnsubscribed:
	default:
		return false, fmt.Errorf("campaign outcome %q", name)
	}
	return countOnce(ctx, sc, sendID, outcomeMark(name), map[string]int64{name: 1})
}

// CountRecordOutcome is CountSendOutcome for a send whose record the
// caller has just read (the SES events handler reads it to settle the
// send): the source comes from that record, with no second read. The
// count stays exactly once: the transaction's condition on the mark
// decides, not the read.
func CountRecordOutcome(ctx context.Context, sc SendCounter, rec mail.SendState, name string) (bool, error) {
	switch name {
	case CountDelivered, CountBounced, CountComplained, CountUnsubscribed:
	default:
		return false, fmt.Errorf("campaign outcome %q", name)
	}
	if rec.SendID == "" || rec.Source.Campaign == "" {
		return false, nil
	}
	return sc.CountSendOnce(ctx, rec.SendID, outcomeMark(name), rec.Source, map[string]int64{name: 1})
}

// CountLinkClick counts a human click of a campaign send's link: once per
// send and link, however often it is followed.
func CountLinkClick(ctx context.Context, sc SendCounter, sendID, link string) (bool, error) {
	name := LinkCounter(link)
	if name == "" {
		return false, nil
	}
	h := sha256.Sum256([]byte(name))
	return countOnce(ctx, sc, sendID, "k:l:"+hex.EncodeToString(h[:6]), map[string]int64{name: 1})
}

// LinkCounter names a link's click counter: scheme, host and path (the
// query often carries per-recipient values that would split one link into
// thousands), at most 200 characters. "" for what is not a link.
func LinkCounter(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return ""
	}
	s := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + u.EscapedPath()
	if len(s) > 200 {
		s = s[:200]
	}
	return PrefixLink + s
}

// CountConversion counts a campaign send's conversion (the goal event in
// the window after a human open or click) and its revenue in cents: one
// per send, the first goal event's revenue.
func CountConversion(ctx context.Context, sc SendCounter, sendID string, revenueCents int64) (bool, error) {
	d := map[string]int64{CountConversions: 1}
	if revenueCents != 0 {
		d[CountRevenueCents] = revenueCents
	}
	return countOnce(ctx, sc, sendID, outcomeMark(CountConversions), d)
}

func countOnce(ctx context.Context, sc SendCounter, sendID, mark string, deltas map[string]int64) (bool, error) {
	if sendID == "" {
		return false, nil
	}
	rec, err := sc.GetSend(ctx, sendID)
	if errors.Is(err, mail.ErrSendNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read send %s: %w", sendID, err)
	}
	if rec.Source.Campaign == "" {
		return false, nil
	}
	return sc.CountSendOnce(ctx, sendID, mark, rec.Source, deltas)
}
