package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/leadflow/leadflow/shared/localaws"
)

// The tracking libraries sites already use, unmodified, at the versions
// pinned in testdata/clients/package.json (installed by `make tools`),
// against the local platform (issue 9). The browser libraries run in
// Chromium from a page on a second loopback origin, with every host but
// loopback unreachable, so nothing comes from a CDN: the page server hands
// out the libraries' files and settings. One call of each run is made while
// the connection to the API drops; it must arrive by the library's own retry.

const clientsDir = "local/runner/testdata/clients"

// clientLibs returns the node_modules folder of the pinned client libraries.
func clientLibs(t *testing.T) string {
	t.Helper()
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, clientsDir, "node_modules")
	for _, pkg := range []string{"@segment/analytics-next", "@rudderstack/analytics-js", "@rudderstack/rudder-sdk-node"} {
		if _, err := os.Stat(filepath.Join(dir, pkg, "package.json")); err != nil {
			t.Fatalf("%s is not installed in %s: %s", pkg, clientsDir, toolsHint)
		}
	}
	return dir
}

// flakyNetwork stands between a client and the API as the network does: it
// passes requests on, records them, and drops connections on demand (the
// connection closes without an answer, as when a phone changes cells).
type flakyNetwork struct {
	URL string

	mu        sync.Mutex
	reqs      []netRequest
	down      bool // drop every request
	dropPosts int  // drop the next n POSTs
}

type netRequest struct {
	Method, Path string
	Header       http.Header
	Status       int // 0 for a dropped request
	// AllowOrigin is the answer's Access-Control-Allow-Origin.
	AllowOrigin string
}

// statusRecorder remembers the status the platform answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (e *env) flakyNetwork() *flakyNetwork {
	e.t.Helper()
	n := &flakyNetwork{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		drop := n.down
		if !drop && r.Method == http.MethodPost && n.dropPosts > 0 {
			n.dropPosts--
			drop = true
		}
		i := len(n.reqs)
		n.reqs = append(n.reqs, netRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		n.mu.Unlock()
		if drop {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		e.platform.ServeHTTP(rec, r)
		n.mu.Lock()
		n.reqs[i].Status = rec.status
		n.reqs[i].AllowOrigin = rec.Header().Get("Access-Control-Allow-Origin")
		n.mu.Unlock()
	}))
	e.t.Cleanup(srv.Close)
	n.URL = srv.URL
	return n
}

func (n *flakyNetwork) setDown(down bool) {
	n.mu.Lock()
	n.down = down
	n.mu.Unlock()
}

func (n *flakyNetwork) requests() []netRequest {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.reqs)
}

func (n *flakyNetwork) String() string {
	var lines []string
	for _, r := range n.requests() {
		var names []string
		for k := range r.Header {
			names = append(names, k)
		}
		slices.Sort(names)
		lines = append(lines, fmt.Sprintf("%s %s -> %d (headers %s; preflight asked for %q)", r.Method, r.Path, r.Status,
			strings.Join(names, ","), r.Header.Get("Access-Control-Request-Headers")))
	}
	return strings.Join(lines, "\n")
}

