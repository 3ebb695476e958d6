// Command restart measures what stopping the local runner loses. It builds
// `./local` (what `make dev` runs), starts it as a child with its own state
// directory and ports, posts events the way a Segment client does (each
// batch retried with the same messageIds until it is answered 200), stops
// the runner half-way with the given signal, starts it again on the same
// state, finishes posting, and then counts what reached the contacts.
//
//	go run ./bench/restart -signal KILL -events 4000
//	go run ./bench/restart -signal TERM -events 4000
//
// "lost" is accepted (answered 200) and never counted on a contact;
// "uncounted" is on a contact's timeline but not in its event_count.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leadflow/leadflow/shared/localaws"
)

func main() {
	sig := flag.String("signal", "KILL", "how the runner is stopped half-way: KILL or TERM")
	events := flag.Int("events", 4000, "events to post")
	batch := flag.Int("batch", 10, "events per /v1/batch request")
	visitors := flag.Int("visitors", 200, "anonymous visitors the events are spread over")
	workers := flag.Int("workers", 8, "concurrent posters")
	settle := flag.Duration("settle", 5*time.Minute, "how long to wait for the counts to reach what was accepted")
	keep := flag.Bool("keep", false, "keep the runner's state and output (printed) for a look afterwards")
	flag.Parse()
	signal := map[string]syscall.Signal{"KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM}[*sig]
	if signal == 0 {
		fatalf("-signal must be KILL or TERM")
	}
	root, err := localaws.RepoRoot()
	check(err)
	work, err := os.MkdirTemp("", "leadflow-restart-")
	check(err)
	if *keep {
		fmt.Println("state and runner output kept in", work)
	} else {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "leadflow-local")
	build := exec.Command("go", "build", "-o", bin, "./local")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	check(build.Run())

	r := &runnerProc{bin: bin, root: root, state: filepath.Join(work, "state"), token: "lf_admin_restartbench", key: "lf_site_restartbench"}
	for _, p := range []*int{&r.api, &r.ddb, &r.sqs, &r.ses} {
		*p = freePort()
	}
	check(r.start())
	defer r.stopHard()

	// Batches are posted in order by the workers; the runner is stopped
	// once half of them are accepted, while the rest keep coming.
	n := (*events + *batch - 1) / *batch
	var accepted atomic.Int64
	var failedPosts atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for b := range jobs {
				body := batchBody(b, *batch, *events, *visitors)
				for {
					if r.post(body) {
						accepted.Add(1)
						break
					}
					failedPosts.Add(1)
					time.Sleep(200 * time.Millisecond) // a client's retry
				}
			}
		})
	}
	stopped := make(chan time.Duration, 1)
	go func() {
		for accepted.Load() < int64(n/2) {
			time.Sleep(10 * time.Millisecond)
		}
		began := time.Now()
		check(r.signal(signal))
		r.wait()
		down := time.Since(began)
		check(r.start())
		stopped <- down
	}()
	start := time.Now()
	for b := range n {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	posting := time.Since(start)
	down := <-stopped
	fmt.Printf("posted %d events in %d batches of %d over %d visitors in %s; SIG%s after %d batches; the runner took %s to stop; %d posts failed and were retried\n",
		*events, n, *batch, *visitors, time.Since(start).Round(time.Millisecond), *sig, n/2, down.Round(time.Millisecond), failedPosts.Load())

	// Count until everything accepted is on a contact, or nothing moves.
	var counted, timeline, split int
	deadline := time.Now().Add(*settle)
	last, lastChange := -1, time.Now()
	for time.Now().Before(deadline) {
		counted, timeline, split = r.count(*visitors)
		if counted >= *events && timeline >= *events {
			break
		}
		if counted+timeline != last {
			last, lastChange = counted+timeline, time.Now()
		} else if time.Since(lastChange) > 45*time.Second && r.queued() == 0 {
			// Nothing moves and nothing is left in the SQS server. While
			// something is (in flight, say, for up to the events queue's
			// 180 s visibility timeout), keep waiting: that is late, not lost.
			break
		}
		time.Sleep(2 * time.Second)
	}
	fmt.Printf("\n== SIG%s once, %d events accepted ==\n", *sig, *events)
	fmt.Printf("counted on contacts (event_count)  %d\n", counted)
	fmt.Printf("rows on contact timelines          %d\n", timeline)
	fmt.Printf("lost (accepted, never counted)     %d\n", max(*events-counted, 0))
	fmt.Printf("counted twice                      %d\n", max(counted-*events, 0))
	fmt.Printf("on a timeline but not counted      %d\n", max(timeline-counted, 0))
	fmt.Printf("visitors without exactly 1 contact %d\n", split)
	fmt.Printf("messages still in the events queue %d (each one request of %d events)\n", r.queued(), *batch)
	fmt.Printf("last count changed %s after the posting ended\n", lastChange.Sub(start.Add(posting)).Round(time.Second))
}

