package runner

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/shared/catalog"
)

// pollers per queue: Lambda's event source mapping polls with several
// concurrent pollers, so local runs see the same concurrency races.
const pollers = 2

// poll behaves like Lambda's SQS event source mapping: it gathers up to the
// batch size within the batching window, invokes the function with an SQS
// event, deletes what succeeded, leaves failures to reappear after the
// visibility timeout. Dead-lettering after maxReceiveCount receives is the
// queue's own redrive policy, as on AWS.
func (p *Platform) poll(ctx context.Context, f catalog.Function, q catalog.Queue) {
	done := make(chan struct{})
	for i := 0; i < pollers; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for ctx.Err() == nil {
				if err := p.pollOnce(ctx, f, q); err != nil && ctx.Err() == nil {
					p.log.ErrorContext(ctx, "poll", "queue", q.Name, "error", err)
					sleepCtx(ctx, time.Second)
				}
			}
		}()
	}
	for i := 0; i < pollers; i++ {
		<-done
	}
}

func (p *Platform) pollOnce(ctx context.Context, f catalog.Function, q catalog.Queue) error {
	url := p.queueURLs[q.Name]
	window := time.Duration(f.Queue.MaxBatchingWindowSeconds) * time.Second
	if p.opts.BatchWindow > 0 {
		window = p.opts.BatchWindow
	}
	var msgs []sqstypes.Message
	deadline := time.Time{}
	for len(msgs) < f.Queue.BatchSize {
		wait := int32(1)
		if len(msgs) > 0 {
			if time.Now().After(deadline) {
				break
			}
			wait = 0
		}
		res, err := p.receive(ctx, url, int32(min(10, f.Queue.BatchSize-len(msgs))), wait)
		if err == nil {
			if len(res.Messages) > 0 && len(msgs) == 0 {
				deadline = time.Now().Add(window)
				// Held until deleted, released or left to time out: Drain
				// waits for it.
				p.held.Add(1)
				defer p.held.Add(-1)
			}
			msgs = append(msgs, res.Messages...)
		}
		if ctx.Err() != nil {
			// Stopping: what this poller holds goes back on the queue now,
			// not after a visibility timeout (Lambda's pollers do the same
			// with messages they never delivered).
			p.release(url, msgs)
			return nil
		}
		if err != nil {
			if len(msgs) > 0 {
				// Messages already received are in flight: handing them to
				// the function now beats leaving them invisible for a whole
				// visibility timeout.
				p.log.WarnContext(ctx, "receive failed; invoking with the messages gathered so far", "queue", q.Name, "messages", len(msgs), "error", err)
				break
			}
			return fmt.Errorf("receive from %s: %w", q.Name, err)
		}
		if len(res.Messages) == 0 {
			if len(msgs) == 0 {
				return nil
			}
			sleepCtx(ctx, 50*time.Millisecond)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for _, m := range msgs {
		// A message received before (a batch item failure, a failed
		// invocation, or one left in flight by a receive nobody handled)
		// waited out the visibility timeout: counted, so a late batch is
		// told from a slow one. goaws's ApproximateReceiveCount is always
		// 1, so the runner remembers the ids itself.
		if first, again := p.received.note(aws.ToString(m.MessageId), time.Now()); again {
			p.stats.add(p.stats.Failures, f.Name+":redelivered", 1)
			p.log.InfoContext(ctx, "message delivered again", "queue", q.Name, "message_id", aws.ToString(m.MessageId),
				"first_received", first.UTC().Format(time.RFC3339Nano))
		}
	}
	for i, m := range msgs {
		ev.Records[i] = events.SQSMessage{
			MessageId:      aws.ToString(m.MessageId),
			ReceiptHandle:  aws.ToString(m.ReceiptHandle),
			Body:           aws.ToString(m.Body),
			Md5OfBody:      aws.ToString(m.MD5OfBody),
			Attributes:     m.Attributes,
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:000000000000:" + p.opts.QueuePrefix + q.Name,
			AWSRegion:      "us-east-1",
		}
	}
	var resp events.SQSEventResponse
	// Once handed over, a batch runs to its end (or the function's
	// timeout) even if the poller is stopping, as on Lambda: cancelling it
	// half-way would strand the batch in flight. Its deletes likewise.
	ctx = context.WithoutCancel(ctx)
	if err := p.invoke(ctx, f, ev, &resp); err != nil {
		// A failed invocation deletes nothing: the whole batch comes back.
		p.log.WarnContext(ctx, "invocation failed; batch will be redelivered", "function", f.Name, "error", err)
		return nil
	}
	failed := map[string]bool{}
	for _, it := range resp.BatchItemFailures {
		known := false
		for _, m := range msgs {
			if aws.ToString(m.MessageId) == it.ItemIdentifier {
				known = true
			}
		}
		if !known {
			// Lambda treats an empty or unknown identifier as a failed batch.
			p.log.WarnContext(ctx, "unknown batch item failure id; whole batch retried", "function", f.Name, "id", it.ItemIdentifier)
			return nil
		}
		failed[it.ItemIdentifier] = true
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(failed) > 0 {
		p.stats.add(p.stats.Failures, f.Name+":items", len(failed))
	}
	for start := 0; start < len(del); start += 10 {
		end := min(start+10, len(del))
		res, err := p.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del[start:end]})
		if err != nil {
			return fmt.Errorf("delete processed messages from %s: %w", q.Name, err)
		}
		for _, e := range res.Failed {
			// Processed but still queued: it comes back after the
			// visibility timeout and the function must see it as a repeat.
			p.log.WarnContext(ctx, "delete a processed message", "queue", q.Name, "entry", aws.ToString(e.Id), "code", aws.ToString(e.Code), "error", aws.ToString(e.Message))
		}
	}
	return nil
}

// logFailedAttempts logs each failed attempt of the pollers' SQS calls,
// the ones the SDK retries too: a receive whose answer was lost after
// goaws marked its messages in flight, then retried, returns other
// messages with no error, and the first ones come back only after the
// visibility timeout (the late batches at the end of a campaign bench).
func logFailedAttempts(log *slog.Logger) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("runner-failed-attempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleFinalize(ctx, in)
				if err != nil {
					log.WarnContext(ctx, "SQS attempt failed", "operation", awsmiddleware.GetOperationName(ctx), "error", err.Error())
				}
				return out, md, err
			}), "Retry", middleware.After)
	}
}

