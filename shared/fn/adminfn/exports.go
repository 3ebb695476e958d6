package adminfn

import (
	"context"
	"errors"
	"net/http"

	"github.com/leadflow/leadflow/shared/exports"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/job"
)

// exportService builds the export service on the handler's store and jobs
// queue.
func (h *Handler) exportService(presign exports.Presigner, store exports.Store) *exports.Service {
	return &exports.Service{
		Store: store, Presign: presign, Now: h.now,
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

func exportErr(err error) error {
	var inv exports.ErrInvalid
	switch {
	case errors.As(err, &inv):
		return errBadRequest{"invalid_export", inv.Msg}
	case errors.Is(err, exports.ErrNotFound):
		return errNotFound{"no such export"}
	}
	return err
}
