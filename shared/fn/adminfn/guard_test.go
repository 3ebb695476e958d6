package adminfn

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/leadflow/leadflow/shared/auth"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/httpapi"
)

// TestHandlerAndCatalogListTheSameRoutes: the handler serves exactly the
// catalog's admin routes, so no handler route escapes the role table and no
// catalog route lacks a handler.
func TestHandlerAndCatalogListTheSameRoutes(t *testing.T) {
	h := NewWith(nil, nil, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	for key := range h.table {
		if _, ok := h.actions[key]; !ok {
			t.Errorf("handler route %q is not an admin route of the catalog (it would have no role)", key)
		}
	}
	for key := range h.actions {
		if _, ok := h.table[key]; !ok {
			t.Errorf("catalog admin route %q has no handler", key)
		}
	}
}

type fixedVerifier struct{ p auth.Principal }

func (v fixedVerifier) Verify(context.Context, string) (auth.Principal, error) { return v.p, nil }

// TestRefusalsComeBeforeTheRoute: a refused call answers 403 in the error
// shape without reaching the route (the nil store would panic if it did).
func TestRefusalsComeBeforeTheRoute(t *testing.T) {
	h := NewWith(nil, []byte("x"), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	h.verifier = fixedVerifier{auth.Principal{Subject: "u1", Role: catalog.RoleViewer}}
	req := httpapi.Request{RouteKey: "PUT /v1/contacts/{id}/stage", Headers: map[string]string{"authorization": "Bearer a.b.c"},
		PathParameters: map[string]string{"id": "c1"}, Body: `{"stage":"mql","reason":"x"}`}
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error httpapi.Error }
	if resp.StatusCode != http.StatusForbidden || json.Unmarshal([]byte(resp.Body), &body) != nil || body.Error.Code != "forbidden" {
		t.Fatalf("viewer stage change: %d %s", resp.StatusCode, resp.Body)
	}
	req.RouteKey = "GET /v1/not-in-the-catalog"
	if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusNotFound {
		t.Errorf("route missing from the catalog: %d %s, want 404", resp.StatusCode, resp.Body)
	}
}
