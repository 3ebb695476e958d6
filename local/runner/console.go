package runner

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/leadflow/leadflow/shared/catalog"
)

// ConsoleConfig is the console's config.json: where the API and the user
// pool are. The stack writes the same file next to the deployed console.
type ConsoleConfig struct {
	APIURL   string `json:"apiUrl"`
	Region   string `json:"region"`
	PoolID   string `json:"userPoolId"`
	ClientID string `json:"userPoolClientId"`
	// CognitoEndpoint is set locally only: the browser signs in against the
	// local Cognito server instead of cognito-idp.<region>.amazonaws.com.
	CognitoEndpoint string `json:"cognitoEndpoint,omitempty"`
}

// serveConsole serves the built console (console/dist) under /console/:
// files as they are, config.json from the running platform, and index.html
// for every other path, so a reload on /console/contacts/42 works (the
// CloudFront distribution does the same with its 403/404 responses).
func (p *Platform) serveConsole(w http.ResponseWriter, r *http.Request) {
	dir := p.opts.ConsoleDir
	if r.URL.Path == "/console" {
		http.Redirect(w, r, "/console/", http.StatusFound)
		return
	}
	rel := strings.TrimPrefix(r.URL.Path, "/console/")
	if rel == "config.json" {
		cfg := ConsoleConfig{APIURL: "", Region: "us-east-1"}
		if up := p.opts.UserPool; up != nil {
			cfg.PoolID, cfg.ClientID, cfg.CognitoEndpoint = up.ID, up.ClientID, up.Endpoint
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(cfg)
		return
	}
	if dir == "" {
		http.Error(w, "the console is not built: run `make dev` (it builds console/dist)", http.StatusNotFound)
		return
	}
	setConsoleHeaders(w, p.cognitoOrigin(), p.filesOrigin())
	clean := path.Clean("/" + rel)
	file := filepath.Join(dir, filepath.FromSlash(clean))
	if st, err := os.Stat(file); err == nil && !st.IsDir() {
		if strings.HasPrefix(clean, "/assets/") {
			// Vite puts a content hash in every asset name.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		http.ServeFile(w, r, file)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFile(w, r, filepath.Join(dir, "index.html"))
}

// setConsoleHeaders sets the security headers CloudFront adds in AWS
// (catalog.ConsoleCSP and ConsoleHeaders), with the local Cognito server in
// connect-src, and the local S3 server the browser uploads imports to.
func setConsoleHeaders(w http.ResponseWriter, connect ...string) {
	h := w.Header()
	h.Set("Content-Security-Policy", catalog.ConsoleCSP(false, connect...))
	for k, v := range catalog.ConsoleHeaders() {
		h.Set(k, v)
	}
}

// filesOrigin is the scheme and host of the local S3 server the presigned
// upload URLs point at ("" without one).
func (p *Platform) filesOrigin() string { return originOf(p.opts.Endpoints.S3) }

// cognitoOrigin is the scheme and host of the local Cognito server the
// console signs in against ("" without a user pool).
func (p *Platform) cognitoOrigin() string {
	if p.opts.UserPool == nil {
		return ""
	}
	return originOf(p.opts.UserPool.Endpoint)
}

// originOf is the scheme and host of endpoint ("" for none or a bad one).
func originOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