// clientPages serves the test pages and the libraries' files on a second
// loopback address, so the page's origin is not the API's, and (allow)
// lets that origin post with the site key.
func (e *env) clientPages(libs, api string, allow bool) string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		e.t.Fatalf("listen on a second loopback address: %v", err)
	}
	vars, _ := json.Marshal(map[string]string{"key": siteKey, "api": api, "apiHost": strings.TrimPrefix(api, "http://")})
	segment := http.FileServer(http.Dir(filepath.Join(libs, "@segment", "analytics-next", "dist", "umd")))
	mux := http.NewServeMux()
	mux.Handle("/segment/", http.StripPrefix("/segment/", segment))
	// analytics.js loads its lazy chunks from cdnURL + /analytics-next/bundles/.
	mux.Handle("/analytics-next/bundles/", http.StripPrefix("/analytics-next/bundles/", segment))
	mux.Handle("/rudder/", http.StripPrefix("/rudder/", http.FileServer(http.Dir(
		filepath.Join(libs, "@rudderstack", "analytics-js", "dist", "npm", "modern", "bundled", "umd")))))
	// RudderStack's source config, which its CDN-hosted control plane
	// would serve: no device-mode destinations, no error or metrics reports.
	mux.HandleFunc("/sourceConfig/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("writeKey") != siteKey {
			http.Error(w, "unknown write key", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"isHosted":false,"updatedAt":"2026-12-01T00:00:00.000Z","source":{"id":"src-leadflow","name":"Leadflow test","writeKey":%q,
			"workspaceId":"ws-leadflow","enabled":true,"destinations":[],
			"config":{"statsCollection":{"errors":{"enabled":false},"metrics":{"enabled":false}}}}}`, siteKey)
	})
	pages := map[string]string{
		"/segment.html": `<script src="/segment/index.js"></script>
<script>
window.seg = AnalyticsNext.AnalyticsBrowser.load({
  writeKey: LF.key, cdnURL: location.origin,
  cdnSettings: {integrations: {"Segment.io": {apiKey: LF.key, apiHost: LF.apiHost + "/v1", protocol: "http"}}},
});
seg.ready(() => seg.user().then((u) => { window.anon = u.anonymousId(); window.loaded = true; }));
</script>`,
		"/rudder.html": `<script src="/rudder/index.js"></script>
<script>
window.ra = new rudderanalytics.RudderAnalytics();
ra.load(LF.key, LF.api, {
  configUrl: location.origin, destSDKBaseURL: location.origin + "/rudder/destinations",
  pluginsSDKBaseURL: location.origin + "/rudder/plugins", polyfillIfRequired: false, logLevel: "WARN",
  onLoaded: () => { window.loaded = true; },
});
</script>`,
		"/snippet.html": `<script>window.leadflow=window.leadflow||[];"page track identify consent reset".split(" ").forEach(function(m){leadflow[m]=leadflow[m]||function(){leadflow.push([m].concat([].slice.call(arguments)))}})</script>
<script>const s = document.createElement("script"); s.async = true; s.src = LF.api + "/v1/sdk.js"; s.dataset.siteKey = LF.key; document.head.appendChild(s);</script>`,
	}
	for path, body := range pages {
		html := `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Client test</title>
<script>const LF = ` + string(vars) + `;</script>
` + body + `</head><body><p>A site using a tracking library.</p></body></html>`
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, html)
		})
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	e.t.Cleanup(srv.Close)
	if !allow {
		return srv.URL
	}
	body := `{"name":"Test site","allowed_origins":["` + srv.URL + `"]}`
	if code, resp, _ := e.do("PUT", "/v1/sites/"+siteKey, body, map[string]string{"Authorization": "Bearer " + adminToken}); code != 200 && code != 201 {
		e.t.Fatalf("allow the page origin: %d %v", code, resp)
	}
	return srv.URL
}

// pageZone is the browser's time zone in these tests: a half-hour offset
// all year, which has no Etc zone, so RudderStack's "GMT+0330" shows the
// normalisation. (Not Asia/Kolkata: Chromium reports it by its old name.)
const pageZone = "Asia/Tehran"

// closedNetworkBrowser is Chromium with every host but loopback unreachable:
// names resolve to nothing, and anything else goes to a proxy that is not
// there. It records every URL a page asks for and counts the requests to
// api that failed in the network.
type closedNetworkBrowser struct {
	*browser
	mu     sync.Mutex
	urls   map[network.RequestID]string
	failed map[string]int // URL -> failures
}

func newClosedNetworkBrowser(t *testing.T) *closedNetworkBrowser {
	t.Helper()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now: a proxy that refuses every connection
	b := &closedNetworkBrowser{
		browser: newBrowser(t,
			chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2"),
			chromedp.ProxyServer("http://"+deadAddr),
			chromedp.Flag("proxy-bypass-list", "127.0.0.1;127.0.0.2;localhost"),
		),
		urls:   map[network.RequestID]string{},
		failed: map[string]int{},
	}
	chromedp.ListenTarget(b.ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.urls[ev.RequestID] = ev.Request.URL
		case *network.EventLoadingFailed:
			b.failed[b.urls[ev.RequestID]]++
		}
	})
	b.run(emulation.SetTimezoneOverride(pageZone))
	return b
}

// failures counts the requests under prefix that failed in the network.
func (b *closedNetworkBrowser) failures(prefix string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for u, c := range b.failed {
		if strings.HasPrefix(u, prefix) {
			n += c
		}
	}
	return n
}

// assertLoopbackOnly fails the test for any request the pages made to a host
// other than the two loopback servers.
func (b *closedNetworkBrowser) assertLoopbackOnly() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, raw := range b.urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "data" && u.Hostname() != "127.0.0.1" && u.Hostname() != "127.0.0.2") {
			b.t.Errorf("the page asked for %s: everything must come from the local servers", raw)
		}
	}
}

// assertQuietBut fails the test for page problems other than the dropped
// connection's: the browser and the libraries log those, rightly.
func (b *closedNetworkBrowser) assertQuietBut(expected ...string) {
	b.t.Helper()
	b.browser.mu.Lock()
	defer b.browser.mu.Unlock()
	for _, p := range b.problems {
		if !slices.ContainsFunc(expected, func(s string) bool { return strings.Contains(p, s) }) {
			b.t.Errorf("page problem: %s", p)
		} else {
			b.t.Logf("expected page problem: %s", p)
		}
	}
}

// waitClientContact waits until the contact of an anonymous id holds n
// events, on its timeline and in its counters; on failure it shows what
// crossed the network.
func (e *env) waitClientContact(anon string, n int, nw *flakyNetwork) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		if _, body := e.admin("/v1/contacts?anonymous_id=" + url.QueryEscape(anon)); len(body["contacts"].([]any)) == 1 {
			id := body["contacts"].([]any)[0].(map[string]any)["id"].(string)
			if code, c := e.admin("/v1/contacts/" + id); code == 200 {
				last = c
				if len(c["events"].([]any)) >= n && c["event_count"].(float64) >= float64(n) {
					return c
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	var kinds []string
	if last != nil {
		kinds = eventKinds(last)
	}
	e.t.Fatalf("contact of %s never held %d events (has %v); requests through the network:\n%s", anon, n, kinds, nw)
	return nil
}

// eventKinds lists a contact's events as type or type:event, sorted.
func eventKinds(c map[string]any) []string {
	var kinds []string
	for _, raw := range c["events"].([]any) {
		ev := raw.(map[string]any)
		kind := ev["type"].(string)
		if name, _ := ev["event"].(string); name != "" {
			kind += ":" + name
		}
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	return kinds
}

// clientCase is one browser library and how to drive it.
type clientCase struct {
	page  string // on the page server
	anon  string // JS: the anonymous id, once loaded
	first string // JS: a page view and a track, sent with the network up
	// dropped is the JS call made while the connection is down: it must
	// arrive by the library's retry.
	dropped string
	last    string // JS: an identify (user "u-1", email, first_name), network up
	// retryHeader marks the library's retries; the retry's preflight
	// asks for it.
	retryHeader string
	library     string // context.library.name of its events
	timezone    string // the contact's time zone after the calls; "" for the browser's Intl zone
	// expected are the page problems the dropped connection causes.
	expected []string
}

const clientEmail = "ada@example.com"

func testBrowserClient(t *testing.T, cc clientCase) {
	libs := clientLibs(t)
	e := newEnv(t)
	nw := e.flakyNetwork()
	pages := e.clientPages(libs, nw.URL, true)
	b := newClosedNetworkBrowser(t)

	b.run(chromedp.Navigate(pages + cc.page))
	b.poll(`document.readyState === "complete" && window.loaded === true`, nil)
	var anon string
	b.poll(cc.anon, &anon)

	b.eval(cc.first+`; true`, nil)
	e.waitClientContact(anon, 2, nw)

	// The connection drops for one call: the library sees a network error
	// (after Chromium's own retry on a fresh connection) and retries later.
	nw.setDown(true)
	b.eval(cc.dropped+`; true`, nil)
	deadline := time.Now().Add(20 * time.Second)
	for b.failures(nw.URL) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	nw.setDown(false)
	if b.failures(nw.URL) == 0 {
		t.Fatalf("no request failed while the network was down; requests:\n%s", nw)
	}

	b.eval(cc.last+`; true`, nil)
	c := e.waitClientContact(anon, 4, nw)
	e.settle()
	_, c = e.admin("/v1/contacts/" + c["id"].(string))

	if got, want := strings.Join(eventKinds(c), ","), "identify,page,track:Demo Requested,track:Plan Viewed"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if c["event_count"] != float64(4) || c["page_views"] != float64(1) {
		t.Errorf("event_count %v page_views %v, want 4 and 1", c["event_count"], c["page_views"])
	}
	if c["email"] != clientEmail || c["user_id"] != "u-1" {
		t.Errorf("email %v user_id %v", c["email"], c["user_id"])
	}
	if traits, _ := c["traits"].(map[string]any); traits["first_name"] != "Ada" || traits["email"] != clientEmail {
		t.Errorf("traits %v, want the identify's first_name and email", c["traits"])
	}
	if cc.timezone == "" {
		b.eval(`Intl.DateTimeFormat().resolvedOptions().timeZone`, &cc.timezone)
	}
	if c["timezone"] != cc.timezone {
		t.Errorf("timezone %v, want %s (the browser is in %s)", c["timezone"], cc.timezone, pageZone)
	}
	seen := map[string]bool{}
	for _, raw := range c["events"].([]any) {
		ev := raw.(map[string]any)
		id, _ := ev["messageId"].(string)
		lib, _ := ev["context"].(map[string]any)["library"].(map[string]any)
		if id == "" || seen[id] || lib["name"] != cc.library || ev["anonymousId"] != anon {
			t.Errorf("%v %v: messageId %q (repeated: %v) library %v anonymousId %v", ev["type"], ev["event"], id, seen[id], lib, ev["anonymousId"])
		}
		seen[id] = true
		if ev["event"] == "Demo Requested" {
			if props, _ := ev["properties"].(map[string]any); props["plan"] != "pro" {
				t.Errorf("the retried track lost its properties: %v", props)
			}
		}
	}

	// The retry crossed the network: its preflight asked for the library's
	// retry header and was granted, and the POST carrying it was accepted.
	var dropped, retried, preflightOK int
	for _, r := range nw.requests() {
		switch {
		case r.Status == 0:
			dropped++
		case r.Status >= 400:
			t.Errorf("%s %s answered %d; headers %v", r.Method, r.Path, r.Status, r.Header)
		case r.Method == http.MethodPost && r.Header.Get(cc.retryHeader) != "":
			retried++
		case r.Method == http.MethodOptions && strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Request-Headers")), strings.ToLower(cc.retryHeader)):
			preflightOK++
		}
	}
	if dropped == 0 || retried == 0 || preflightOK == 0 {
		t.Errorf("dropped %d, accepted retries with %s %d, granted preflights for it %d; requests:\n%s", dropped, cc.retryHeader, retried, preflightOK, nw)
	}
	b.assertLoopbackOnly()
	b.assertQuietBut(cc.expected...)
}

func TestAnalyticsNextInChromiumDeliversEveryCallAcrossADrop(t *testing.T) {
	testBrowserClient(t, clientCase{
		page:        "/segment.html",
		anon:        `window.anon`,
		first:       `seg.page(); seg.track("Plan Viewed", {plan: "team"})`,
		dropped:     `seg.track("Demo Requested", {plan: "pro"})`,
		last:        `seg.identify("u-1", {email: "` + clientEmail + `", first_name: "Ada"})`,
		retryHeader: "X-Retry-Count",
		library:     "analytics.js",
		timezone:    "", // analytics.js sends the IANA name Intl reports
		expected:    []string{"ERR_EMPTY_RESPONSE"},
	})
}

func TestRudderStackInChromiumDeliversEveryCallAcrossADrop(t *testing.T) {
	testBrowserClient(t, clientCase{
		page:        "/rudder.html",
		anon:        `ra.getAnonymousId()`,
		first:       `ra.page(); ra.track("Plan Viewed", {plan: "team"})`,
		dropped:     `ra.track("Demo Requested", {plan: "pro"})`,
		last:        `ra.identify("u-1", {email: "` + clientEmail + `", first_name: "Ada"})`,
		retryHeader: "Rsa-Retry-Attempt",
		library:     "RudderLabs JavaScript SDK",
		timezone:    "UTC+03:30", // it sends "GMT+0330"; there is no Etc zone for half hours
		expected:    []string{"ERR_EMPTY_RESPONSE", "will be retried"},
	})
}

// The snippet's own retry path across a dropped connection, from a page on
// another origin (it sends text/plain without custom headers, so it never
// needed a preflight).
func TestSnippetDeliversEveryCallAcrossADrop(t *testing.T) {
	libs := clientLibs(t)
	e := newEnv(t)
	nw := e.flakyNetwork()
	pages := e.clientPages(libs, nw.URL, true)
	b := newClosedNetworkBrowser(t)

	b.run(chromedp.Navigate(pages + "/snippet.html"))
	anon := b.waitSnippet()
	b.eval(`leadflow.track("Plan Viewed", {plan: "team"}), leadflow.flush(), true`, nil)
	e.waitClientContact(anon, 2, nw) // the page view and the track

	nw.setDown(true)
	b.eval(`leadflow.track("Demo Requested", {plan: "pro"}), leadflow.flush(), true`, nil)
	deadline := time.Now().Add(20 * time.Second)
	for b.failures(nw.URL) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	nw.setDown(false)
	if b.failures(nw.URL) == 0 {
		t.Fatalf("no request failed while the network was down; requests:\n%s", nw)
	}
	b.eval(`leadflow.identify("`+clientEmail+`", {first_name: "Ada"}), leadflow.flush(), true`, nil)
	c := e.waitClientContact(anon, 4, nw)
	e.settle()
	_, c = e.admin("/v1/contacts/" + c["id"].(string))
	if got, want := strings.Join(eventKinds(c), ","), "identify,page,track:Demo Requested,track:Plan Viewed"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if traits, _ := c["traits"].(map[string]any); c["email"] != clientEmail || c["event_count"] != float64(4) || traits["first_name"] != "Ada" {
		t.Errorf("email %v event_count %v traits %v", c["email"], c["event_count"], c["traits"])
	}
	var zone string
	b.eval(`Intl.DateTimeFormat().resolvedOptions().timeZone`, &zone)
	if c["timezone"] != zone || zone == "" {
		t.Errorf("timezone %v, want the browser's %s", c["timezone"], zone)
	}
	var dropped, accepted int
	for _, r := range nw.requests() {
		if r.Path != "/v1/batch" {
			continue
		}
		switch {
		case r.Status == 0:
			dropped++
		case r.Status == http.StatusOK:
			accepted++
		default:
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
	}
	if dropped == 0 || accepted < 2 {
		t.Errorf("%d dropped and %d accepted batches; requests:\n%s", dropped, accepted, nw)
	}
	b.assertLoopbackOnly()
	b.assertQuietBut("ERR_EMPTY_RESPONSE")
}

// RudderStack's Node SDK, the second server library (after Segment's), sends
// through a connection that drops its first request: axios-retry sends it again.
func TestRudderStackNodeLibraryDeliversAcrossADrop(t *testing.T) {
	libs := clientLibs(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not on PATH: install Node 20, then %s", toolsHint)
	}
	e := newEnv(t)
	nw := e.flakyNetwork()
	nw.mu.Lock()
	nw.dropPosts = 1
	nw.mu.Unlock()
	anon := fmt.Sprintf("rudder-node-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(filepath.Dir(libs), "rudder_node_client.mjs"))
	cmd.Env = append(os.Environ(), "LEADFLOW_API="+nw.URL, "LEADFLOW_WRITE_KEY="+siteKey, "LEADFLOW_ANON="+anon, "LEADFLOW_USER=user-grace")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rudder_node_client.mjs: %v\n%s\nrequests:\n%s", err, out, nw)
	}
	c := e.waitClientContact(anon, 3, nw)
	e.settle()
	_, c = e.admin("/v1/contacts/" + c["id"].(string))
	if got, want := strings.Join(eventKinds(c), ","), "identify,page,track:Plan Selected"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if c["email"] != "grace@example.com" || c["user_id"] != "user-grace" || c["event_count"] != float64(3) {
		t.Errorf("email %v user_id %v event_count %v", c["email"], c["user_id"], c["event_count"])
	}
	if traits, _ := c["traits"].(map[string]any); traits["first_name"] != "Grace" || traits["plan"] != "team" {
		t.Errorf("traits %v", c["traits"])
	}
	var dropped, accepted int
	for _, r := range nw.requests() {
		switch {
		case r.Status == 0:
			dropped++
		case r.Method == http.MethodPost && r.Status == http.StatusOK:
			accepted++
		default:
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
	}
	if dropped != 1 || accepted == 0 {
		t.Errorf("%d dropped, %d accepted; requests:\n%s", dropped, accepted, nw)
	}
}

// The preflight allows any origin's headers, but the origin check stays on
// the POST: the same library on a page the site does not list delivers
// nothing, and its script gets no CORS grant to read the refusal.
func TestClientLibraryOnAnOriginTheSiteDoesNotListIsRefused(t *testing.T) {
	libs := clientLibs(t)
	e := newEnv(t)
	nw := e.flakyNetwork()
	pages := e.clientPages(libs, nw.URL, false)
	b := newClosedNetworkBrowser(t)

	b.run(chromedp.Navigate(pages + "/segment.html"))
	b.poll(`document.readyState === "complete" && window.loaded === true`, nil)
	var anon string
	b.poll(`window.anon`, &anon)
	b.eval(`seg.track("Refused Call"); true`, nil)

	// The refusal itself is the marker: a 403 comes before anything is queued.
	deadline := time.Now().Add(20 * time.Second)
	var refused []netRequest
	for len(refused) == 0 && time.Now().Before(deadline) {
		for _, r := range nw.requests() {
			if r.Method == http.MethodPost && r.Status == http.StatusForbidden {
				refused = append(refused, r)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(refused) == 0 {
		t.Fatalf("no POST was refused; requests:\n%s", nw)
	}
	for _, r := range nw.requests() {
		if r.Method == http.MethodPost && (r.Status != http.StatusForbidden || r.AllowOrigin != "") {
			t.Errorf("POST %s from a refused origin: %d, Access-Control-Allow-Origin %q", r.Path, r.Status, r.AllowOrigin)
		}
	}
	e.settle()
	if _, body := e.admin("/v1/contacts?anonymous_id=" + url.QueryEscape(anon)); len(body["contacts"].([]any)) != 0 {
		t.Errorf("a refused origin's call made a contact: %v", body["contacts"])
	}
	b.assertLoopbackOnly()
	// The browser reports the refused request (no CORS grant) as it should.
	b.assertQuietBut("CORS policy", "status of 403", "ERR_FAILED")
}
