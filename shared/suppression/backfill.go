// Package suppression holds the one-off backfill that brings contact
// profiles in line with the suppression list: addresses suppressed before
// contact.Profile.Suppressed existed only showed as `suppressed` (segments,
// the contact page) after their next bounce or complaint.
//
// The suppression list itself cannot be paged: each address is its own
// partition (SUP#<email>) with no index, and an index added now would not
// cover the old items, which are the ones to fix. So the backfill pages
// through the contacts index (a Query per shard, as re-scoring and segment
// rebuilds do; nothing scans the table), reads each page's profiles and
// looks their addresses up on the list in one batch read. A contact whose
// address is listed gets a timeline event carrying the reason
// (contact.PropSuppressed) through the contact processor, the one code path
// for profile changes, so segments that test `suppressed` follow in the
// same write.
package suppression

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/tracking"
)

// RunID names the backfill's run in the job checkpoints: it is one-off,
// so a second start repeats the same (idempotent) run.
const RunID = "profile-suppressed"

// EventBackfilled is the timeline event that notes an address suppressed
// before profiles recorded it.
const EventBackfilled = "Address Suppressed"

// Entry is why and since when an address is suppressed.
type Entry struct {
	Reason string
	At     time.Time
}

// Pages pages through one shard of the contacts index.
type Pages interface {
	ContactsPage(ctx context.Context, shard int, cursor string, limit int) ([]string, string, error)
}

// Profiles reads profiles (contact.Store does).
type Profiles interface {
	GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error)
}

// List answers which of some addresses are suppressed.
type List interface {
	SuppressedAmong(ctx context.Context, emails []string) (map[string]Entry, error)
}

// Applier applies messages to their contacts (contact.Processor.Process).
type Applier interface {
	Process(ctx context.Context, inputs []contact.Input) (contact.Outcome, error)
}

// Backfill runs the pages of the backfill.
type Backfill struct {
	Pages       Pages
	Profiles    Profiles
	List        List
	Apply       Applier
	Checkpoints job.Checkpoints
	Jobs        job.Queue
	Log         *slog.Logger
	Now         func() time.Time
	// PageSize is how many contacts one page visits.
	PageSize int
}

// Start records the run and queues one chain of pages per contacts shard.
// A run already under way is left alone (started false).
func (b *Backfill) Start(ctx context.Context, shards int) (run job.Run, started bool, err error) {
	run, found, err := b.Checkpoints.GetRun(ctx, job.SuppressionBackfill, RunID)
	if err != nil {
		return run, false, err
	}
	if found && !run.Done() {
		return run, false, nil
	}
	now := b.Now().UTC()
	if err := b.Checkpoints.StartRun(ctx, job.SuppressionBackfill, RunID, shards, now); err != nil {
		return run, false, err
	}
	for s := 0; s < shards; s++ {
		if err := job.Send(ctx, b.Jobs, job.Job{Kind: job.SuppressionBackfill, ID: RunID, Shard: s}); err != nil {
			return run, false, err
		}
	}
	run = job.Run{Kind: job.SuppressionBackfill, ID: RunID, Shards: shards, StartedAt: now, UpdatedAt: now}
	return run, true, nil
}

// Progress reads the run (found false: never started).
func (b *Backfill) Progress(ctx context.Context) (job.Run, bool, error) {
	return b.Checkpoints.GetRun(ctx, job.SuppressionBackfill, RunID)
}

// RunPage visits one page of a shard: every contact whose address is on
// the suppression list and whose profile does not say so gets the event
// that records it. Re-running a page (a crash, a redelivery) finds those
// profiles marked and sends nothing; the checkpoint counts the page once.
func (b *Backfill) RunPage(ctx context.Context, j job.Job) error {
	start := time.Now()
	size := b.PageSize
	if size <= 0 {
		size = 100
	}
	ids, next, err := b.Pages.ContactsPage(ctx, j.Shard, j.Cursor, size)
	if err != nil {
		return fmt.Errorf("suppression backfill shard %d: %w", j.Shard, err)
	}
	profiles, err := b.Profiles.GetProfiles(ctx, ids)
	if err != nil {
		return fmt.Errorf("suppression backfill shard %d: %w", j.Shard, err)
	}
	byEmail := map[string][]*contact.Profile{}
	var emails []string
	for _, id := range ids {
		p := profiles[id]
		if p == nil || p.MergedInto != "" || p.Email == "" || p.Suppressed != "" {
			continue
		}
		if _, ok := byEmail[p.Email]; !ok {
			emails = append(emails, p.Email)
		}
		byEmail[p.Email] = append(byEmail[p.Email], p)
	}
	var msgs []tracking.Message
	if len(emails) > 0 {
		listed, err := b.List.SuppressedAmong(ctx, emails)
		if err != nil {
			return fmt.Errorf("suppression backfill shard %d: %w", j.Shard, err)
		}
		now := b.Now().UTC()
		for _, email := range emails {
			e, ok := listed[email]
			if !ok {
				continue
			}
			for _, p := range byEmail[email] {
				msgs = append(msgs, Message(p.ID, e, now))
			}
		}
	}
	if len(msgs) > 0 {
		out, err := b.Apply.Process(ctx, []contact.Input{{ID: "suppression-backfill", Batch: tracking.Batch{
			RequestID: fmt.Sprintf("supbf-%d-%s", j.Shard, j.Cursor), ReceivedAt: b.Now().UTC(), Messages: msgs}}})
		if err != nil {
			return fmt.Errorf("suppression backfill shard %d: apply: %w", j.Shard, err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("suppression backfill shard %d: %d contacts not written", j.Shard, len(msgs)-out.Applied-out.Duplicates)
		}
	}
	counted, err := b.Checkpoints.Checkpoint(ctx, job.SuppressionBackfill, RunID, j.Shard, j.Cursor, next, len(ids), len(msgs), b.Now().UTC())
	if err != nil {
		return err
	}
	j.Pages++
	b.Log.InfoContext(ctx, "suppression backfill page", "shard", j.Shard, "page", j.Pages, "contacts", len(ids), "marked", len(msgs),
		"counted", counted, "done", next == "", "ms", time.Since(start).Milliseconds())
	if next == "" || !counted {
		// A page counted before (a redelivery) queued its continuation
		// already: stopping here keeps one chain per shard.
		return nil
	}
	j.Cursor = next
	return job.Send(ctx, b.Jobs, j)
}

// Message is the event that records a suppression on its contact: the
// processor sets Profile.Suppressed from its contact.PropSuppressed. It is
// dated when the address was suppressed (now when the list does not say),
// and its id is the contact's, so it is recorded once.
func Message(contactID string, e Entry, now time.Time) tracking.Message {
	at := e.At
	if at.IsZero() || at.After(now) {
		at = now
	}
	return tracking.Message{
		Type: tracking.TypeTrack, Event: EventBackfilled, MessageID: "supbf-" + contactID, ContactID: contactID,
		Timestamp: at, ReceivedAt: now,
		Properties: map[string]any{contact.PropSuppressed: e.Reason, "backfill": true},
		Context:    tracking.Context{Library: &tracking.Library{Name: "leadflow-suppression-backfill"}},
	}
}
