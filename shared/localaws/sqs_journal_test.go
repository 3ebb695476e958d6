package localaws_test

import (
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/shared/localaws"
)

// With a data dir the SQS server journals: after SIGKILL (no chance to
// flush anything), every message it acknowledged and nobody deleted is back,
// in flight ones visible again, a delayed one still delayed; deleted and
// purged ones stay gone.
func TestSQSJournalSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Not start(): its clean-up would report the kill below as a crash.
	p, err := localaws.StartSQS(t.Context(), localaws.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	q := sqs.NewFromConfig(awsConfig(t, p))
	kept, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("kept"), Attributes: map[string]string{"VisibilityTimeout": "600"}})
	if err != nil {
		t.Fatal(err)
	}
	purged, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("purged")})
	if err != nil {
		t.Fatal(err)
	}
	send := func(url *string, body string, delay int32) {
		t.Helper()
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(body), DelaySeconds: delay}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"deleted-1", "deleted-2", "in-flight", "waiting"} {
		send(kept.QueueUrl, b, 0)
	}
	send(kept.QueueUrl, "delayed", 30)
	send(purged.QueueUrl, "purged", 0)
	if _, err := q.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: purged.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	// Receive three; delete two (one alone, one in a batch); the third stays in flight.
	var got []sqstypes.Message
	for len(got) < 4 {
		res, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: kept.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			break
		}
		got = append(got, res.Messages...)
	}
	byBody := map[string]sqstypes.Message{}
	for _, m := range got {
		byBody[aws.ToString(m.Body)] = m
	}
	if len(byBody) != 4 {
		t.Fatalf("received %d distinct messages before the crash, want 4 (the delayed one not yet)", len(byBody))
	}
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: kept.QueueUrl, ReceiptHandle: byBody["deleted-1"].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: kept.QueueUrl, Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: byBody["deleted-2"].ReceiptHandle},
	}}); err != nil {
		t.Fatal(err)
	}
	// "waiting" goes back to visible; "in-flight" stays received.
	if _, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: kept.QueueUrl, ReceiptHandle: byBody["waiting"].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	// Deletes are journaled without waiting for a sync; one more send is
	// (its sync carries them), as in a running system.
	send(kept.QueueUrl, "last", 0)

	if err := syscall.Kill(-p.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if err := p.Stop(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("stop after SIGKILL: %v", err)
	}

	p2 := start(t, localaws.StartSQS, localaws.Options{DataDir: dir})
	q2 := sqs.NewFromConfig(awsConfig(t, p2))
	url, err := q2.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("kept")})
	if err != nil {
		t.Fatalf("queue gone after the crash: %v", err)
	}
	attrs, err := q2.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"VisibilityTimeout"}})
	if err != nil || attrs.Attributes["VisibilityTimeout"] != "600" {
		t.Errorf("queue attributes after the crash: %v, %v", attrs, err)
	}
	bodies := func(url *string) []string {
		var out []string
		res, err := q2.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Messages {
			out = append(out, aws.ToString(m.Body))
		}
		sort.Strings(out)
		return out
	}
	if got := strings.Join(bodies(url.QueueUrl), ","); got != "in-flight,last,waiting" {
		t.Errorf("visible after the crash: %s, want in-flight,last,waiting", got)
	}
	pu, err := q2.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("purged")})
	if err != nil {
		t.Fatal(err)
	}
	if got := bodies(pu.QueueUrl); len(got) != 0 {
		t.Errorf("purged queue holds %v after the crash", got)
	}
	// The delayed message kept what was left of its 30 s delay: it is
	// neither visible yet nor lost.
	d, err := q2.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	// goaws counts every held message in ApproximateNumberOfMessages and
	// received or delayed ones in NotVisible: 3 just received + 1 delayed.
	if d.Attributes["ApproximateNumberOfMessages"] != "4" || d.Attributes["ApproximateNumberOfMessagesNotVisible"] != "4" {
		t.Errorf("after the crash: %v, want 4 held, 4 not visible (3 received now, 1 delayed)", d.Attributes)
	}
	// SendMessageBatch would bypass the journal: refused.
	_, err = q2.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url.QueueUrl, Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("1"), MessageBody: aws.String("x")}}})
	if err == nil {
		t.Error("SendMessageBatch accepted by the journaling server")
	}
}
