package imports

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Presigner makes the URLs a browser uploads to and downloads from.
type Presigner interface {
	PresignPut(ctx context.Context, key, contentType string, ttl time.Duration) (string, error)
	PresignGet(ctx context.Context, key, fileName string, ttl time.Duration) (string, error)
}

// UploadTTL is how long an upload URL works; DownloadTTL a report link.
const (
	UploadTTL   = time.Hour
	DownloadTTL = 15 * time.Minute
	// MaxFileSize bounds an uploaded file (about 20 million rows).
	MaxFileSize = 2 << 30
)

// Service is what the admin API does with imports.
type Service struct {
	Store   Store
	Blobs   Blobs
	Presign Presigner
	// Start queues page 0 of an import (the jobs queue).
	Start func(ctx context.Context, id string) error
	Now   func() time.Time
}

// ErrInvalid marks a request the caller must change; its message says how.
type ErrInvalid struct{ Msg string }

func (e ErrInvalid) Error() string { return e.Msg }

// Created is the answer to a new import.
type Created struct {
	Import    Import            `json:"import"`
	UploadURL string            `json:"upload_url"`
	Method    string            `json:"upload_method"`
	Headers   map[string]string `json:"upload_headers"`
	Expires   time.Time         `json:"upload_expires_at"`
}

// Create records a new import waiting for its file and answers where to
// upload it.
func (s *Service) Create(ctx context.Context, d Definition, by string) (Created, error) {
	if err := d.Validate(); err != nil {
		return Created{}, ErrInvalid{err.Error()}
	}
	now := s.Now().UTC()
	imp := Import{ID: NewID(), Definition: d, State: StateWaitingUpload, CreatedAt: now, CreatedBy: by, UpdatedAt: now}
	if err := s.Store.PutImport(ctx, imp); err != nil {
		return Created{}, fmt.Errorf("record import: %w", err)
	}
	url, err := s.Presign.PresignPut(ctx, UploadKey(imp.ID), "text/csv", UploadTTL)
	if err != nil {
		return Created{}, fmt.Errorf("presign upload: %w", err)
	}
	return Created{Import: imp, UploadURL: url, Method: "PUT", Headers: map[string]string{"Content-Type": "text/csv"}, Expires: now.Add(UploadTTL)}, nil
}

// StartImport begins reading the uploaded file. Starting an import that
// runs or ran already changes nothing.
func (s *Service) StartImport(ctx context.Context, id string) (Import, error) {
	imp, err := s.Store.GetImport(ctx, id)
	if err != nil {
		return imp, err
	}
	if imp.State != StateWaitingUpload {
		return imp, nil
	}
	size, err := s.Blobs.Size(ctx, UploadKey(id))
	if errors.Is(err, ErrNoUpload) {
		return imp, ErrInvalid{"upload the file to upload_url first"}
	}
	if err != nil {
		return imp, fmt.Errorf("import %s: look at the upload: %w", id, err)
	}
	if size > MaxFileSize {
		return imp, ErrInvalid{fmt.Sprintf("the file has %d bytes, at most %d", size, int64(MaxFileSize))}
	}
	now := s.Now().UTC()
	imp.State, imp.Size, imp.StartedAt, imp.UpdatedAt = StateRunning, size, now, now
	if err := s.Store.SaveImport(ctx, imp); errors.Is(err, ErrConflict) {
		return s.Store.GetImport(ctx, id) // started by a concurrent call
	} else if err != nil {
		return imp, err
	}
	imp.Version++
	if err := s.Start(ctx, id); err != nil {
		return imp, fmt.Errorf("queue import %s: %w", id, err)
	}
	return imp, nil
}

// View is an import as the API shows it.
type View struct {
	Import
	// Progress is the share of the file read, 0 to 1.
	Progress float64 `json:"progress"`
	// ErrorReportURL downloads the error report (CSV: line, email, reason)
	// once the import is done and a row failed.
	ErrorReportURL string `json:"error_report_url,omitempty"`
}

// Get reads an import for the API, with a fresh report link.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	imp, err := s.Store.GetImport(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, imp)
}

func (s *Service) view(ctx context.Context, imp Import) (View, error) {
	v := View{Import: imp}
	v.Checkpoint.Header = nil
	switch {
	case imp.State == StateDone:
		v.Progress = 1
	case imp.Size > 0:
		v.Progress = float64(imp.Offset) / float64(imp.Size)
	}
	if imp.State == StateDone && imp.Failed > 0 {
		url, err := s.Presign.PresignGet(ctx, ReportKey(imp.ID), "import-"+imp.ID+"-errors.csv", DownloadTTL)
		if err != nil {
			return v, fmt.Errorf("presign report: %w", err)
		}
		v.ErrorReportURL = url
	}
	return v, nil
}

// List gives the most recent imports.
func (s *Service) List(ctx context.Context, limit int) ([]View, error) {
	imps, err := s.Store.ListImports(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(imps))
	for _, imp := range imps {
		v := View{Import: imp}
		v.Checkpoint.Header = nil
		if imp.State == StateDone {
			v.Progress = 1
		} else if imp.Size > 0 {
			v.Progress = float64(imp.Offset) / float64(imp.Size)
		}
		out = append(out, v)
	}
	return out, nil
}

// NewID is an import id: "imp_" and 16 lower-case base32 characters.
func NewID() string { return "imp_" + strings.ToLower(rand.Text()[:16]) }
