package exports

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/tracking"
)

// In-memory ports with the adapters' conditions (version check, members
// paged by cursor, compose in key order), so page retries can be driven.
type memStore struct {
	mu       sync.Mutex
	exps     map[string]Export
	failSave bool
}

func (s *memStore) PutExport(_ context.Context, e Export) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Version = 1
	s.exps[e.ID] = e
	return nil
}
func (s *memStore) GetExport(_ context.Context, id string) (Export, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.exps[id]
	if !ok {
		return e, ErrNotFound
	}
	return e, nil
}
func (s *memStore) SaveExport(_ context.Context, e Export) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSave {
		s.failSave = false
		return io.ErrUnexpectedEOF
	}
	if s.exps[e.ID].Version != e.Version {
		return ErrConflict
	}
	e.Version++
	s.exps[e.ID] = e
	return nil
}

func (s *memStore) ListExports(_ context.Context, cursor string, limit int) ([]Export, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []Export
	for _, e := range s.exps {
		all = append(all, e)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].CreatedAt.After(all[j].CreatedAt) })
	start, _ := strconv.Atoi(cursor)
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next, nil
}

type memMembers struct {
	ids []string
	// reads counts the members handed out (never more than a page at once).
	maxPage int
}

func (m *memMembers) Members(_ context.Context, _ membership.Ref, cursor string, limit int) ([]string, string, error) {
	start := 0
	if cursor != "" {
		start, _ = strconv.Atoi(cursor)
	}
	end := min(start+limit, len(m.ids))
	m.maxPage = max(m.maxPage, end-start)
	next := ""
	if end < len(m.ids) {
		next = strconv.Itoa(end)
	}
	return m.ids[start:end], next, nil
}

type memProfiles map[string]*contact.Profile

func (p memProfiles) GetProfiles(_ context.Context, ids []string) (map[string]*contact.Profile, error) {
	out := map[string]*contact.Profile{}
	for _, id := range ids {
		if x, ok := p[id]; ok {
			out[id] = x
		}
	}
	return out, nil
}

type memBlobs struct{ objs map[string]string }

func (b *memBlobs) Put(_ context.Context, key string, body []byte, _ string) error {
	b.objs[key] = string(body)
	return nil
}
func (b *memBlobs) Compose(_ context.Context, dst string, head []byte, prefix, _ string) error {
	var keys []string
	for k := range b.objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := string(head)
	for _, k := range keys {
		out += b.objs[k]
	}
	b.objs[dst] = out
	return nil
}

type fixture struct {
	store   *memStore
	members *memMembers
	blobs   *memBlobs
	runner  *Runner
	queued  []int
}

func newFixture(ids []string, profiles memProfiles) *fixture {
	f := &fixture{store: &memStore{exps: map[string]Export{}}, members: &memMembers{ids: ids}, blobs: &memBlobs{objs: map[string]string{}}}
	f.runner = &Runner{Store: f.store, Members: f.members, Profiles: profiles, Blobs: f.blobs, Log: slog.New(slog.DiscardHandler), PageSize: 2,
		Next: func(_ context.Context, _ string, page int) error { f.queued = append(f.queued, page); return nil }}
	return f
}

// drain runs queued pages until none is left.
func (f *fixture) drain(t *testing.T, id string) {
	t.Helper()
	f.queued = []int{0}
	for i := 0; len(f.queued) > 0; i++ {
		if i > 100 {
			t.Fatal("export does not finish")
		}
		n := f.queued[0]
		f.queued = f.queued[1:]
		if err := f.runner.RunPage(context.Background(), id, n); err != nil {
			t.Fatal(err)
		}
	}
}

func profiles() memProfiles {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ad := []tracking.Consent{{Purpose: PurposeAdvertising, At: at}}
	return memProfiles{
		"c1": {ID: "c1", Email: "a@example.com", Status: "subscribed", Traits: map[string]any{"company": "Acme"}, Consents: ad},
		"c2": {ID: "c2", Email: "b@example.com", Traits: map[string]any{"company": "=HYPERLINK(\"x\")"}},
		"c3": {ID: "c3", Email: "c@example.com", Status: "unsubscribed", Traits: map[string]any{"phone": "+14155552671"}, Consents: ad},
		"c4": {ID: "c4", Email: "d@example.com", Traits: map[string]any{"phone": "+14155552671"}, Consents: ad},
		"c5": {ID: "c5", MergedInto: "c1"},
	}
}

