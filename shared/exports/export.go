package exports

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
)

// Formats of an export.
const (
	FormatCSV      = "csv"
	FormatAudience = "audience"
)

// States of an export.
const (
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
)

// Errors the store reports.
var (
	ErrNotFound = errors.New("no such export")
	// ErrConflict: the export changed since it was read (another run of
	// the same page committed first).
	ErrConflict = errors.New("export changed since it was read")
)

// ErrBadCursor is returned for a list cursor that List did not give.
var ErrBadCursor = errors.New("bad cursor")

// ErrNoSource is returned for an export of a segment or list that does not
// exist: nothing is recorded or queued for it.
type ErrNoSource struct{ Ref membership.Ref }

func (e ErrNoSource) Error() string { return fmt.Sprintf("no %s %s", e.Ref.Kind, e.Ref.ID) }

// ErrInvalid marks a request the caller must change; its message says how.
type ErrInvalid struct{ Msg string }

func (e ErrInvalid) Error() string { return e.Msg }

// Columns a CSV export may hold besides "traits.<name>".
var Columns = []string{"id", "email", "status", "stage", "owner", "team", "tags", "lists", "created_at", "last_seen"}

// DefaultColumns are a CSV export's columns when none are chosen.
var DefaultColumns = []string{"id", "email", "status", "stage"}

// Definition is what an export asks for.
type Definition struct {
	SegmentID string `json:"segment_id,omitempty"`
	ListID    string `json:"list_id,omitempty"`
	Format    string `json:"format"`
	// Columns of a CSV export, in order.
	Columns []string `json:"columns,omitempty"`
	// Target of an audience export: google_ads (default) or meta.
	Target string `json:"target,omitempty"`
}

// Validate checks the definition and fills its defaults.
func (d *Definition) Validate() error {
	if (d.SegmentID == "") == (d.ListID == "") {
		return errors.New("give exactly one of segment_id and list_id")
	}
	switch d.Format {
	case FormatCSV:
		if d.Target != "" {
			return errors.New("target is for the audience format only")
		}
		if len(d.Columns) == 0 {
			d.Columns = slices.Clone(DefaultColumns)
		}
		if len(d.Columns) > 50 {
			return errors.New("at most 50 columns")
		}
		for _, c := range d.Columns {
			if name, ok := strings.CutPrefix(c, "traits."); ok {
				if name == "" {
					return errors.New(`column "traits." needs a trait name`)
				}
				continue
			}
			if !slices.Contains(Columns, c) {
				return fmt.Errorf("unknown column %q: use one of %s or traits.<name>", c, strings.Join(Columns, ", "))
			}
		}
	case FormatAudience:
		if len(d.Columns) > 0 {
			return errors.New("an audience file has fixed columns: leave columns out")
		}
		if d.Target == "" {
			d.Target = GoogleAds
		}
		if d.Target != GoogleAds && d.Target != Meta {
			return fmt.Errorf("target must be %s or %s", GoogleAds, Meta)
		}
	default:
		return fmt.Errorf("format must be %s or %s", FormatCSV, FormatAudience)
	}
	return nil
}

// Ref is the segment or list the export reads.
func (d Definition) Ref() membership.Ref {
	if d.ListID != "" {
		return membership.Ref{Kind: membership.List, ID: d.ListID}
	}
	return membership.Ref{Kind: membership.Segment, ID: d.SegmentID}
}

// Header is the file's header row.
func (d Definition) Header() []string {
	if d.Format == FormatAudience {
		return AudienceHeader(d.Target)
	}
	return d.Columns
}

// Export is one export and how far it got.
type Export struct {
	ID         string     `json:"id"`
	Definition Definition `json:"definition"`
	State      string     `json:"state"`
	Error      string     `json:"error,omitempty"`
	// Rows written; Skipped members (gone, merged, or without advertising
	// consent in an audience).
	Rows      int       `json:"rows"`
	Skipped   int       `json:"skipped"`
	Page      int       `json:"page"`
	Cursor    string    `json:"cursor,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"-"`
}

