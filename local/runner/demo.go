package runner

import "net/http"

// serveDemo serves the local demo page. Filled in with the snippet capability.
func (p *Platform) serveDemo(w http.ResponseWriter, r *http.Request) {
	http.NotFound(w, r)
}
