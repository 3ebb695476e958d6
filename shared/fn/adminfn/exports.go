package adminfn

import (
	"context"
	"errors"
	"net/http"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/exports"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/membership"
)

// exportService builds the export service on the handler's store and jobs
// queue.
func (h *Handler) exportService(presign exports.Presigner, store exports.Store) *exports.Service {
	return &exports.Service{
		Store: store, Sources: exportSources{h}, Presign: presign, Now: h.now,
		Start: func(ctx context.Context, id string) error {
			return job.Send(ctx, h.jobs, job.Job{Kind: job.Export, ID: id})
		},
	}
}

func (h *Handler) exportRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"POST /v1/exports": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.exportsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			var d exports.Definition
			if err := decodeBody(req, &d); err != nil {
				return httpapi.Response{}, err
			}
			e, err := s.Create(ctx, d, principal(ctx).Name())
			if err != nil {
				return httpapi.Response{}, exportErr(err)
			}
			return httpapi.JSON(http.StatusAccepted, exports.View{Export: e}, nil), nil
		},
		"GET /v1/exports": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.exportsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			limit, err := intParam(req.QueryStringParameters, "limit", 20, 1, 100)
			if err != nil {
				return httpapi.Response{}, err
			}
			list, next, err := s.List(ctx, req.QueryStringParameters["cursor"], limit)
			if errors.Is(err, exports.ErrBadCursor) {
				return httpapi.Response{}, errBadRequest{"invalid_cursor", "cursor is not one this route gave"}
			}
			if err != nil {
				return httpapi.Response{}, err
			}
			body := map[string]any{"exports": list, "next_cursor": nil}
			if next != "" {
				body["next_cursor"] = next
			}
			return httpapi.JSON(http.StatusOK, body, nil), nil
		},
		"GET /v1/exports/{id}": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			s, err := h.exportsOn()
			if err != nil {
				return httpapi.Response{}, err
			}
			v, err := s.Get(ctx, req.PathParameters["id"])
			if err != nil {
				return httpapi.Response{}, exportErr(err)
			}
			return httpapi.JSON(http.StatusOK, v, nil), nil
		},
	}
}

func (h *Handler) exportsOn() (*exports.Service, error) {
	if h.exports == nil {
		return nil, errUnavailable{"exports need the bucket (BUCKET_NAME)"}
	}
	return h.exports, nil
}

// exportSources looks segments and lists up in the definitions registry
// (repo files and admin overrides).
type exportSources struct{ h *Handler }

func (s exportSources) Exists(ctx context.Context, r membership.Ref) (bool, error) {
	kind := definitions.KindSegments
	if r.Kind == membership.List {
		kind = definitions.KindLists
	}
	_, err := s.h.reg.Get(ctx, kind, r.ID)
	if errors.Is(err, definition.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func exportErr(err error) error {
	var inv exports.ErrInvalid
	var none exports.ErrNoSource
	switch {
	case errors.As(err, &inv):
		return errBadRequest{"invalid_export", inv.Msg}
	case errors.As(err, &none):
		return errNotFound{none.Error()}
	case errors.Is(err, exports.ErrNotFound):
		return errNotFound{"no such export"}
	}
	return err
}
