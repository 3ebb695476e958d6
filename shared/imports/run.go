package imports

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// Errors the store reports.
var (
	ErrNotFound = errors.New("no such import")
	// ErrConflict: the import changed since it was read (another run of
	// the same page committed first).
	ErrConflict = errors.New("import changed since it was read")
	// ErrNoUpload: nothing was uploaded at the import's upload key.
	ErrNoUpload = errors.New("no file uploaded")
)

// Store keeps imports and the emails each import has seen.
type Store interface {
	PutImport(ctx context.Context, imp Import) error
	// GetImport reads an import strongly consistently.
	GetImport(ctx context.Context, id string) (Import, error)
	// SaveImport writes imp if its stored version is still imp.Version.
	SaveImport(ctx context.Context, imp Import) error
	// ClaimContacts finds the contact of each email and claims the email
	// for its line (the first line of the import that has it): an email
	// nobody holds gets a new contact, linked now, so the contact pipeline
	// resolves no identity. An email an earlier line of the import claimed
	// comes back with that line (a duplicate). Claiming again from the same
	// line answers the same contact, so a page that runs twice creates no
	// contact twice and sees no duplicates of its own.
	ClaimContacts(ctx context.Context, importID string, lines map[string]int) (map[string]Claim, error)
	ListImports(ctx context.Context, limit int) ([]Import, error)
}

// Claim is what claiming an email answered.
type Claim struct {
	// ContactID is the contact the row updates.
	ContactID string
	// DuplicateOf is the earlier line of the import that has the email
	// (0: this line is the first).
	DuplicateOf int
	// New: the import created the contact (linked the email).
	New bool
}

// Blobs is the file store (S3).
type Blobs interface {
	// Open reads the object from offset to its end.
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	// Size is the object's size (ErrNoUpload when there is none).
	Size(ctx context.Context, key string) (int64, error)
	Put(ctx context.Context, key string, body []byte, contentType string) error
	// Compose writes dst as the concatenation of head and every object
	// under prefix in key order, streaming.
	Compose(ctx context.Context, dst string, head []byte, prefix string, contentType string) error
}

// Queue takes one message body (the events queue; the jobs queue).
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

// Keys of an import's objects.
func UploadKey(id string) string         { return "imports/" + id + "/upload.csv" }
func ReportKey(id string) string         { return "imports/" + id + "/errors.csv" }
func reportPartsPrefix(id string) string { return "imports/" + id + "/errors/" }
func reportPartKey(id string, page int) string {
	return fmt.Sprintf("%s%08d.csv", reportPartsPrefix(id), page)
}

// Runner runs import pages.
type Runner struct {
	Store  Store
	Blobs  Blobs
	Events Queue
	// Next queues the import's next page (the jobs queue).
	Next func(ctx context.Context, id string, page int) error
	Log  *slog.Logger
	// PageSize is the number of rows per page; RowsPerMessage per events
	// queue message.
	PageSize, RowsPerMessage int
	// Window is how many pages one run reads, claims and hands (0: one).
	// The fixed cost of a run (the checkpoint's read and commit, the next
	// job message, its pick-up) is paid once per window, and a page's
	// claims overlap the reading of the next.
	Window int
}

// Defaults for a Runner.
const (
	DefaultPageSize       = 1000
	DefaultRowsPerMessage = 100
	DefaultWindow         = 5
)

