package runner

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Admiral-Piett/goaws/app/models"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/localaws/sqsd"
)

// inProcessGoaws serves the real goaws in this test process, so a test can
// hold goaws's queue lock and choose when a receive picks its messages.
// receives gets a value when a ReceiveMessage request reaches goaws and
// another when goaws has answered it.
func inProcessGoaws(t *testing.T) (endpoint string, receives chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := filepath.Join(t.TempDir(), "goaws.yaml")
	if err := os.WriteFile(cfg, []byte(sqsd.Config(port)), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := make(chan bool)
	h, err := sqsd.Configure(cfg, stop)
	if err != nil {
		t.Fatal(err)
	}
	receives = make(chan string, 16)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ReceiveMessage")
		if rec {
			receives <- "arrived"
		}
		h.ServeHTTP(w, r)
		if rec {
			receives <- "answered"
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); close(stop) })
	return "http://127.0.0.1:" + strconv.Itoa(port), receives
}

func next(t *testing.T, ch chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("goaws receive %s, want %s", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("goaws receive never %s", want)
	}
}

// Issue 8.10: a poller that stops while goaws is picking messages for its
// receive must not leave them in flight for a visibility timeout. goaws
// marks messages in flight before writing its answer; a receive whose
// request was cancelled meanwhile never sees them, and nobody holds their
// receipt handles. The test holds goaws's queue lock so the receive picks
// the message only after the poller was told to stop.
func TestStoppedPollerLeavesNoMessageInFlight(t *testing.T) {
	endpoint, receives := inProcessGoaws(t)
	ctx := context.Background()
	cfg, err := localaws.AWSConfig(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	client := sqs.NewFromConfig(cfg)
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("stall"), Attributes: map[string]string{"VisibilityTimeout": "600"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("accepted")}); err != nil {
		t.Fatal(err)
	}
	p := &Platform{
		sqs: client, queueURLs: map[string]string{"stall": aws.ToString(q.QueueUrl)},
		log:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
		stats: &Stats{Invocations: map[string]int{}, Failures: map[string]int{}, Busy: map[string]time.Duration{}},
	}
	f := catalog.Function{Name: "stall", TimeoutSec: 5, Queue: &catalog.QueueTrigger{Queue: "stall", BatchSize: 10}}

	models.SyncQueues.Lock()
	locked := true
	defer func() {
		if locked {
			models.SyncQueues.Unlock()
		}
	}()
	pctx, stopPoller := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.pollOnce(pctx, f, catalog.Queue{Name: "stall"}) }()
	next(t, receives, "arrived") // and waiting for the lock held above
	stopPoller()
	var stopped error
	returned := false
	select { // a poller that gives up on its request returns now
	case stopped = <-done:
		returned = true
	case <-time.After(300 * time.Millisecond):
	}
	models.SyncQueues.Unlock()
	locked = false
	next(t, receives, "answered") // the message was picked and marked in flight
	if !returned {
		select {
		case stopped = <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("poller never stopped")
		}
	}
	if stopped != nil {
		t.Fatal(stopped)
	}
	if inv, _ := p.stats.Snapshot(); inv["stall"] != 0 {
		t.Fatalf("a stopped poller invoked its function %d times", inv["stall"])
	}
	res, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 1 || aws.ToString(res.Messages[0].Body) != "accepted" {
		t.Fatalf("after the poller stopped, %d messages visible; the accepted one is stranded in flight for the 600 s visibility timeout", len(res.Messages))
	}
}
