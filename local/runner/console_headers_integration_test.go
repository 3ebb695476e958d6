package runner_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
)

// TestConsoleServesSecurityHeaders: the local console sends the headers
// CloudFront sends in AWS, with the local Cognito server and the local S3
// server (where the browser uploads an import's file) as the only other
// origins the CSP lets the app call, and nothing inline.
func TestConsoleServesSecurityHeaders(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<!doctype html><title>console</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *runner.Options) { o.ConsoleDir = dist })
	cognito, err := url.Parse(userPool.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	s3, err := url.Parse(servers.Endpoints().S3)
	if err != nil || s3.Host == "" {
		t.Fatalf("no local S3 server: %q %v", servers.Endpoints().S3, err)
	}
	for _, path := range []string{"/console/", "/console/contacts/c1", "/console/index.html"} {
		resp, err := http.Get(e.api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || csp == "" {
			t.Fatalf("%s: %d, CSP %q", path, resp.StatusCode, csp)
		}
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
			"connect-src 'self' http://" + cognito.Host + " http://" + s3.Host + ";"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "upgrade-insecure-requests") {
			t.Errorf("%s: CSP %q allows inline code or upgrades plain-HTTP localhost", path, csp)
		}
		for k, v := range catalog.ConsoleHeaders() {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}