// RunPage runs a window of pages of the import from page n on (Window of
// them): read them one after the other from the checkpoint, check and
// de-duplicate their rows, hand the valid ones to the contact pipeline (a
// page is claimed and handed while the next is read) and commit the
// checkpoint with the counts once for the window. Running them again (a crash, a redelivered
// message) hands the same rows again under the same message ids, which the
// pipeline recognises, and commits nothing twice.
func (r *Runner) RunPage(ctx context.Context, id string, n int) error {
	imp, err := r.Store.GetImport(ctx, id)
	if err != nil {
		return fmt.Errorf("import %s page %d: %w", id, n, err)
	}
	if imp.State != StateRunning {
		return nil // done, failed, or not started: nothing to do
	}
	cp := imp.Checkpoint
	if cp.Page != n {
		if cp.Page == n+1 || (cp.From == n && cp.Page > n) {
			// The pages from n were committed but their continuation may
			// not have been queued (a crash in between): queue it again; a
			// duplicate finds the pages committed and stops.
			return r.Next(ctx, id, cp.Page)
		}
		return nil
	}
	start := time.Now()
	size := r.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	window := max(r.Window, 1)
	// Each page is claimed and handed while the next is read: reading (a
	// ranged GET and the CPU of checking rows) and claiming (round trips)
	// overlap.
	w := &windowRun{r: r, imp: imp, first: map[string]int{}}
	defer w.wg.Wait()
	var pages []*Page
	at := cp
	for len(pages) < window {
		body, err := r.Blobs.Open(ctx, UploadKey(id), at.Offset)
		if errors.Is(err, ErrNoUpload) {
			w.wg.Wait()
			return r.fail(ctx, imp, "the uploaded file is gone (uploads expire after a day)")
		}
		if err != nil {
			return fmt.Errorf("import %s page %d: open the file: %w", id, at.Page, err)
		}
		page, err := ReadPage(body, imp.Definition, at, size)
		body.Close()
		if errors.Is(err, ErrFile) {
			w.wg.Wait()
			return r.fail(ctx, imp, err.Error())
		}
		if err != nil {
			return fmt.Errorf("import %s page %d: %w", id, at.Page, err)
		}
		pages = append(pages, &page)
		w.start(ctx, n+len(pages)-1, &page)
		at = page.Next
		if page.Done {
			break
		}
	}
	last := pages[len(pages)-1]
	good, dups, err := w.wait()
	if err != nil {
		return fmt.Errorf("import %s pages %d-%d: %w", id, n, last.Next.Page-1, err)
	}
	failed := 0
	for i, page := range pages {
		failed += len(page.Errors)
		imp.Rows += page.Read
		if len(page.Errors) > 0 {
			if err := r.Blobs.Put(ctx, reportPartKey(id, n+i), reportRows(page.Errors), "text/csv"); err != nil {
				return fmt.Errorf("import %s page %d: error report: %w", id, n+i, err)
			}
		}
	}
	imp.Imported += len(good)
	imp.Failed += failed
	imp.Duplicates += dups
	imp.Checkpoint = last.Next
	imp.Checkpoint.From = n
	imp.Offset = last.Next.Offset
	imp.UpdatedAt = time.Now().UTC()
	if last.Done {
		if imp.Failed > 0 {
			if err := r.Blobs.Compose(ctx, ReportKey(id), reportHeader(), reportPartsPrefix(id), "text/csv"); err != nil {
				return fmt.Errorf("import %s: compose the error report: %w", id, err)
			}
		}
		imp.State = StateDone
	}
	if err := r.Store.SaveImport(ctx, imp); errors.Is(err, ErrConflict) {
		r.Log.InfoContext(ctx, "import pages committed by another run", "import_id", id, "page", n)
		return nil
	} else if err != nil {
		return fmt.Errorf("import %s pages %d-%d: commit: %w", id, n, last.Next.Page-1, err)
	}
	created, read := 0, 0
	for _, row := range good {
		if row.New {
			created++
		}
	}
	for _, page := range pages {
		read += page.Read
	}
	r.Log.InfoContext(ctx, "import pages done", "import_id", id, "page", n, "pages", len(pages), "rows", read, "imported", len(good), "new_contacts", created,
		"failed", failed, "duplicates", dups, "done", last.Done, "ms", time.Since(start).Milliseconds())
	if last.Done {
		return nil
	}
	return r.Next(ctx, id, last.Next.Page)
}

// windowRun keeps the first row of each email, within the window by a
// map, across runs by the store's claims, which also name each row's
// contact; later rows become errors of their page. A page is checked
// against the map when read (in file order), then claimed and handed to
// the contact pipeline on its own goroutine while the next page is read.
type windowRun struct {
	r     *Runner
	imp   Import
	first map[string]int
	wg    sync.WaitGroup
	mu    sync.Mutex
	good  []Row
	dups  int
	errs  []error
}

func (w *windowRun) start(ctx context.Context, n int, page *Page) {
	var unique []Row
	dups := 0
	for _, row := range page.Rows {
		if l, ok := w.first[row.Email]; ok {
			page.Errors = append(page.Errors, duplicate(row, l))
			dups++
			continue
		}
		w.first[row.Email] = row.Line
		unique = append(unique, row)
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		rows, more, err := w.claimAndHand(ctx, n, page, unique)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.dups += dups + more
		w.good = append(w.good, rows...)
		if err != nil {
			w.errs = append(w.errs, fmt.Errorf("page %d: %w", n, err))
		}
	}()
}

// wait answers the window's valid rows and duplicates once every page is
// claimed and handed.
func (w *windowRun) wait() ([]Row, int, error) {
	w.wg.Wait()
	if err := errors.Join(w.errs...); err != nil {
		return nil, 0, err
	}
	return w.good, w.dups, nil
}