// Store keeps exports.
type Store interface {
	PutExport(ctx context.Context, e Export) error
	// GetExport reads an export strongly consistently.
	GetExport(ctx context.Context, id string) (Export, error)
	// SaveExport writes e if its stored version is still e.Version.
	SaveExport(ctx context.Context, e Export) error
	// ListExports pages through exports, newest first. The cursor is
	// opaque; "" starts, and a "" next cursor means done.
	ListExports(ctx context.Context, cursor string, limit int) (list []Export, next string, err error)
}

// Sources tells whether the segment or list an export reads exists.
type Sources interface {
	Exists(ctx context.Context, r membership.Ref) (bool, error)
}

// Members pages through a segment's or list's member index.
type Members interface {
	Members(ctx context.Context, r membership.Ref, cursor string, limit int) ([]string, string, error)
}

// Profiles reads contacts in a batch.
type Profiles interface {
	GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error)
}

// Blobs is the file store (S3).
type Blobs interface {
	Put(ctx context.Context, key string, body []byte, contentType string) error
	Compose(ctx context.Context, dst string, head []byte, prefix string, contentType string) error
}

// Presigner makes download links.
type Presigner interface {
	PresignGet(ctx context.Context, key, fileName string, ttl time.Duration) (string, error)
}

// DownloadTTL is how long a download link works.
const DownloadTTL = 15 * time.Minute

// Keys of an export's objects.
func FileKey(id string) string           { return "exports/" + id + "/export.csv" }
func partsPrefix(id string) string       { return "exports/" + id + "/parts/" }
func partKey(id string, page int) string { return fmt.Sprintf("%s%08d.csv", partsPrefix(id), page) }

// NewID is an export id: "exp_" and 16 lower-case base32 characters.
func NewID() string { return "exp_" + strings.ToLower(rand.Text()[:16]) }

// Service is what the admin API does with exports.
type Service struct {
	Store   Store
	Sources Sources
	Presign Presigner
	// Start queues page 0 of an export (the jobs queue).
	Start func(ctx context.Context, id string) error
	Now   func() time.Time
}

// Create records an export and queues its first page.
func (s *Service) Create(ctx context.Context, d Definition, by string) (Export, error) {
	if err := d.Validate(); err != nil {
		return Export{}, ErrInvalid{err.Error()}
	}
	// An export of nothing would run and deliver an empty file as if the
	// segment had no members: refuse it before recording anything.
	if ok, err := s.Sources.Exists(ctx, d.Ref()); err != nil {
		return Export{}, fmt.Errorf("look up %s: %w", d.Ref(), err)
	} else if !ok {
		return Export{}, ErrNoSource{d.Ref()}
	}
	now := s.Now().UTC()
	e := Export{ID: NewID(), Definition: d, State: StateRunning, CreatedAt: now, CreatedBy: by, UpdatedAt: now, Version: 1}
	if err := s.Store.PutExport(ctx, e); err != nil {
		return Export{}, fmt.Errorf("record export: %w", err)
	}
	if err := s.Start(ctx, e.ID); err != nil {
		return e, fmt.Errorf("queue export %s: %w", e.ID, err)
	}
	return e, nil
}

// View is an export as the API shows it.
type View struct {
	Export
	DownloadURL string     `json:"download_url,omitempty"`
	ExpiresAt   *time.Time `json:"download_expires_at,omitempty"`
}

// Get reads an export with a fresh download link once done.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	e, err := s.Store.GetExport(ctx, id)
	if err != nil {
		return View{}, err
	}
	v := View{Export: e}
	v.Cursor = ""
	if e.State == StateDone {
		url, err := s.Presign.PresignGet(ctx, FileKey(id), "export-"+id+".csv", DownloadTTL)
		if err != nil {
			return v, fmt.Errorf("presign export %s: %w", id, err)
		}
		exp := s.Now().UTC().Add(DownloadTTL)
		v.DownloadURL, v.ExpiresAt = url, &exp
	}
	return v, nil
}

