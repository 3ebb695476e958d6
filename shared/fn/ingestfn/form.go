package ingestfn

import (
	"context"
	"net/http"

	"github.com/leadflow/leadflow/shared/httpapi"
)

// submitForm accepts a form fill. Filled in with the forms capability.
func (h *Handler) submitForm(_ context.Context, _ httpapi.Request) (httpapi.Response, error) {
	return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "forms are not built yet", nil), nil
}