// claimAndHand claims the page's unique emails and hands the rows that
// are the first of their email; page.Errors is this goroutine's alone now.
func (w *windowRun) claimAndHand(ctx context.Context, n int, page *Page, unique []Row) ([]Row, int, error) {
	defer func() { sortErrors(page.Errors) }()
	if len(unique) == 0 {
		return nil, 0, nil
	}
	lines := make(map[string]int, len(unique))
	for _, row := range unique {
		lines[row.Email] = row.Line
	}
	claims, err := w.r.Store.ClaimContacts(ctx, w.imp.ID, lines)
	if err != nil {
		return nil, 0, fmt.Errorf("claim emails: %w", err)
	}
	rows := make([]Row, 0, len(unique))
	dups := 0
	for _, row := range unique {
		c, ok := claims[row.Email]
		if !ok || c.ContactID == "" {
			return nil, 0, fmt.Errorf("claim emails: no contact for line %d", row.Line)
		}
		if c.DuplicateOf != 0 {
			page.Errors = append(page.Errors, duplicate(row, c.DuplicateOf))
			dups++
			continue
		}
		row.ContactID, row.New = c.ContactID, c.New
		rows = append(rows, row)
	}
	if err := w.r.hand(ctx, w.imp, n, rows); err != nil {
		return nil, 0, err
	}
	return rows, dups, nil
}

func duplicate(row Row, of int) RowError {
	return RowError{Line: row.Line, Email: row.Email, Reason: "duplicate of line " + strconv.Itoa(of)}
}

// hand queues the rows to the contact pipeline as verified identify calls
// addressed to their contacts, the messages sent concurrently.
func (r *Runner) hand(ctx context.Context, imp Import, n int, rows []Row) error {
	per := r.RowsPerMessage
	if per <= 0 {
		per = DefaultRowsPerMessage
	}
	at := imp.startedAt()
	var bodies []string
	for i := 0; i < len(rows); i += per {
		chunk := rows[i:min(i+per, len(rows))]
		b := tracking.Batch{RequestID: fmt.Sprintf("imp-%s-%d-%d", imp.ID, n, i/per), ReceivedAt: at}
		for _, row := range chunk {
			b.Messages = append(b.Messages, Message(imp, row))
		}
		bs, err := tracking.EncodeBatches(b)
		if err != nil {
			return err
		}
		bodies = append(bodies, bs...)
	}
	errs := make([]error, len(bodies))
	var wg sync.WaitGroup
	sem := make(chan struct{}, sendParallel)
	for i, body := range bodies {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := r.Events.Enqueue(ctx, body); err != nil {
				errs[i] = fmt.Errorf("queue rows: %w", err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sendParallel bounds the events queue sends of one page in flight.
const sendParallel = 10

// startedAt is the time every call of the import carries: fixed, so a call
// handed again is the same call (same message id, same time).
func (imp Import) startedAt() time.Time {
	if !imp.StartedAt.IsZero() {
		return imp.StartedAt
	}
	return imp.CreatedAt
}

// Message is the identify call a row becomes: verified (an import is the
// account's own data, so it may set traits of a known contact), carrying
// tags, the list and the consent the import records.
func Message(imp Import, row Row) tracking.Message {
	at := imp.startedAt()
	traits := map[string]any{"email": row.Email}
	for k, v := range row.Traits {
		traits[k] = v
	}
	if row.Phone != "" {
		traits["phone"] = row.Phone
	}
	in := &tracking.Internal{Import: imp.ID, Tags: row.Tags, NewContact: row.New}
	if imp.Definition.ListID != "" {
		in.Lists = []string{imp.Definition.ListID}
	}
	d := imp.Definition
	consented := (d.Columns.Consent != "" && row.Consent) || (d.Columns.Consent == "" && d.Consent != nil)
	if consented {
		text := "imported"
		if d.Consent != nil {
			text = d.Consent.Evidence
		}
		for _, p := range d.Purposes() {
			in.Consents = append(in.Consents, tracking.Consent{Purpose: p, Text: text, At: at, Source: "import:" + imp.ID})
		}
	}
	return tracking.Message{
		Type: tracking.TypeIdentify, MessageID: fmt.Sprintf("imp-%s-%d", imp.ID, row.Line), ContactID: row.ContactID,
		Traits: traits, Timestamp: at, ReceivedAt: at, Verified: true,
		Context: tracking.Context{Leadflow: in, Library: &tracking.Library{Name: "leadflow-import"}},
	}
}

func (r *Runner) fail(ctx context.Context, imp Import, why string) error {
	imp.State, imp.Error, imp.UpdatedAt = StateFailed, why, time.Now().UTC()
	r.Log.WarnContext(ctx, "import failed", "import_id", imp.ID, "reason", why)
	if err := r.Store.SaveImport(ctx, imp); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("import %s: record the failure: %w", imp.ID, err)
	}
	return nil
}

func reportHeader() []byte { return []byte("line,email,reason\n") }

func reportRows(errs []RowError) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, e := range errs {
		w.Write([]string{strconv.Itoa(e.Line), csvSafe(e.Email), csvSafe(e.Reason)})
	}
	w.Flush()
	return buf.Bytes()
}

// csvSafe keeps a spreadsheet from running a cell of the report as a
// formula (CSV injection): the email cell is whatever the file held.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

func sortErrors(errs []RowError) {
	slices.SortStableFunc(errs, func(a, b RowError) int { return a.Line - b.Line })
}
