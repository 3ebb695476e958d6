package imports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// memStore, memBlobs and memQueue are in-memory versions of the ports,
// with the same conditions as the DynamoDB and S3 adapters (version check,
// claims by line), so the runner's retry logic can be driven step by step.
type memStore struct {
	mu     sync.Mutex
	imps   map[string]Import
	claims map[string]int
	// links are the email identity links (the contacts).
	links      map[string]memLink
	seq        int
	claimCalls int
	// failSave makes the next SaveImport fail as a crash before the commit.
	failSave bool
}

func newMemStore() *memStore {
	return &memStore{imps: map[string]Import{}, claims: map[string]int{}, links: map[string]memLink{}}
}

func (s *memStore) PutImport(_ context.Context, imp Import) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	imp.Version = 1
	s.imps[imp.ID] = imp
	return nil
}
func (s *memStore) GetImport(_ context.Context, id string) (Import, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	imp, ok := s.imps[id]
	if !ok {
		return imp, ErrNotFound
	}
	imp.Checkpoint.Header = append([]string(nil), imp.Checkpoint.Header...)
	return imp, nil
}
func (s *memStore) SaveImport(_ context.Context, imp Import) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSave {
		s.failSave = false
		return io.ErrUnexpectedEOF
	}
	if s.imps[imp.ID].Version != imp.Version {
		return ErrConflict
	}
	imp.Version++
	s.imps[imp.ID] = imp
	return nil
}

// ClaimContacts behaves as the DynamoDB adapter: a link per email (new
// contacts carry the import and line), a claim item for known contacts.
func (s *memStore) ClaimContacts(_ context.Context, id string, lines map[string]int) (map[string]Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claimCalls++
	out := map[string]Claim{}
	for e, l := range lines {
		ln, ok := s.links[e]
		if !ok {
			s.seq++
			ln = memLink{contact: fmt.Sprintf("c%d", s.seq), imp: id, line: l}
			s.links[e] = ln
			out[e] = Claim{ContactID: ln.contact, New: true}
			continue
		}
		if ln.imp == id {
			if ln.line != l {
				out[e] = Claim{ContactID: ln.contact, DuplicateOf: ln.line}
			} else {
				out[e] = Claim{ContactID: ln.contact, New: true}
			}
			continue
		}
		if old, ok := s.claims[id+e]; ok && old != l {
			out[e] = Claim{ContactID: ln.contact, DuplicateOf: old}
			continue
		}
		s.claims[id+e] = l
		out[e] = Claim{ContactID: ln.contact}
	}
	return out, nil
}

type memLink struct {
	contact, imp string
	line         int
}

func (s *memStore) ListImports(context.Context, int) ([]Import, error) { return nil, nil }

type memBlobs struct{ objects map[string][]byte }

