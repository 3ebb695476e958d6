package report

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/leadflow/leadflow/shared/contact"
)

// Writer adds counts to a day's counter item on one shard (the DynamoDB
// store: one UpdateItem ADD).
type Writer interface {
	AddReportCounts(ctx context.Context, day string, shard int, counts Counts) error
}

// Batch sums counts over one invocation and writes each day's sum once, on
// the next shard of its rotation (the sender's and the SES events
// handler's counts go through one too).
type Batch struct {
	w     Writer
	mu    sync.Mutex
	tally Tally
	next  uint32
}

// NewBatch starts on a random shard, so the instances of a function spread
// over the shards.
func NewBatch(w Writer) *Batch {
	return &Batch{w: w, tally: Tally{}, next: rand.Uint32()}
}

// Add buffers counts.
func (b *Batch) Add(t Tally) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tally.Merge(t)
}

// Flush writes what was buffered: one write per day. What failed is
// dropped, not retried (see contact.Flusher: counts are at most once).
func (b *Batch) Flush(ctx context.Context) error {
	b.mu.Lock()
	t := b.tally
	b.tally = Tally{}
	shard := int(b.next % Shards)
	b.next++
	b.mu.Unlock()
	var errs []error
	for _, day := range t.Days() {
		if err := b.w.AddReportCounts(ctx, day, shard, t[day]); err != nil {
			errs = append(errs, fmt.Errorf("report counts of %s: %w", day, err))
		}
	}
	return errors.Join(errs...)
}

// Counter is the processor's reactor: it counts each contact change once
// its profile write committed (a change whose write failed is retried in a
// later batch, which counts it then), and writes the batch's sums in
// Flush.
type Counter struct {
	batch *Batch
	mu    sync.Mutex
	// pending holds the counts of changes reacted to but not yet committed,
	// by contact: a conflict retry reacts again and replaces them.
	pending map[string]Tally
}

var (
	_ contact.Flusher   = (*Counter)(nil)
	_ contact.Committer = (*Counter)(nil)
)

// maxPending bounds the changes held for commit: entries left by failed
// writes are dropped past it (their retry reacts afresh).
const maxPending = 10000

// NewCounter builds the reactor.
func NewCounter(w Writer) *Counter {
	return &Counter{batch: NewBatch(w), pending: map[string]Tally{}}
}

// React implements contact.Reactor.
func (c *Counter) React(_ context.Context, ch *contact.Change) error {
	t := FromChange(ch)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) >= maxPending {
		clear(c.pending)
	}
	c.pending[ch.After.ID] = t
	return nil
}

// Committed implements contact.Committer.
func (c *Counter) Committed(_ context.Context, ch *contact.Change) {
	c.mu.Lock()
	t, ok := c.pending[ch.After.ID]
	delete(c.pending, ch.After.ID)
	c.mu.Unlock()
	if ok {
		c.batch.Add(t)
	}
}

// Flush implements contact.Flusher.
func (c *Counter) Flush(ctx context.Context) error { return c.batch.Flush(ctx) }