// batchBody is batch b: events b*size .. (b+1)*size-1, each with a fixed
// messageId, so a retry is recognisably the same event.
func batchBody(b, size, total, visitors int) []byte {
	var evs []map[string]any
	for i := b * size; i < min((b+1)*size, total); i++ {
		evs = append(evs, map[string]any{
			"type": "track", "event": "Restart Bench", "messageId": fmt.Sprintf("rb-%06d", i),
			"anonymousId": fmt.Sprintf("rb-visitor-%04d", i%visitors),
			"properties":  map[string]any{"i": i},
		})
	}
	body, _ := json.Marshal(map[string]any{"batch": evs})
	return body
}

type runnerProc struct {
	bin, root, state, token, key string
	api, ddb, sqs, ses           int
	cmd                          *exec.Cmd
	exited                       chan struct{}
	mu                           sync.Mutex
}

func (r *runnerProc) start() error {
	cmd := exec.Command(r.bin)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(r.api), "LEADFLOW_DYNAMODB_PORT="+strconv.Itoa(r.ddb),
		"LEADFLOW_SQS_PORT="+strconv.Itoa(r.sqs), "LEADFLOW_SES_PORT="+strconv.Itoa(r.ses),
		"LEADFLOW_STATE_DIR="+r.state, "LEADFLOW_ADMIN_TOKEN="+r.token, "LEADFLOW_SITE_KEY="+r.key)
	log, err := os.OpenFile(filepath.Join(filepath.Dir(r.state), "runner.out"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(exited) }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(filepath.Dir(r.state), "runner.out"))
			return fmt.Errorf("runner exited at start:\n%s", out)
		default:
		}
		if code, _ := r.get("/v1/contacts?limit=1"); code == 200 {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("runner not ready after 3 minutes")
}

func (r *runnerProc) signal(s syscall.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cmd.Process.Signal(s)
}

func (r *runnerProc) wait() {
	r.mu.Lock()
	ch := r.exited
	r.mu.Unlock()
	<-ch
	// The servers die with the runner (parent-death signal); give the
	// kernel a moment to free their ports.
	time.Sleep(500 * time.Millisecond)
}

func (r *runnerProc) stopHard() {
	r.signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(45 * time.Second):
		r.signal(syscall.SIGKILL)
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

func (r *runnerProc) post(body []byte) bool {
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/v1/batch", r.api), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Site-Key", r.key)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 200
}

func (r *runnerProc) get(path string) (int, map[string]any) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", r.api, path), nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// count sums event_count and timeline rows over every contact of every
// visitor; split says how many visitors have other than one contact.
func (r *runnerProc) count(visitors int) (counted, timeline, split int) {
	for v := range visitors {
		code, body := r.get(fmt.Sprintf("/v1/contacts?anonymous_id=rb-visitor-%04d", v))
		list, _ := body["contacts"].([]any)
		if code != 200 {
			continue
		}
		if len(list) != 1 {
			split++
		}
		for _, c := range list {
			id, _ := c.(map[string]any)["id"].(string)
			code, c := r.get("/v1/contacts/" + id + "?events=500")
			if code != 200 {
				continue
			}
			n, _ := c["event_count"].(float64)
			evs, _ := c["events"].([]any)
			counted += int(n)
			timeline += len(evs)
		}
	}
	return counted, timeline, split
}

// queued is every message the SQS server holds in the events queue
// (visible, in flight or delayed), read with the JSON protocol.
func (r *runnerProc) queued() int {
	body := fmt.Sprintf(`{"QueueUrl":"http://127.0.0.1:%d/000000000000/events","AttributeNames":["ApproximateNumberOfMessages"]}`, r.sqs)
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/", r.sqs), bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueAttributes")
	resp, err := client.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var out struct{ Attributes map[string]string }
	json.NewDecoder(resp.Body).Decode(&out)
	n, err := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	if err != nil {
		return -1
	}
	return n
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func check(err error) {
	if err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "restart bench: "+format+"\n", args...)
	os.Exit(1)
}