func (b *memBlobs) Open(_ context.Context, key string, offset int64) (io.ReadCloser, error) {
	o, ok := b.objects[key]
	if !ok {
		return nil, ErrNoUpload
	}
	return io.NopCloser(bytes.NewReader(o[offset:])), nil
}
func (b *memBlobs) Size(_ context.Context, key string) (int64, error) {
	o, ok := b.objects[key]
	if !ok {
		return 0, ErrNoUpload
	}
	return int64(len(o)), nil
}
func (b *memBlobs) Put(_ context.Context, key string, body []byte, _ string) error {
	b.objects[key] = append([]byte(nil), body...)
	return nil
}
func (b *memBlobs) Compose(_ context.Context, dst string, head []byte, prefix, _ string) error {
	out := append([]byte(nil), head...)
	var keys []string
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	for _, k := range keys {
		out = append(out, b.objects[k]...)
	}
	b.objects[dst] = out
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

type memQueue struct {
	mu     sync.Mutex
	bodies []string
}

func (q *memQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bodies = append(q.bodies, body)
	return nil
}

// A page whose commit is lost (a crash after its rows were queued) runs
// again: the same rows go out with the same message ids and time, which the
// processor de-duplicates, and the counts are committed once.
func TestAPageRunTwiceCommitsOnce(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	blobs := &memBlobs{objects: map[string][]byte{}}
	events := &memQueue{}
	var next []int
	r := &Runner{Store: st, Blobs: blobs, Events: events, PageSize: 2, RowsPerMessage: 10, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Next: func(_ context.Context, _ string, page int) error { next = append(next, page); return nil }}
	file := "Email\na@example.com\nb@example.com\nA@example.com\nbad\n"
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	imp := Import{ID: "imp_t", Definition: Definition{Columns: Columns{Email: "Email"}}, State: StateRunning, CreatedAt: at, StartedAt: at}
	st.PutImport(ctx, imp)
	blobs.Put(ctx, UploadKey(imp.ID), []byte(file), "text/csv")

	st.failSave = true
	if err := r.RunPage(ctx, imp.ID, 0); err == nil {
		t.Fatal("a failed commit must fail the page (so the queue redelivers it)")
	}
	if len(next) != 0 {
		t.Fatalf("next page queued before the commit: %v", next)
	}
	if err := r.RunPage(ctx, imp.ID, 0); err != nil {
		t.Fatal(err)
	}
	ids := messageIDs(t, events.bodies)
	if len(ids) != 4 || ids[0] != ids[2] || ids[1] != ids[3] || ids[0] != "imp-imp_t-2" || ids[1] != "imp-imp_t-3" {
		t.Errorf("message ids over the two runs %v: want the same two ids twice", ids)
	}
	// The redelivered message of page 0, after its commit, queues page 1
	// again (its continuation may have been lost) and commits nothing.
	if err := r.RunPage(ctx, imp.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.RunPage(ctx, imp.ID, 1); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetImport(ctx, imp.ID)
	if got.State != StateDone || got.Rows != 4 || got.Imported != 2 || got.Failed != 2 || got.Duplicates != 1 {
		t.Fatalf("import %+v: want done, 4 rows, 2 imported, 2 failed, 1 duplicate", got)
	}
	if len(next) != 2 || next[0] != 1 || next[1] != 1 {
		t.Errorf("next pages queued %v, want [1 1]", next)
	}
	report := string(blobs.objects[ReportKey(imp.ID)])
	want := "line,email,reason\n4,a@example.com,duplicate of line 2\n5,bad,\"invalid email \"\"bad\"\"\"\n"
	if report != want {
		t.Errorf("report %q, want %q", report, want)
	}
	// A stale message of a page already passed does nothing.
	before := len(events.bodies)
	if err := r.RunPage(ctx, imp.ID, 0); err != nil || len(events.bodies) != before {
		t.Errorf("a stale page ran again: %v, %d messages", err, len(events.bodies)-before)
	}
}

func messageIDs(t *testing.T, bodies []string) []string {
	t.Helper()
	var ids []string
	for _, b := range bodies {
		batch, err := tracking.DecodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range batch.Messages {
			if !m.Verified || m.Context.Leadflow == nil || m.Context.Leadflow.Import != "imp_t" || !m.Timestamp.Equal(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)) {
				t.Errorf("message %+v is not the import's verified call at its start time", m)
			}
			ids = append(ids, m.MessageID)
		}
	}
	return ids
}

// A run reads a window of pages and claims them at once: a duplicate on a
// later page of the window is reported against the first line, each page's
// errors go to its own report part, one commit names the window; a lost
// commit repeats the window with the same message ids; the redelivered
// message of a committed window queues its continuation again.
func TestAWindowOfPagesCommitsOnceAndResumes(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	blobs := &memBlobs{objects: map[string][]byte{}}
	events := &memQueue{}
	var next []int
	r := &Runner{Store: st, Blobs: blobs, Events: events, PageSize: 2, RowsPerMessage: 10, Window: 2, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Next: func(_ context.Context, _ string, page int) error { next = append(next, page); return nil }}
	// Lines 2-3 page 0, 4-5 page 1 (window 1); 6-7 page 2, 8 page 3 (window 2).
	file := "Email\na@example.com\nb@example.com\nbad\nA@example.com\nc@example.com\nb@example.com\nd@example.com\n"
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	imp := Import{ID: "imp_t", Definition: Definition{Columns: Columns{Email: "Email"}}, State: StateRunning, CreatedAt: at, StartedAt: at}
	st.PutImport(ctx, imp)
	blobs.Put(ctx, UploadKey(imp.ID), []byte(file), "text/csv")

	st.failSave = true
	if err := r.RunPage(ctx, imp.ID, 0); err == nil {
		t.Fatal("a failed commit must fail the run")
	}
	if err := r.RunPage(ctx, imp.ID, 0); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetImport(ctx, imp.ID)
	if got.Checkpoint.Page != 2 || got.Checkpoint.From != 0 || got.Rows != 4 || got.Imported != 2 || got.Duplicates != 1 || got.Failed != 2 {
		t.Fatalf("after the first window %+v: want pages 0-1 committed, 4 rows, 2 imported, 1 duplicate, 2 failed", got)
	}
	ids := messageIDs(t, events.bodies)
	if len(ids) != 4 || ids[0] != ids[2] || ids[1] != ids[3] {
		t.Errorf("message ids over the two runs %v: want the same ids twice", ids)
	}
	if err := r.RunPage(ctx, imp.ID, 0); err != nil { // redelivered after the commit
		t.Fatal(err)
	}
	if err := r.RunPage(ctx, imp.ID, 2); err != nil {
		t.Fatal(err)
	}
	if err := r.RunPage(ctx, imp.ID, 2); err != nil { // a duplicate after done
		t.Fatal(err)
	}
	if len(next) != 2 || next[0] != 2 || next[1] != 2 {
		t.Errorf("next pages queued %v, want [2 2]", next)
	}
	got, _ = st.GetImport(ctx, imp.ID)
	if got.State != StateDone || got.Rows != 7 || got.Imported != 4 || got.Failed != 3 || got.Duplicates != 2 {
		t.Fatalf("import %+v: want done, 7 rows, 4 imported, 3 failed, 2 duplicates", got)
	}
	report := string(blobs.objects[ReportKey(imp.ID)])
	want := "line,email,reason\n4,bad,\"invalid email \"\"bad\"\"\"\n5,a@example.com,duplicate of line 2\n7,b@example.com,duplicate of line 3\n"
	if report != want {
		t.Errorf("report %q, want %q", report, want)
	}
	if _, ok := blobs.objects[reportPartKey(imp.ID, 1)]; !ok {
		t.Errorf("page 1's errors are not in their own report part")
	}
}