// List pages through exports, newest first, as the API shows them (no
// download links: Get gives a fresh one).
func (s *Service) List(ctx context.Context, cursor string, limit int) ([]View, string, error) {
	list, next, err := s.Store.ListExports(ctx, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	views := make([]View, len(list))
	for i, e := range list {
		e.Cursor = ""
		views[i] = View{Export: e}
	}
	return views, next, nil
}

// Runner runs export pages.
type Runner struct {
	Store    Store
	Members  Members
	Profiles Profiles
	Blobs    Blobs
	// Next queues the export's next page (the jobs queue).
	Next     func(ctx context.Context, id string, page int) error
	Log      *slog.Logger
	PageSize int
}

// DefaultPageSize is the members per page.
const DefaultPageSize = 500

// RunPage writes page n: one page of members from the index, their rows as
// one part object, then the checkpoint (cursor, counts). The last page
// joins the parts behind the header. A page run twice writes the same part
// again and commits nothing twice.
func (r *Runner) RunPage(ctx context.Context, id string, n int) error {
	e, err := r.Store.GetExport(ctx, id)
	if err != nil {
		return fmt.Errorf("export %s page %d: %w", id, n, err)
	}
	if e.State != StateRunning {
		return nil
	}
	if e.Page != n {
		if e.Page == n+1 {
			// Committed, but the continuation may not have been queued.
			return r.Next(ctx, id, e.Page)
		}
		return nil
	}
	size := r.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	ids, next, err := r.Members.Members(ctx, e.Definition.Ref(), e.Cursor, size)
	if err != nil {
		return fmt.Errorf("export %s page %d: members: %w", id, n, err)
	}
	var profiles map[string]*contact.Profile
	if len(ids) > 0 {
		if profiles, err = r.Profiles.GetProfiles(ctx, ids); err != nil {
			return fmt.Errorf("export %s page %d: profiles: %w", id, n, err)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rows := 0
	for _, cid := range ids {
		row, ok := Row(e.Definition, profiles[cid])
		if !ok {
			continue
		}
		w.Write(row)
		rows++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("export %s page %d: write rows: %w", id, n, err)
	}
	if rows > 0 {
		if err := r.Blobs.Put(ctx, partKey(id, n), buf.Bytes(), "text/csv"); err != nil {
			return fmt.Errorf("export %s page %d: %w", id, n, err)
		}
	}
	e.Rows += rows
	e.Skipped += len(ids) - rows
	e.Page, e.Cursor, e.UpdatedAt = n+1, next, time.Now().UTC()
	if next == "" {
		head, err := headerLine(e.Definition.Header())
		if err != nil {
			return err
		}
		if err := r.Blobs.Compose(ctx, FileKey(id), head, partsPrefix(id), "text/csv"); err != nil {
			return fmt.Errorf("export %s: join the parts: %w", id, err)
		}
		e.State = StateDone
	}
	if err := r.Store.SaveExport(ctx, e); errors.Is(err, ErrConflict) {
		r.Log.InfoContext(ctx, "export page committed by another run", "export_id", id, "page", n)
		return nil
	} else if err != nil {
		return fmt.Errorf("export %s page %d: commit: %w", id, n, err)
	}
	r.Log.InfoContext(ctx, "export page done", "export_id", id, "page", n, "members", len(ids), "rows", rows, "done", e.State == StateDone)
	if e.State == StateDone {
		return nil
	}
	return r.Next(ctx, id, n+1)
}

func headerLine(h []string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(h)
	w.Flush()
	return buf.Bytes(), w.Error()
}

// Row is the contact's row of the export, or false when it has none: gone
// or merged, or (audience) without advertising consent or anything to match.
func Row(d Definition, p *contact.Profile) ([]string, bool) {
	if p == nil || p.MergedInto != "" {
		return nil, false
	}
	if d.Format == FormatAudience {
		return AudienceRow(d.Target, p)
	}
	row := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		row[i] = csvSafe(cell(p, c))
	}
	return row, true
}

func cell(p *contact.Profile, col string) string {
	if name, ok := strings.CutPrefix(col, "traits."); ok {
		v, ok := p.Traits[name]
		if !ok || v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	switch col {
	case "id":
		return p.ID
	case "email":
		return p.Email
	case "status":
		return p.Status
	case "stage":
		return string(p.Stage)
	case "owner":
		return p.Owner
	case "team":
		return p.Team
	case "tags":
		return strings.Join(p.Tags, ";")
	case "lists":
		return strings.Join(p.Lists, ";")
	case "created_at":
		return timeCell(p.CreatedAt)
	case "last_seen":
		return timeCell(p.LastSeen)
	}
	return ""
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvSafe keeps a spreadsheet from running a cell as a formula (CSV
// injection): traits come from browsers and files.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
