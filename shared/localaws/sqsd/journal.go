package sqsd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A Journal makes goaws's queues survive a crash. It sits in front of
// goaws's handler: a SendMessage (or CreateQueue) is written to the file and
// fsynced before goaws's 200 goes out, so whatever a client was told is
// accepted is on disk. Deletes and purges are appended without waiting
// (they reach the disk with the next fsync): one lost at a crash only
// brings a message back, and every consumer here is idempotent.
//
// Concurrent requests share an fsync (group commit): a write is appended to
// a buffer, and one goroutine writes and syncs whatever accumulated while
// the previous sync ran.
//
// On open, the journal is replayed into goaws: queues are created again
// and every message sent and not deleted is sent again (with what is left
// of its delay), under a new message id; the file is then rewritten to
// hold only that. What is not kept: receive counts and in-flight state (a
// message in flight at the crash is visible again at once), and messages
// goaws itself moved to a dead-letter queue (they return to their source
// queue, to be retried and dead-lettered again). SendMessageBatch is
// refused while journaling: goaws's answer to it does not carry usable
// message ids, and nothing here uses it.
type Journal struct {
	next http.Handler
	f    *os.File
	// Replayed is how many messages the journal put back at open.
	Replayed int

	mu      sync.Mutex
	buf     []byte
	waiters []chan error
	err     error // sticky: after a failed write nothing is acknowledged
	closed  bool

	kick chan struct{}
	done chan struct{}
}

// record is one line of the journal file.
type record struct {
	Op    string          `json:"op"` // create, send, del, purge, dropq
	Queue string          `json:"q"`
	ID    string          `json:"id,omitempty"`
	At    int64           `json:"at,omitempty"` // Unix ms the send was accepted (for its delay)
	Req   json.RawMessage `json:"req,omitempty"`
}

// OpenJournal replays the journal at path (if any) into goaws's handler
// next, compacts it, and returns a handler that journals from now on.
func OpenJournal(path string, next http.Handler) (*Journal, error) {
	recs, err := readJournal(path)
	if err != nil {
		return nil, err
	}
	kept, err := replay(recs, next, time.Now())
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	if err := rewrite(path, kept); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	j := &Journal{next: next, f: f, kick: make(chan struct{}, 1), done: make(chan struct{})}
	for _, r := range kept {
		if r.Op == "send" {
			j.Replayed++
		}
	}
	go j.run()
	return j, nil
}

func readJournal(path string) ([]record, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			// A line cut short by the crash: it was never acknowledged
			// (the fsync it waited for did not finish), and nothing follows.
			break
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	return recs, nil
}

// replay applies the surviving records to goaws and returns the records
// that describe its state afterwards.
func replay(recs []record, h http.Handler, now time.Time) ([]record, error) {
	deleted := map[string]bool{}
	for _, r := range recs {
		if r.Op == "del" {
			// Order-free: a delete can be journaled before the send it
			// deletes (the send's record is written after goaws took it).
			deleted[r.ID] = true
		}
	}
	var creates []record
	var sends []record
	for _, r := range recs {
		switch r.Op {
		case "create":
			if !hasQueue(creates, r.Queue) {
				creates = append(creates, r)
			}
		case "send":
			if !deleted[r.ID] {
				sends = append(sends, r)
			}
		case "purge", "dropq":
			sends = dropQueue(sends, r.Queue)
			if r.Op == "dropq" {
				creates = dropQueue(creates, r.Queue)
			}
		}
	}
	kept := make([]record, 0, len(creates)+len(sends))
	for _, c := range creates {
		if _, err := call(h, "CreateQueue", c.Req); err != nil {
			return nil, fmt.Errorf("create queue %s: %w", c.Queue, err)
		}
		kept = append(kept, c)
	}
	for _, s := range sends {
		if !hasQueue(creates, s.Queue) {
			continue
		}
		var req map[string]any
		if err := json.Unmarshal(s.Req, &req); err != nil {
			return nil, fmt.Errorf("send to %s: %w", s.Queue, err)
		}
		delay, _ := req["DelaySeconds"].(float64)
		due := time.UnixMilli(s.At).Add(time.Duration(delay) * time.Second)
		req["DelaySeconds"] = max(0, int((due.Sub(now)+time.Second-1)/time.Second))
		raw, _ := json.Marshal(req)
		out, err := call(h, "SendMessage", raw)
		if err != nil {
			return nil, fmt.Errorf("send to %s: %w", s.Queue, err)
		}
		var res struct{ MessageId string }
		if err := json.Unmarshal(out, &res); err != nil || res.MessageId == "" {
			return nil, fmt.Errorf("send to %s: answer %s", s.Queue, out)
		}
		kept = append(kept, record{Op: "send", Queue: s.Queue, ID: res.MessageId, At: now.UnixMilli(), Req: raw})
	}
	return kept, nil
}

func hasQueue(recs []record, q string) bool {
	for _, r := range recs {
		if r.Queue == q {
			return true
		}
	}
	return false
}

func dropQueue(recs []record, q string) []record {
	out := recs[:0]
	for _, r := range recs {
		if r.Queue != q {
			out = append(out, r)
		}
	}
	return out
}

// call runs one SQS JSON-protocol action against goaws's handler.
func call(h http.Handler, action string, body []byte) ([]byte, error) {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", jsonProtocol)
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d: %s", action, rec.Code, rec.Body.Bytes())
	}
	return rec.Body.Bytes(), nil
}

