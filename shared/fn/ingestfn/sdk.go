package ingestfn

import (
	"context"
	"net/http"

	"github.com/leadflow/leadflow/shared/httpapi"
)

// serveSDK serves the tracking snippet. Filled in with the snippet capability.
func (h *Handler) serveSDK(_ context.Context, _ httpapi.Request) (httpapi.Response, error) {
	return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "the tracking snippet is not built yet", nil), nil
}
