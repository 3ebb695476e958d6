package adminfn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/imports"
	"github.com/leadflow/leadflow/shared/job"
)

// WithImports gives the handler the import service (nil: the import routes
// answer 503, as in a deployment without the bucket).
func (h *Handler) WithImports(s *imports.Service) *Handler {
	h.imports = s
	return h
}

// importService builds the service on the handler's store and jobs queue.
func (h *Handler) importService(blobs interface {
	imports.Blobs
	imports.Presigner
}, store imports.Store) *imports.Service {
	return &imports.Service{
		Store: store, Blobs: blobs, Presign: blobs, Now: h.now,
		Start: func(ctx context.Context, id string) error {
			return job.Send(ctx, h.jobs, job.Job{Kind: job.Import, ID: id})
		},
	}
}

func (h *Handler) importRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"POST /v1/imports": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.importsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			var d imports.Definition
			if err := decodeBody(req, &d); err != nil {
				return httpapi.Response{}, err
			}
			c, err := s.Create(ctx, d, principal(ctx).Name())
			if err != nil {
				return httpapi.Response{}, importErr(err)
			}
			body := map[string]any{
				"id": c.Import.ID, "state": c.Import.State, "upload_url": c.UploadURL, "upload_method": c.Method,
				"upload_headers": c.Headers, "upload_expires_at": c.Expires,
				"start": "/v1/imports/" + c.Import.ID + "/start",
			}
			return httpapi.JSON(http.StatusCreated, body, nil), nil
		},
		"GET /v1/imports": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.importsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			limit, err := intParam(req.QueryStringParameters, "limit", 20, 1, 100)
			if err != nil {
				return httpapi.Response{}, err
			}
			list, err := s.List(ctx, limit)
			if err != nil {
				return httpapi.Response{}, err
			}
			views := make([]importView, len(list))
			for i, v := range list {
				views[i] = viewImport(v)
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"imports": views}, nil), nil
		},
		"GET /v1/imports/{id}": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.importsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			imp, err := s.Store.GetImport(ctx, req.PathParameters["id"])
			if err != nil {
				return httpapi.Response{}, importErr(err)
			}
			return httpapi.JSON(http.StatusOK, viewImport(imports.View{Import: imp}), nil), nil
		},
		"POST /v1/imports/{id}/start": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.importsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			imp, err := s.StartImport(ctx, req.PathParameters["id"])
			if err != nil {
				return httpapi.Response{}, importErr(err)
			}
			return httpapi.JSON(http.StatusAccepted, viewImport(imports.View{Import: imp}), nil), nil
		},
		"GET /v1/imports/{id}/errors": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.importsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			v, err := s.Get(ctx, req.PathParameters["id"])
			if err != nil {
				return httpapi.Response{}, importErr(err)
			}
			if v.ErrorReportURL == "" {
				return httpapi.Fail(http.StatusNotFound, "not_found", "no error report: the import is not done, or no row failed", nil), nil
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"url": v.ErrorReportURL, "expires_at": h.now().UTC().Add(imports.DownloadTTL)}, nil), nil
		},
	}
}

// importView is an import as the API shows it: its counts and state, and
// where its error report is (a route of its own: the report holds the
// file's emails, so fetching it is a personal-data read).
type importView struct {
	ID          string             `json:"id"`
	State       string             `json:"state"`
	Error       string             `json:"error,omitempty"`
	Definition  imports.Definition `json:"definition"`
	Rows        int                `json:"rows"`
	Imported    int                `json:"imported"`
	Failed      int                `json:"failed"`
	Duplicates  int                `json:"duplicates"`
	Size        int64              `json:"size"`
	Progress    float64            `json:"progress"`
	ErrorReport string             `json:"error_report,omitempty"`
	CreatedAt   time.Time          `json:"created_at"`
	CreatedBy   string             `json:"created_by,omitempty"`
	UpdatedAt   time.Time          `json:"updated_at"`
}

func viewImport(v imports.View) importView {
	imp := v.Import
	out := importView{ID: imp.ID, State: imp.State, Error: imp.Error, Definition: imp.Definition, Rows: imp.Rows, Imported: imp.Imported,
		Failed: imp.Failed, Duplicates: imp.Duplicates, Size: imp.Size, CreatedAt: imp.CreatedAt, CreatedBy: imp.CreatedBy, UpdatedAt: imp.UpdatedAt}
	switch {
	case imp.State == imports.StateDone:
		out.Progress = 1
	case imp.Size > 0:
		out.Progress = float64(imp.Offset) / float64(imp.Size)
	}
	if imp.State == imports.StateDone && imp.Failed > 0 {
		out.ErrorReport = "/v1/imports/" + imp.ID + "/errors"
	}
	return out
}

func (h *Handler) importsOn() (*imports.Service, error) {
	if h.imports == nil {
		return nil, errUnavailable{"imports need the bucket (BUCKET_NAME)"}
	}
	return h.imports, nil
}

type errUnavailable struct{ msg string }

func (e errUnavailable) Error() string { return e.msg }

func importErr(err error) error {
	var inv imports.ErrInvalid
	switch {
	case errors.As(err, &inv):
		return errBadRequest{"invalid_import", inv.Msg}
	case errors.Is(err, imports.ErrNotFound):
		return errNotFound{"no such import"}
	}
	return err
}

type errNotFound struct{ msg string }

func (e errNotFound) Error() string { return e.msg }