// rewrite replaces the journal with recs, atomically.
func rewrite(path string, recs []record) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("compact journal: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, r := range recs {
		line, _ := json.Marshal(r)
		w.Write(line)
		w.WriteByte('\n')
	}
	err = errors.Join(w.Flush(), f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("compact journal: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

const jsonProtocol = "application/x-amz-json-1.0"

// ServeHTTP journals what changes the queues, then answers as goaws did.
func (j *Journal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	action := target[strings.LastIndex(target, ".")+1:]
	journaled := map[string]bool{"CreateQueue": true, "SendMessage": true, "DeleteMessage": true,
		"DeleteMessageBatch": true, "PurgeQueue": true, "DeleteQueue": true, "SendMessageBatch": true}
	if r.URL.Path != "/health" && r.Header.Get("Content-Type") != jsonProtocol {
		// The query protocol (GET or form POST) would bypass the journal.
		http.Error(w, "the journaling SQS server speaks only the JSON protocol", http.StatusBadRequest)
		return
	}
	if !journaled[action] {
		j.next.ServeHTTP(w, r)
		return
	}
	if action == "SendMessageBatch" {
		writeError(w, "AWS.SimpleQueueService.UnsupportedOperation", "SendMessageBatch is not journaled; use SendMessage")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, "InvalidParameterValue", "read request: "+err.Error())
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	j.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		if err := j.journal(action, body, rec.Body.Bytes()); err != nil {
			// Not on disk: the client must not be told it was accepted.
			writeError(w, "InternalError", "journal: "+err.Error())
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func writeError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", jsonProtocol)
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// queueOf is the queue name at the end of a queue URL.
func queueOf(url string) string { return url[strings.LastIndex(url, "/")+1:] }

// idOf is the message id inside a goaws receipt handle ("<id>#<random>").
func idOf(handle string) string { id, _, _ := strings.Cut(handle, "#"); return id }

func (j *Journal) journal(action string, req, resp []byte) error {
	var in struct {
		QueueName, QueueUrl, ReceiptHandle string
		Entries                            []struct{ Id, ReceiptHandle string }
	}
	if err := json.Unmarshal(req, &in); err != nil {
		return fmt.Errorf("%s request: %w", action, err)
	}
	switch action {
	case "CreateQueue":
		return j.append(true, record{Op: "create", Queue: in.QueueName, Req: req})
	case "SendMessage":
		var out struct{ MessageId string }
		if err := json.Unmarshal(resp, &out); err != nil || out.MessageId == "" {
			return fmt.Errorf("SendMessage answer without a message id: %s", resp)
		}
		return j.append(true, record{Op: "send", Queue: queueOf(in.QueueUrl), ID: out.MessageId, At: time.Now().UnixMilli(), Req: req})
	case "DeleteMessage":
		return j.append(false, record{Op: "del", Queue: queueOf(in.QueueUrl), ID: idOf(in.ReceiptHandle)})
	case "DeleteMessageBatch":
		var out struct{ Successful []struct{ Id string } }
		if err := json.Unmarshal(resp, &out); err != nil {
			return fmt.Errorf("DeleteMessageBatch answer: %w", err)
		}
		handles := map[string]string{}
		for _, e := range in.Entries {
			handles[e.Id] = e.ReceiptHandle
		}
		var recs []record
		for _, s := range out.Successful {
			recs = append(recs, record{Op: "del", Queue: queueOf(in.QueueUrl), ID: idOf(handles[s.Id])})
		}
		return j.append(false, recs...)
	case "PurgeQueue":
		return j.append(false, record{Op: "purge", Queue: queueOf(in.QueueUrl)})
	case "DeleteQueue":
		return j.append(true, record{Op: "dropq", Queue: queueOf(in.QueueUrl)})
	}
	return nil
}

// append adds records to the next write; durable waits until they are
// fsynced.
func (j *Journal) append(durable bool, recs ...record) error {
	var ch chan error
	j.mu.Lock()
	if j.err != nil || j.closed {
		err := j.err
		j.mu.Unlock()
		if err == nil {
			err = errors.New("journal closed")
		}
		return err
	}
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			j.mu.Unlock()
			return err
		}
		j.buf = append(append(j.buf, line...), '\n')
	}
	if durable {
		ch = make(chan error, 1)
		j.waiters = append(j.waiters, ch)
	}
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default:
	}
	if ch == nil {
		return nil
	}
	return <-ch
}

// run writes and fsyncs what accumulated, one group at a time.
func (j *Journal) run() {
	defer close(j.done)
	for range j.kick {
		if last := j.flush(); last {
			return
		}
	}
}

func (j *Journal) flush() (last bool) {
	j.mu.Lock()
	buf, ws, closed := j.buf, j.waiters, j.closed
	j.buf, j.waiters = nil, nil
	j.mu.Unlock()
	var err error
	if len(buf) > 0 {
		_, err = j.f.Write(buf)
		if err == nil {
			err = j.f.Sync()
		}
	}
	if err != nil {
		j.mu.Lock()
		j.err = fmt.Errorf("write journal: %w", err)
		j.mu.Unlock()
	}
	for _, w := range ws {
		w <- err
	}
	return closed
}

// Close writes what is pending and closes the file; later writes fail.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default:
	}
	<-j.done
	return j.f.Close()
}