func TestCSVExportPagesAndJoins(t *testing.T) {
	f := newFixture([]string{"c1", "c2", "c3", "c4", "c5", "gone"}, profiles())
	d := Definition{ListID: "l1", Format: FormatCSV, Columns: []string{"id", "email", "traits.company"}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	f.store.PutExport(context.Background(), Export{ID: "e1", Definition: d, State: StateRunning})
	f.drain(t, "e1")
	e, _ := f.store.GetExport(context.Background(), "e1")
	if e.State != StateDone || e.Rows != 4 || e.Skipped != 2 {
		t.Fatalf("export %+v: want done, 4 rows, 2 skipped", e)
	}
	want := "id,email,traits.company\nc1,a@example.com,Acme\nc2,b@example.com,\"'=HYPERLINK(\"\"x\"\")\"\nc3,c@example.com,\nc4,d@example.com,\n"
	if got := f.blobs.objs[FileKey("e1")]; got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	if f.members.maxPage > 2 {
		t.Fatalf("read %d members at once, page size 2", f.members.maxPage)
	}
}

func TestAudienceExportOnlyConsented(t *testing.T) {
	f := newFixture([]string{"c1", "c2", "c3", "c4"}, profiles())
	d := Definition{SegmentID: "s1", Format: FormatAudience, Target: Meta}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	f.store.PutExport(context.Background(), Export{ID: "e2", Definition: d, State: StateRunning})
	f.drain(t, "e2")
	// c1 and c4 consented; c2 has no consent, c3 unsubscribed.
	want := "email,phone\n" + HashEmail(Meta, "a@example.com") + ",\n" + HashEmail(Meta, "d@example.com") + "," +
		"758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0\n"
	if got := f.blobs.objs[FileKey("e2")]; got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
}

// A crash after a page's part is written but before its commit runs the
// page again: the same part is rewritten, no row is doubled.
func TestExportPageRetryWritesNothingTwice(t *testing.T) {
	f := newFixture([]string{"c1", "c2", "c3", "c4"}, profiles())
	d := Definition{ListID: "l1", Format: FormatCSV, Columns: []string{"id"}}
	d.Validate()
	f.store.PutExport(context.Background(), Export{ID: "e3", Definition: d, State: StateRunning})
	f.store.failSave = true
	if err := f.runner.RunPage(context.Background(), "e3", 0); err == nil {
		t.Fatal("a failed commit must fail the page (the queue redelivers it)")
	}
	f.drain(t, "e3")
	// A late duplicate of page 0 queues page 1 at most and changes nothing.
	if err := f.runner.RunPage(context.Background(), "e3", 0); err != nil {
		t.Fatal(err)
	}
	if got := f.blobs.objs[FileKey("e3")]; got != "id\nc1\nc2\nc3\nc4\n" {
		t.Fatalf("file %q", got)
	}
	if e, _ := f.store.GetExport(context.Background(), "e3"); e.Rows != 4 {
		t.Fatalf("rows %d, want 4", e.Rows)
	}
}

func TestDefinitionValidate(t *testing.T) {
	bad := []Definition{
		{Format: FormatCSV},
		{SegmentID: "s", ListID: "l", Format: FormatCSV},
		{SegmentID: "s", Format: "xlsx"},
		{SegmentID: "s", Format: FormatCSV, Columns: []string{"password"}},
		{SegmentID: "s", Format: FormatCSV, Columns: []string{"traits."}},
		{SegmentID: "s", Format: FormatAudience, Target: "tiktok"},
		{SegmentID: "s", Format: FormatAudience, Columns: []string{"email"}},
	}
	for _, d := range bad {
		if err := d.Validate(); err == nil {
			t.Errorf("%+v: want an error", d)
		}
	}
	d := Definition{SegmentID: "s", Format: FormatCSV}
	if err := d.Validate(); err != nil || !slices.Equal(d.Columns, DefaultColumns) {
		t.Fatalf("defaults: %v %v", d.Columns, err)
	}
	a := Definition{SegmentID: "s", Format: FormatAudience}
	if err := a.Validate(); err != nil || a.Target != GoogleAds {
		t.Fatalf("audience default: %q %v", a.Target, err)
	}
}

type knownSources map[membership.Ref]bool

func (k knownSources) Exists(_ context.Context, r membership.Ref) (bool, error) { return k[r], nil }

// An export of a segment or list that does not exist is refused before
// anything is recorded or queued (it would deliver an empty file).
func TestCreateRefusesAnUnknownSource(t *testing.T) {
	store := &memStore{exps: map[string]Export{}}
	var started []string
	s := &Service{Store: store, Now: time.Now,
		Sources: knownSources{{Kind: membership.List, ID: "l1"}: true, {Kind: membership.Segment, ID: "s1"}: true},
		Start:   func(_ context.Context, id string) error { started = append(started, id); return nil }}
	ctx := context.Background()
	for _, d := range []Definition{
		{SegmentID: "nope", Format: FormatCSV},
		{ListID: "nope", Format: FormatAudience},
		{ListID: "s1", Format: FormatCSV}, // a segment's id is not a list's
	} {
		_, err := s.Create(ctx, d, "test")
		var none ErrNoSource
		if !errors.As(err, &none) || none.Ref != d.Ref() {
			t.Errorf("%+v: %v, want ErrNoSource for %v", d, err, d.Ref())
		}
	}
	if len(store.exps) != 0 || len(started) != 0 {
		t.Fatalf("refused exports left %d records, %d queued", len(store.exps), len(started))
	}
	for _, d := range []Definition{{SegmentID: "s1", Format: FormatCSV}, {ListID: "l1", Format: FormatCSV}} {
		if _, err := s.Create(ctx, d, "test"); err != nil {
			t.Fatalf("%+v: %v", d, err)
		}
	}
	if len(store.exps) != 2 || len(started) != 2 {
		t.Fatalf("%d records, %d queued, want 2 and 2", len(store.exps), len(started))
	}
}
