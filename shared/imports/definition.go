// Package imports is the CSV import of contacts: what an import asks for
// (the column mapping, the target list, the consent basis), how a file is
// read page by page from where it was uploaded, how each row is checked, and
// the job that turns valid rows into verified identify calls for the contact
// pipeline. It is plain Go: the file store, the table and the queues are
// ports (Blobs, Store, Events) implemented by adapters.
package imports

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// States of an import.
const (
	// StateWaitingUpload: created, the file is not uploaded (or the
	// upload was not reported) yet.
	StateWaitingUpload = "waiting_upload"
	// StateRunning: pages are being read.
	StateRunning = "running"
	// StateDone: every row was read; Imported rows went to the contact
	// pipeline, Failed rows are in the error report.
	StateDone = "done"
	// StateFailed: the file could not be read at all (no upload, no
	// email column, not CSV); Error says why.
	StateFailed = "failed"
)

// Consent purposes an import may record.
const (
	PurposeMarketing   = "marketing"
	PurposeAdvertising = "advertising"
)

// Definition is what the person starting an import chose.
type Definition struct {
	// FileName is the uploaded file's name, for display only.
	FileName string  `json:"file_name,omitempty"`
	Columns  Columns `json:"columns"`
	// Tags are added to every imported contact.
	Tags []string `json:"tags,omitempty"`
	// ListID is the static list every imported contact joins.
	ListID string `json:"list_id,omitempty"`
	// Consent is the recorded basis for marketing to the imported
	// contacts. Without it (and without a consent column) imported
	// contacts are not marketable.
	Consent *Basis `json:"consent,omitempty"`
}

// Columns maps the file's header names to what they hold.
type Columns struct {
	// Email is the header of the email column (required).
	Email string `json:"email"`
	// Phone is the header of a phone column in international format
	// (kept as the trait "phone", E.164).
	Phone string `json:"phone,omitempty"`
	// Traits maps trait names to headers.
	Traits map[string]string `json:"traits,omitempty"`
	// Tags is the header of a column of tags separated by ';' or ','.
	Tags string `json:"tags,omitempty"`
	// Consent is the header of a column saying whether the person agreed
	// (yes/no, true/false, 1/0, y/n, x or empty); a yes records consent for
	// the basis's purposes.
	Consent string `json:"consent,omitempty"`
}

// Basis is the recorded lawful basis for marketing to imported contacts.
type Basis struct {
	// Evidence says where and when the consent was collected ("signed up
	// at our booth, Berlin 2026-10-02; paper forms archived"). Required.
	Evidence string `json:"evidence"`
	// Purposes are what was agreed to: "marketing" (email) and/or
	// "advertising" (ad audiences). Default: marketing.
	Purposes []string `json:"purposes,omitempty"`
}

// Import is one import: its definition and how far it got.
type Import struct {
	ID         string     `json:"id"`
	Definition Definition `json:"definition"`
	State      string     `json:"state"`
	// Error says why a failed import failed.
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at"`
	// Rows counts the data rows read so far; Imported the valid, unique
	// rows handed to the contact pipeline; Failed the rows in the error
	// report (Duplicates of them repeat an earlier row's email).
	Rows       int `json:"rows"`
	Imported   int `json:"imported"`
	Failed     int `json:"failed"`
	Duplicates int `json:"duplicates"`
	// Size is the uploaded file's size in bytes; Offset how many of them
	// have been read (progress).
	Size   int64 `json:"size"`
	Offset int64 `json:"offset"`
	// Checkpoint is where the next page starts.
	Checkpoint Checkpoint `json:"checkpoint"`
	// Version guards the checkpoint: a page commits only if no other run
	// of it committed first.
	Version int64 `json:"-"`
}

// Checkpoint is the position of the next page in the file.
type Checkpoint struct {
	// Page is the number of pages committed.
	Page int `json:"page"`
	// From is the first page of the run that committed this checkpoint
	// (a run reads a window of pages): its redelivered message queues
	// the continuation again.
	From int `json:"from,omitempty"`
	// Offset is the byte where the next page starts (0: the header).
	Offset int64 `json:"offset"`
	// Line is the file line the next page starts on (1-based).
	Line int `json:"line"`
	// Header is the file's header row, read by the first page.
	Header []string `json:"header,omitempty"`
}

var (
	tagPattern     = lazyregexp.New(`^[\p{L}\p{N} _:.\-]{1,64}$`)
	listPattern    = lazyregexp.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	traitPattern   = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	reservedTraits = []string{"email", "phone"}
)

// Limits of a definition.
const (
	MaxTraitColumns = 50
	MaxTags         = 20
	MaxEvidenceLen  = 1000
	MaxHeaderLen    = 200
)

// Validate reports every problem of the definition at once.
func (d Definition) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	header := func(what, h string) {
		if strings.TrimSpace(h) == "" || len(h) > MaxHeaderLen {
			add("columns.%s must name a header of the file (1 to %d characters)", what, MaxHeaderLen)
		}
	}
	header("email", d.Columns.Email)
	if d.Columns.Phone != "" {
		header("phone", d.Columns.Phone)
	}
	if d.Columns.Tags != "" {
		header("tags", d.Columns.Tags)
	}
	if d.Columns.Consent != "" {
		header("consent", d.Columns.Consent)
	}
	if len(d.Columns.Traits) > MaxTraitColumns {
		add("columns.traits maps %d columns, at most %d", len(d.Columns.Traits), MaxTraitColumns)
	}
	for name, h := range d.Columns.Traits {
		if !traitPattern.MatchString(name) || slices.Contains(reservedTraits, strings.ToLower(name)) {
			add("trait name %q must be a letter then letters, digits or _ (at most 64), not email or phone (map those with columns.email and columns.phone)", name)
		}
		header("traits."+name, h)
	}
	if len(d.Tags) > MaxTags {
		add("tags: at most %d", MaxTags)
	}
	for _, t := range d.Tags {
		if !tagPattern.MatchString(t) {
			add("tag %q must be 1-64 letters, digits, spaces or _:.-", t)
		}
	}
	if d.ListID != "" && !listPattern.MatchString(d.ListID) {
		add("list_id %q must be 1-64 lower-case letters, digits, _ or -, starting with a letter or digit", d.ListID)
	}
	if b := d.Consent; b != nil {
		if strings.TrimSpace(b.Evidence) == "" || len(b.Evidence) > MaxEvidenceLen {
			add("consent.evidence must say where and when consent was collected (1 to %d characters)", MaxEvidenceLen)
		}
		for _, p := range b.Purposes {
			if p != PurposeMarketing && p != PurposeAdvertising {
				add("consent purpose %q must be %q or %q", p, PurposeMarketing, PurposeAdvertising)
			}
		}
	}
	if len(d.FileName) > 255 {
		add("file_name: at most 255 characters")
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Purposes is what a row's consent covers: the basis's purposes, else
// marketing.
func (d Definition) Purposes() []string {
	if d.Consent != nil && len(d.Consent.Purposes) > 0 {
		return d.Consent.Purposes
	}
	return []string{PurposeMarketing}
}
