package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	ddbtypes "github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/localaws"
)

// start runs one server for the test, failing (never skipping) when it cannot: a
// missing install must be noticed, and the error says to run `make tools`.
func start(t *testing.T, fn func(context.Context, localaws.Options) (*localaws.Process, error), o localaws.Options) *localaws.Process {
	t.Helper()
	began := time.Now()
	p, err := fn(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s ready at %s (pid %d) in %s", p.Name, p.Endpoint, p.PID, time.Since(began).Round(time.Millisecond))
	if !strings.HasPrefix(p.Endpoint, "http://127.0.0.1:") {
		t.Errorf("endpoint %q is not on loopback", p.Endpoint)
	}
	t.Cleanup(func() { stopAndCheckGone(t, p) })
	return p
}

// stopAndCheckGone stops p and checks that nothing of its process group survived.
func stopAndCheckGone(t *testing.T, p *localaws.Process) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Errorf("stop %s: %v", p.Name, err)
	}
	waitGone(t, p, time.Second)
}

func waitGone(t *testing.T, p *localaws.Process, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		// Signal 0 only checks existence; ESRCH means no process is left in the group.
		err := syscall.Kill(-p.PID, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: process group %d still has processes after stop (kill: %v)", p.Name, p.PID, err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func awsConfig(t *testing.T, p *localaws.Process) aws.Config {
	t.Helper()
	cfg, err := localaws.AWSConfig(t.Context(), p.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestToolsMissingIsAnError(t *testing.T) {
	root := t.TempDir() // a repo root with nothing installed
	for name, fn := range map[string]func(context.Context, localaws.Options) (*localaws.Process, error){
		"dynamodb": localaws.StartDynamoDB,
		"sqs":      localaws.StartSQS,
		"ses":      localaws.StartSES,
	} {
		p, err := fn(t.Context(), localaws.Options{Root: root})
		if p != nil {
			_ = p.Stop()
		}
		if !errors.Is(err, localaws.ErrToolsMissing) {
			t.Errorf("%s: got %v, want ErrToolsMissing", name, err)
		} else if !strings.Contains(err.Error(), "make tools") {
			t.Errorf("%s: error %q does not say how to install", name, err)
		}
	}
}

func TestRepoRootFindsGoMod(t *testing.T) {
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("RepoRoot %s has no go.mod: %v", root, err)
	}
}

// A developer's shell or CI may point the SDK at a real account; none of it may leak in.
func TestAWSConfigIgnoresEnvironment(t *testing.T) {
	t.Setenv("AWS_PROFILE", "no-such-profile")
	t.Setenv("AWS_REGION", "eu-west-3")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
	t.Setenv("AWS_ENDPOINT_URL_SQS", "https://sqs.eu-west-3.amazonaws.com")
	cfg, err := localaws.AWSConfig(t.Context(), "http://127.0.0.1:4100")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" || creds.AccessKeyID != "local" || creds.SecretAccessKey != "local" ||
		aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:4100" {
		t.Errorf("got region %q, key %q/%q, endpoint %q", cfg.Region, creds.AccessKeyID, creds.SecretAccessKey, aws.ToString(cfg.BaseEndpoint))
	}
	if _, err := localaws.AWSConfig(t.Context(), "127.0.0.1:4100"); err == nil {
		t.Error("AWSConfig accepted an endpoint without a scheme")
	}
}

func TestDynamoDB(t *testing.T) {
	t.Parallel()
	p := start(t, localaws.StartDynamoDB, localaws.Options{})
	ctx := t.Context()
	db := dynamodb.NewFromConfig(awsConfig(t, p))

	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String("contacts"),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}

	item := func(pk, sk string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: pk},
			"sk": &ddbtypes.AttributeValueMemberS{Value: sk},
		}
	}
	putNew := &dynamodb.PutItemInput{
		TableName:           aws.String("contacts"),
		Item:                item("CONTACT#1", "PROFILE"),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}
	if _, err := db.PutItem(ctx, putNew); err != nil {
		t.Fatalf("first conditional PutItem: %v", err)
	}
	_, err = db.PutItem(ctx, putNew)
	var ccf *ddbtypes.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("second conditional PutItem: got %v, want ConditionalCheckFailedException", err)
	}

	// Uniqueness the way the stores do it: the item plus a guard item, all or nothing.
	register := func(id, email string) error {
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
			TransactItems: []ddbtypes.TransactWriteItem{
				{Put: &ddbtypes.Put{
					TableName:           aws.String("contacts"),
					Item:                item("CONTACT#"+id, "PROFILE"),
					ConditionExpression: aws.String("attribute_not_exists(pk)"),
				}},
				{Put: &ddbtypes.Put{
					TableName:           aws.String("contacts"),
					Item:                item("EMAIL#"+email, "GUARD"),
					ConditionExpression: aws.String("attribute_not_exists(pk)"),
				}},
			},
		})
		return err
	}
	if err := register("2", "a@example.com"); err != nil {
		t.Fatalf("TransactWriteItems: %v", err)
	}
	err = register("3", "a@example.com")
	var tce *ddbtypes.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("duplicate TransactWriteItems: got %v, want TransactionCanceledException", err)
	}
	if len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[1].Code) != "ConditionalCheckFailed" {
		t.Errorf("cancellation reasons = %+v, want the guard item's ConditionalCheckFailed", tce.CancellationReasons)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("contacts"), Key: item("CONTACT#3", "PROFILE")})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item != nil {
		t.Errorf("cancelled transaction still wrote CONTACT#3")
	}
}

func TestDynamoDBDataDirSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, localaws.StartDynamoDB, localaws.Options{DataDir: dir})
	db := dynamodb.NewFromConfig(awsConfig(t, p))
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("kept"),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	stopAndCheckGone(t, p)

	p2 := start(t, localaws.StartDynamoDB, localaws.Options{DataDir: dir})
	out, err := dynamodb.NewFromConfig(awsConfig(t, p2)).ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables after restart: %v", err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "kept" {
		t.Errorf("tables after restart = %v, want [kept]", out.TableNames)
	}
}

func TestSQS(t *testing.T) {
	t.Parallel()
	p := start(t, localaws.StartSQS, localaws.Options{})
	ctx := t.Context()
	q := sqs.NewFromConfig(awsConfig(t, p))

	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("events-dlq")})
	if err != nil {
		t.Fatalf("CreateQueue dlq: %v", err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       dlq.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes dlq: %v", err)
	}
	dlqArn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if dlqArn == "" {
		t.Fatalf("dlq has no QueueArn: %v", attrs.Attributes)
	}
	redrive, _ := json.Marshal(map[string]string{"deadLetterTargetArn": dlqArn, "maxReceiveCount": "2"})
	events, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String("events"),
		Attributes: map[string]string{
			"VisibilityTimeout": "1",
			"RedrivePolicy":     string(redrive),
		},
	})
	if err != nil {
		t.Fatalf("CreateQueue with redrive policy: %v", err)
	}

	_, err = q.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    events.QueueUrl,
		MessageBody: aws.String(`{"contactId":"c1"}`),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("contact.created")},
		},
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}

	receive := func(url *string) []sqstypes.Message {
		t.Helper()
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    url,
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             1,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		return out.Messages
	}

	msgs := receive(events.QueueUrl)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	if got := aws.ToString(msgs[0].Body); got != `{"contactId":"c1"}` {
		t.Errorf("body = %q", got)
	}
	if got := aws.ToString(msgs[0].MessageAttributes["kind"].StringValue); got != "contact.created" {
		t.Errorf("message attribute kind = %q", got)
	}

	// Not deleted: after VisibilityTimeout it comes back, and after maxReceiveCount
	// receives goaws moves it to the dead-letter queue.
	waitFor(t, 10*time.Second, "message to return after its visibility timeout", func() bool {
		return len(receive(events.QueueUrl)) == 1
	})
	var dead []sqstypes.Message
	waitFor(t, 10*time.Second, "message to reach the dead-letter queue", func() bool {
		dead = receive(dlq.QueueUrl)
		return len(dead) == 1
	})
	if got := aws.ToString(dead[0].Body); got != `{"contactId":"c1"}` {
		t.Errorf("dead-letter body = %q", got)
	}

	del, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
		QueueUrl: dlq.QueueUrl,
		Entries:  []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: dead[0].ReceiptHandle}},
	})
	if err != nil {
		t.Fatalf("DeleteMessageBatch: %v", err)
	}
	if len(del.Successful) != 1 || len(del.Failed) != 0 {
		t.Errorf("DeleteMessageBatch: successful %v, failed %v", del.Successful, del.Failed)
	}

	// The normal path: receive, then delete.
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: events.QueueUrl, MessageBody: aws.String("second")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	msgs = receive(events.QueueUrl)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: events.QueueUrl, ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	time.Sleep(2500 * time.Millisecond) // past the visibility timeout: a deleted message must not return
	if left := receive(events.QueueUrl); len(left) != 0 {
		t.Errorf("deleted message came back: %v", left)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSES(t *testing.T) {
	t.Parallel()
	p := start(t, localaws.StartSES, localaws.Options{})
	ctx := t.Context()
	ses := sesv2.NewFromConfig(awsConfig(t, p))

	_, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("news@leadflow.test"),
		Destination:      &sestypes.Destination{ToAddresses: []string{"ada@example.com"}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("Welcome")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String("Hello Ada")},
				Html: &sestypes.Content{Data: aws.String("<p>Hello Ada</p>")},
			},
			Headers: []sestypes.MessageHeader{{Name: aws.String("List-Unsubscribe"), Value: aws.String("<https://leadflow.test/u/1>")}},
		}},
		EmailTags: []sestypes.MessageTag{{Name: aws.String("campaign"), Value: aws.String("c1")}},
	})
	if err != nil {
		t.Fatalf("SendEmail simple: %v", err)
	}

	raw := "From: News <news@leadflow.test>\r\nTo: Bob <bob@example.com>\r\nSubject: Raw hello\r\n" +
		"List-Unsubscribe: <https://leadflow.test/u/2>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Bob\r\n"
	_, err = ses.SendEmail(ctx, &sesv2.SendEmailInput{
		Destination: &sestypes.Destination{ToAddresses: []string{"bob@example.com"}},
		Content:     &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte(raw)}},
	})
	if err != nil {
		t.Fatalf("SendEmail raw: %v", err)
	}

	sent, err := localaws.SentEmails(ctx, p.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 {
		t.Fatalf("store has %d emails, want 2: %+v", len(sent), sent)
	}
	simple := sent[0]
	if simple.Subject != "Welcome" || simple.From != "news@leadflow.test" ||
		fmt.Sprint(simple.Destination.To) != "[ada@example.com]" ||
		simple.Body.Text != "Hello Ada" || simple.Body.HTML != "<p>Hello Ada</p>" {
		t.Errorf("simple email stored as %+v", simple)
	}
	if len(simple.Headers) != 1 || simple.Headers[0].Name != "List-Unsubscribe" {
		t.Errorf("simple email headers = %+v, want List-Unsubscribe", simple.Headers)
	}
	rawSent := sent[1]
	if rawSent.Subject != "Raw hello" || !strings.Contains(rawSent.Body.Text, "Hello Bob") ||
		len(rawSent.Destination.To) != 1 || !strings.Contains(rawSent.Destination.To[0], "bob@example.com") {
		t.Errorf("raw email stored as %+v", rawSent)
	}

	if err := localaws.ClearSentEmails(ctx, p.Endpoint); err != nil {
		t.Fatal(err)
	}
	if sent, err := localaws.SentEmails(ctx, p.Endpoint); err != nil || len(sent) != 0 {
		t.Errorf("after clear: %d emails, err %v", len(sent), err)
	}
}

func TestCancelledContextStopsServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	p, err := localaws.StartSES(ctx, localaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10s after its context was cancelled")
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop after cancel: %v", err)
	}
	waitGone(t, p, time.Second)
}

func TestFixedPortAndLogFile(t *testing.T) {
	t.Parallel()
	port, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "logs", "sqs.log")
	p := start(t, localaws.StartSQS, localaws.Options{Port: port, LogFile: logFile})
	if p.Port != port || p.Endpoint != fmt.Sprintf("http://127.0.0.1:%d", port) {
		t.Errorf("got port %d endpoint %s, want %d", p.Port, p.Endpoint, port)
	}
	stopAndCheckGone(t, p)
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	if !strings.Contains(string(b), "listening") {
		t.Errorf("log file does not show goaws starting: %q", b)
	}
}

func TestTakenPortIsReported(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	p, err := localaws.StartSQS(t.Context(), localaws.Options{Port: port})
	if err == nil {
		_ = p.Stop()
		t.Fatalf("StartSQS on taken port %d succeeded", port)
	}
	if !errors.Is(err, localaws.ErrPortTaken) {
		t.Errorf("error does not say the port is taken: %v", err)
	}
}

// A port held by another run's server, which answers the readiness check,
// must not pass for this run's own server (issue 8.7): make dev would print
// "running" and write into someone else's data.
func TestPortHeldByAnotherServerIsNotShared(t *testing.T) {
	t.Parallel()
	port, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	first, err := localaws.StartSQS(t.Context(), localaws.Options{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop()
	second, err := localaws.StartSQS(t.Context(), localaws.Options{Port: port})
	if err == nil {
		_ = second.Stop()
		t.Fatalf("a second SQS server 'started' on port %d, held by the first", port)
	}
	if !errors.Is(err, localaws.ErrPortTaken) {
		t.Errorf("error does not say the port is taken: %v", err)
	}
}