// receivedIDs remembers when each message id was first received, up to
// a bound (then it starts again: a local run's diagnostics, not a
// guarantee).
type receivedIDs struct {
	mu sync.Mutex
	at map[string]time.Time
}

const receivedIDsMax = 500_000

// note records id's receive and reports the first one when it is a repeat.
func (r *receivedIDs) note(id string, now time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if first, ok := r.at[id]; ok {
		return first, true
	}
	if r.at == nil || len(r.at) >= receivedIDsMax {
		r.at = map[string]time.Time{}
	}
	r.at[id] = now
	return time.Time{}, false
}

// slowReceive is a receive slow enough to say so: at receiveGrace the
// call is abandoned while goaws may have marked its messages in flight,
// which then come back only after the visibility timeout.
const slowReceive = 5 * time.Second

// receiveGrace bounds a receive beyond its long poll, for a server that
// never answers.
const receiveGrace = 10 * time.Second

// receive asks for up to max messages, long-polling wait seconds. Stopping
// the poller does not cancel the request: goaws marks the messages it picks
// as in flight before it writes its answer, so a request cancelled in
// between leaves them invisible for a whole visibility timeout with nobody
// holding their receipt handles (issue 8.10). The caller, back with the
// answer, sees the stop and releases what it got; a stop therefore waits for
// at most one long poll (1 s).
func (p *Platform) receive(ctx context.Context, url string, max, wait int32) (*sqs.ReceiveMessageOutput, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(wait)*time.Second+receiveGrace)
	defer cancel()
	start := time.Now()
	defer func() {
		if d := time.Since(start) - time.Duration(wait)*time.Second; d > slowReceive {
			p.log.WarnContext(ctx, "slow receive", "queue_url", url, "beyond_long_poll_ms", d.Milliseconds())
		}
	}()
	return p.sqs.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         max,
		WaitTimeSeconds:             wait,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}, func(o *sqs.Options) {
		// One attempt: goaws marks the messages in flight before it
		// answers, so an answer lost on the way back (seen under load as
		// "deserialization failed ... use of closed network connection"
		// on a 200) strands them for the visibility timeout. The SDK's
		// retry then hid the loss behind other messages; without it the
		// poller logs the failed receive and polls again.
		o.RetryMaxAttempts = 1
	})
}

// release makes received messages visible again at once, for a poller that
// stops before invoking its function with them: Lambda's pollers do not
// hold messages they never delivered for a whole visibility timeout.
func (p *Platform) release(url string, msgs []sqstypes.Message) {
	if len(msgs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// One call per message: goaws has no ChangeMessageVisibilityBatch.
	for _, m := range msgs {
		if _, err := p.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			p.log.WarnContext(ctx, "release a received message", "message_id", aws.ToString(m.MessageId), "error", err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Drain waits until no queue holds a message a poller could take now and no
// poller holds a batch, or ctx ends. `make dev` calls it after the API
// stopped accepting, so what was accepted is processed before it stops.
//
// It does not wait for what it cannot process now: delayed messages
// (deferred sends, paced retries) and messages in flight that no poller
// holds (a failed batch waiting out its visibility timeout, on its way to
// the dead-letter queue). Those stay in the SQS server, whose journal keeps
// them for the next start when it has a data dir (make dev's does).
//
// Two quiet looks in a row are required: between a receive's answer and
// the poller counting its batch as held, a message is briefly neither
// visible nor held.
func (p *Platform) Drain(ctx context.Context) error {
	quiet := 0
	for {
		visible, err := p.visibleMessages(ctx)
		if err != nil {
			return err
		}
		held := p.held.Load()
		if visible == 0 && held == 0 {
			quiet++
			if quiet == 2 {
				return nil
			}
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain queues: %d messages ready, %d batches being processed: %w", visible, held, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// visibleMessages counts the messages the pollers could receive now, over
// every queue. goaws counts every message it holds in
// ApproximateNumberOfMessages (SQS counts only visible ones there) and the
// received or still delayed ones in ApproximateNumberOfMessagesNotVisible.
func (p *Platform) visibleMessages(ctx context.Context) (int, error) {
	n := 0
	for name, url := range p.queueURLs {
		res, err := p.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{
				sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			},
		})
		if err != nil {
			return 0, fmt.Errorf("count messages in %s: %w", name, err)
		}
		all, _ := strconv.Atoi(res.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
		hidden, _ := strconv.Atoi(res.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
		n += max(all-hidden, 0)
	}
	return n, nil
}
