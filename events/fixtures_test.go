// Package events_test checks the fixtures in events/: each is the exact
// payload its trigger delivers, so each must survive a round trip through
// the aws-lambda-go type the function's handler takes without losing a
// field, and the tracking bodies must agree with both tracking.Parse and
// schema/tracking.schema.json. The handler tests (shared/fn/*/fixture_test.go)
// feed the same files to the real handlers.
package events_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/tracking"
)

// trigger is the aws-lambda-go type a fixture decodes into.
type trigger int

const (
	httpAPI trigger = iota
	sqsQueue
	eventBridge
)

// fixtures lists every fixture under events/ (TestEveryFixtureIsListed
// keeps this in step with the directory).
var fixtures = map[string]trigger{
	"apigw/batch.json":            httpAPI,
	"apigw/track-beacon.json":     httpAPI,
	"apigw/batch-base64.json":     httpAPI,
	"apigw/contact-get.json":      httpAPI,
	"sqs/events-batch.json":       sqsQueue,
	"scheduled/timers-tick.json":  eventBridge,
	"ses/delivery.json":           eventBridge,
	"ses/bounce.json":             eventBridge,
	"ses/complaint.json":          eventBridge,
	"ses/open.json":               eventBridge,
	"ses/click.json":              eventBridge,
	"schema/tracking.schema.json": -1, // not a trigger payload
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestEveryFixtureIsListed(t *testing.T) {
	readme := string(read(t, "README.md"))
	var onDisk []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		onDisk = append(onDisk, filepath.ToSlash(path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range onDisk {
		if _, ok := fixtures[p]; !ok {
			t.Errorf("%s is not in this test's fixture list, so nothing round-trips it", p)
		}
		if !strings.Contains(readme, p) {
			t.Errorf("README.md does not describe %s", p)
		}
	}
	for p := range fixtures {
		if !slices.Contains(onDisk, p) {
			t.Errorf("listed fixture %s does not exist", p)
		}
	}
}

// TestRoundTrip decodes each fixture into the type its handler takes and
// encodes it again, the way aws-lambda-go's own event tests do. Every value
// in the fixture must come back unchanged; a key the type does not model
// would be lost, so the fixture would not be testing what the handler sees.
// The type may add keys of its own only with zero values (for example
// requestContext.authentication, which API Gateway sends only with mTLS).
func TestRoundTrip(t *testing.T) {
	for name, kind := range fixtures {
		if kind < 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			raw := read(t, name)
			var v any
			switch kind {
			case httpAPI:
				v = &events.APIGatewayV2HTTPRequest{}
			case sqsQueue:
				v = &events.SQSEvent{}
			case eventBridge:
				v = &events.EventBridgeEvent{}
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			if err := dec.Decode(v); err != nil {
				t.Fatalf("decode into %T: %v", v, err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var before, after any
			mustUnmarshal(t, raw, &before)
			mustUnmarshal(t, out, &after)
			for _, p := range lost("", before, after) {
				t.Errorf("%T loses %s", v, p)
			}
			for _, p := range added("", before, after) {
				t.Errorf("%T adds a non-zero %s that the trigger did not send", v, p)
			}
		})
	}
}

func mustUnmarshal(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// lost lists the paths of want that got does not hold with the same value.
func lost(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s (now %v)", or(path, "."), got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, lost(path+"."+k, wv, gv)...)
		}
		sort.Strings(out)
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s (now %v)", path, got)}
		}
		var out []string
		for i := range w {
			out = append(out, lost(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s (%v, now %v)", path, want, got)}
		}
		return nil
	}
}

// added lists the keys got has beyond want whose values are not zero.
func added(path string, want, got any) []string {
	g, ok := got.(map[string]any)
	if !ok {
		return nil
	}
	w, _ := want.(map[string]any)
	var out []string
	for k, gv := range g {
		if wv, ok := w[k]; ok {
			out = append(out, added(path+"."+k, wv, gv)...)
		} else if !zero(gv) {
			out = append(out, fmt.Sprintf("%s.%s = %v", path, k, gv))
		}
	}
	sort.Strings(out)
	return out
}

func zero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !zero(e) {
				return false
			}
		}
		return true
	}
	return false
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func httpFixture(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(read(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func body(t *testing.T, ev events.APIGatewayV2HTTPRequest) []byte {
	t.Helper()
	if !ev.IsBase64Encoded {
		return []byte(ev.Body)
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	return b
}

// TestHTTPAPIFixturesAreConsistent checks what API Gateway guarantees about
// a payload v2 event, so a hand edit cannot produce one it never sends.
func TestHTTPAPIFixturesAreConsistent(t *testing.T) {
	cat := catalog.Load()
	for name, kind := range fixtures {
		if kind != httpAPI {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ev := httpFixture(t, name)
			rc := ev.RequestContext
			if ev.Version != "2.0" {
				t.Errorf("version %q, want 2.0", ev.Version)
			}
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q: HTTP API lower-cases header names", k)
				}
			}
			if ev.RouteKey != rc.RouteKey || ev.RouteKey != rc.HTTP.Method+" "+routePath(ev.RouteKey) {
				t.Errorf("routeKey %q, requestContext.routeKey %q, method %q", ev.RouteKey, rc.RouteKey, rc.HTTP.Method)
			}
			_, route, params, ok := cat.RouteMatch(rc.HTTP.Method, ev.RawPath)
			if !ok || route.Key() != ev.RouteKey {
				t.Errorf("%s %s does not match catalog route %q", rc.HTTP.Method, ev.RawPath, ev.RouteKey)
			}
			if len(params) == 0 {
				params = nil
			}
			if !reflect.DeepEqual(params, ev.PathParameters) {
				t.Errorf("pathParameters %v, the route gives %v", ev.PathParameters, params)
			}
			if rc.HTTP.Path != ev.RawPath {
				t.Errorf("requestContext.http.path %q != rawPath %q", rc.HTTP.Path, ev.RawPath)
			}
			if rc.HTTP.UserAgent != ev.Headers["user-agent"] {
				t.Errorf("requestContext.http.userAgent %q != user-agent header %q", rc.HTTP.UserAgent, ev.Headers["user-agent"])
			}
			if xff := ev.Headers["x-forwarded-for"]; !strings.HasSuffix(xff, rc.HTTP.SourceIP) {
				t.Errorf("sourceIp %q is not the last x-forwarded-for hop %q", rc.HTTP.SourceIP, xff)
			}
			if rc.DomainName != ev.Headers["host"] || !strings.HasPrefix(rc.DomainName, rc.DomainPrefix+".") || rc.DomainPrefix != rc.APIID {
				t.Errorf("domainName %q, host %q, domainPrefix %q, apiId %q", rc.DomainName, ev.Headers["host"], rc.DomainPrefix, rc.APIID)
			}
			at := time.UnixMilli(rc.TimeEpoch).UTC()
			if want := at.Format("02/Jan/2006:15:04:05 -0700"); rc.Time != want {
				t.Errorf("requestContext.time %q, timeEpoch gives %q", rc.Time, want)
			}
			if q := ev.RawQueryString; q != "" {
				for k, v := range ev.QueryStringParameters {
					if !strings.Contains(q, k+"="+v) {
						t.Errorf("queryStringParameters %s=%s not in rawQueryString %q", k, v, q)
					}
				}
			}
			b := body(t, ev)
			if cl, ok := ev.Headers["content-length"]; ok && cl != strconv.Itoa(len(b)) {
				t.Errorf("content-length %s, body is %d bytes", cl, len(b))
			}
			// HTTP API passes text-like bodies as strings and base64-encodes
			// the rest (local/runner/http.go mirrors the rule).
			ct := ev.Headers["content-type"]
			text := ct == "" || strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json")
			if len(b) > 0 && ev.IsBase64Encoded == text {
				t.Errorf("content-type %q with isBase64Encoded %v", ct, ev.IsBase64Encoded)
			}
		})
	}
}

func routePath(key string) string {
	_, p, _ := strings.Cut(key, " ")
	return p
}

func TestBase64FixtureIsTheBatchFixture(t *testing.T) {
	plain, encoded := httpFixture(t, "apigw/batch.json"), httpFixture(t, "apigw/batch-base64.json")
	if !encoded.IsBase64Encoded || plain.IsBase64Encoded {
		t.Fatalf("isBase64Encoded: batch %v, batch-base64 %v", plain.IsBase64Encoded, encoded.IsBase64Encoded)
	}
	if !bytes.Equal(body(t, plain), body(t, encoded)) {
		t.Error("batch-base64.json does not carry batch.json's body")
	}
}

// TestSQSFixture checks the SQS record fields Lambda's event source mapping
// fills, and that every body is a queue body as ingest writes it.
func TestSQSFixture(t *testing.T) {
	var ev events.SQSEvent
	if err := json.Unmarshal(read(t, "sqs/events-batch.json"), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 2 {
		t.Fatalf("%d records, want 2 (two visitors)", len(ev.Records))
	}
	identities := map[string]bool{}
	for i, r := range ev.Records {
		sum := md5.Sum([]byte(r.Body))
		if r.Md5OfBody != hex.EncodeToString(sum[:]) {
			t.Errorf("record %d: md5OfBody %s is not the MD5 of its body", i, r.Md5OfBody)
		}
		if r.EventSource != "aws:sqs" || !strings.HasPrefix(r.EventSourceARN, "arn:aws:sqs:"+r.AWSRegion+":") {
			t.Errorf("record %d: eventSource %q, eventSourceARN %q, awsRegion %q", i, r.EventSource, r.EventSourceARN, r.AWSRegion)
		}
		for _, a := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} {
			if r.Attributes[a] == "" {
				t.Errorf("record %d: attribute %s missing", i, a)
			}
		}
		if r.MessageId == "" || r.ReceiptHandle == "" {
			t.Errorf("record %d: messageId %q, receiptHandle %q", i, r.MessageId, r.ReceiptHandle)
		}
		b, err := tracking.DecodeBatch(r.Body)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if b.RequestID == "" || b.SiteKey == "" || b.ReceivedAt.IsZero() || len(b.Messages) == 0 {
			t.Errorf("record %d: batch envelope %+v", i, b)
		}
		for _, m := range b.Messages {
			identities[m.AnonymousID] = true
		}
	}
	if len(identities) != 2 {
		t.Errorf("anonymous ids %v, want two visitors", identities)
	}
}

// TestScheduledFixture pins the event EventBridge Scheduler sends a
// templated Lambda target that has no input configured: an EventBridge-style
// envelope whose detail is the JSON *string* "{}", not an object (see
// aws/aws-lambda-dotnet#1864, aws/aws-lambda-java-libs#479). Decoding it into
// events.EventBridgeEvent must still work, since that is what timersfn takes.
func TestScheduledFixture(t *testing.T) {
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(read(t, "scheduled/timers-tick.json"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Source != "aws.scheduler" || ev.DetailType != "Scheduled Event" || ev.Version != "0" {
		t.Errorf("source %q, detail-type %q, version %q", ev.Source, ev.DetailType, ev.Version)
	}
	if string(ev.Detail) != `"{}"` {
		t.Errorf("detail %s, want the string \"{}\"", ev.Detail)
	}
	prefix := "arn:aws:scheduler:" + ev.Region + ":" + ev.AccountID + ":schedule/default/"
	if len(ev.Resources) != 1 || !strings.HasPrefix(ev.Resources[0], prefix) || !strings.Contains(ev.Resources[0], "TimersTick") {
		t.Errorf("resources %v, want the timers-tick schedule's ARN (%s...)", ev.Resources, prefix)
	}
	if ev.Time.IsZero() || ev.Time.Second() != 0 {
		t.Errorf("time %s: a rate(1 minute) schedule fires on the minute", ev.Time)
	}
}

// sesRecord is the part of an SES event publishing record the checks read.
type sesRecord struct {
	EventType string `json:"eventType"`
	Mail      struct {
		Timestamp     time.Time           `json:"timestamp"`
		Source        string              `json:"source"`
		MessageID     string              `json:"messageId"`
		Destination   []string            `json:"destination"`
		Headers       []map[string]string `json:"headers"`
		CommonHeaders struct {
			From      []string `json:"from"`
			To        []string `json:"to"`
			MessageID string   `json:"messageId"`
			Subject   string   `json:"subject"`
		} `json:"commonHeaders"`
		Tags map[string][]string `json:"tags"`
	} `json:"mail"`
}

// TestSESFixtures checks the SES event publishing records as the EventBridge
// event destination delivers them: detail-type names the event type, and the
// detail is the same record SES publishes to SNS and Firehose, with the
// message tags Leadflow sets (send_id, contact_id, campaign_id) in mail.tags.
func TestSESFixtures(t *testing.T) {
	detailTypes := map[string]struct{ eventType, object string }{
		"ses/delivery.json":  {"Delivery", "delivery"},
		"ses/bounce.json":    {"Bounce", "bounce"},
		"ses/complaint.json": {"Complaint", "complaint"},
		"ses/open.json":      {"Open", "open"},
		"ses/click.json":     {"Click", "click"},
	}
	names := map[string]string{
		"Delivery": "Email Delivered", "Bounce": "Email Bounced", "Complaint": "Email Complaint Received",
		"Open": "Email Opened", "Click": "Email Clicked",
	}
	for name, want := range detailTypes {
		t.Run(name, func(t *testing.T) {
			var ev events.EventBridgeEvent
			if err := json.Unmarshal(read(t, name), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Source != "aws.ses" || ev.DetailType != names[want.eventType] {
				t.Errorf("source %q detail-type %q, want aws.ses %q", ev.Source, ev.DetailType, names[want.eventType])
			}
			var rec sesRecord
			if err := json.Unmarshal(ev.Detail, &rec); err != nil {
				t.Fatal(err)
			}
			var objects map[string]json.RawMessage
			if err := json.Unmarshal(ev.Detail, &objects); err != nil {
				t.Fatal(err)
			}
			if rec.EventType != want.eventType || len(objects[want.object]) == 0 || len(objects) != 3 {
				t.Errorf("eventType %q with keys %v, want %q with mail and %s", rec.EventType, keys(objects), want.eventType, want.object)
			}
			m := rec.Mail
			if m.Timestamp.IsZero() || m.Source == "" || m.MessageID == "" || len(m.Destination) == 0 || len(m.Headers) == 0 {
				t.Errorf("mail %+v lacks timestamp, source, messageId, destination or headers", m)
			}
			if m.CommonHeaders.MessageID != m.MessageID || !slices.Equal(m.CommonHeaders.To, m.Destination) {
				t.Errorf("commonHeaders %+v disagree with mail", m.CommonHeaders)
			}
			for _, tag := range []string{"ses:configuration-set", "send_id", "contact_id", "campaign_id"} {
				if v := m.Tags[tag]; len(v) != 1 || v[0] == "" {
					t.Errorf("tag %s = %v, want one value", tag, v)
				}
			}
			arn := "arn:aws:ses:" + ev.Region + ":" + ev.AccountID + ":configuration-set/" + first(m.Tags["ses:configuration-set"])
			if !slices.Equal(ev.Resources, []string{arn}) {
				t.Errorf("resources %v, want [%s]", ev.Resources, arn)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

// The schema tests below check schema/tracking.schema.json against the
// parser it documents. No JSON Schema library is a dependency, so a small
// validator for the keywords the schema uses is here; it refuses a schema
// that uses any other assertion keyword, so it cannot pass by ignoring one.

type schemaDoc struct {
	root map[string]any
}

func loadSchema(t *testing.T) schemaDoc {
	t.Helper()
	var root map[string]any
	mustUnmarshal(t, read(t, "schema/tracking.schema.json"), &root)
	return schemaDoc{root: root}
}

// def returns the named $defs entry.
func (s schemaDoc) def(t *testing.T, name string) map[string]any {
	t.Helper()
	defs, _ := s.root["$defs"].(map[string]any)
	d, ok := defs[name].(map[string]any)
	if !ok {
		t.Fatalf("schema has no $defs/%s", name)
	}
	return d
}

// annotations carry no assertion (format included: 2020-12 treats it as an
// annotation unless a validator opts in).
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "$comment": true, "title": true,
	"description": true, "format": true, "examples": true, "default": true,
}

var assertions = map[string]bool{
	"$ref": true, "type": true, "enum": true, "const": true, "required": true, "properties": true,
	"items": true, "minItems": true, "maxItems": true, "minLength": true, "maxLength": true,
	"pattern": true, "anyOf": true, "allOf": true, "if": true, "then": true,
	"maxProperties": true, "propertyNames": true, "additionalProperties": true,
}

// unknownKeywords lists keywords of the schema this validator cannot check.
func unknownKeywords(path string, node any) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			switch {
			case k == "properties" || k == "$defs":
				for name, sub := range v.(map[string]any) {
					out = append(out, unknownKeywords(path+"/"+k+"/"+name, sub)...)
				}
			case annotations[k] || assertions[k]:
				out = append(out, unknownKeywords(path+"/"+k, v)...)
			default:
				out = append(out, path+"/"+k)
			}
		}
	case []any:
		for i, sub := range n {
			out = append(out, unknownKeywords(fmt.Sprintf("%s/%d", path, i), sub)...)
		}
	}
	return out
}

// validate returns the ways inst fails schema (nil when it is valid).
func (s schemaDoc) validate(schema, inst any, at string) []string {
	sc, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, or(at, "/")+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := sc["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		target := s.root["$defs"].(map[string]any)[name]
		if !found || target == nil {
			fail("unresolvable $ref %s", ref)
		} else {
			errs = append(errs, s.validate(target, inst, at)...)
		}
	}
	if typ, ok := sc["type"]; ok {
		var types []any
		if list, isList := typ.([]any); isList {
			types = list
		} else {
			types = []any{typ}
		}
		if !slices.ContainsFunc(types, func(ty any) bool { return jsonType(inst, ty.(string)) }) {
			fail("type %v, want %v", kindOf(inst), typ)
		}
	}
	if enum, ok := sc["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, inst) }) {
		fail("%v is not one of %v", inst, enum)
	}
	if c, ok := sc["const"]; ok && !reflect.DeepEqual(c, inst) {
		fail("%v is not %v", inst, c)
	}
	if str, ok := inst.(string); ok {
		n := len([]rune(str))
		if max, ok := sc["maxLength"].(json.Number); ok && n > atoi(max) {
			fail("%d characters, over maxLength %s", n, max)
		}
		if min, ok := sc["minLength"].(json.Number); ok && n < atoi(min) {
			fail("%d characters, under minLength %s", n, min)
		}
		if p, ok := sc["pattern"].(string); ok && !regexpMatch(p, str) {
			fail("%q does not match %s", str, p)
		}
	}
	if obj, ok := inst.(map[string]any); ok {
		for _, r := range asSlice(sc["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("required %q is missing", r)
			}
		}
		props, _ := sc["properties"].(map[string]any)
		for name, sub := range props {
			if v, ok := obj[name]; ok {
				errs = append(errs, s.validate(sub, v, at+"/"+name)...)
			}
		}
		if max, ok := sc["maxProperties"].(json.Number); ok && len(obj) > atoi(max) {
			fail("%d properties, over maxProperties %s", len(obj), max)
		}
		for name, v := range obj {
			if names, ok := sc["propertyNames"]; ok {
				errs = append(errs, s.validate(names, name, at+"/"+name+" (name)")...)
			}
			if extra, ok := sc["additionalProperties"]; ok {
				if _, listed := props[name]; !listed {
					errs = append(errs, s.validate(extra, v, at+"/"+name)...)
				}
			}
		}
	}
	if arr, ok := inst.([]any); ok {
		if max, ok := sc["maxItems"].(json.Number); ok && len(arr) > atoi(max) {
			fail("%d items, over maxItems %s", len(arr), max)
		}
		if min, ok := sc["minItems"].(json.Number); ok && len(arr) < atoi(min) {
			fail("%d items, under minItems %s", len(arr), min)
		}
		if items, ok := sc["items"]; ok {
			for i, v := range arr {
				errs = append(errs, s.validate(items, v, fmt.Sprintf("%s/%d", at, i))...)
			}
		}
	}
	for _, sub := range asSlice(sc["allOf"]) {
		errs = append(errs, s.validate(sub, inst, at)...)
	}
	if anyOf := asSlice(sc["anyOf"]); len(anyOf) > 0 {
		var why []string
		for _, sub := range anyOf {
			e := s.validate(sub, inst, at)
			if len(e) == 0 {
				why = nil
				break
			}
			why = append(why, e...)
		}
		if why != nil {
			fail("matches no anyOf branch: %s", strings.Join(why, "; "))
		}
	}
	if cond, ok := sc["if"]; ok && len(s.validate(cond, inst, at)) == 0 {
		if then, ok := sc["then"]; ok {
			errs = append(errs, s.validate(then, inst, at)...)
		}
	}
	return errs
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func atoi(n json.Number) int {
	i, _ := strconv.Atoi(n.String())
	return i
}

func jsonType(v any, want string) bool {
	switch want {
	case "integer":
		n, ok := v.(json.Number)
		_, err := strconv.ParseInt(n.String(), 10, 64)
		return ok && err == nil
	default:
		return kindOf(v) == want
	}
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// regexpMatch matches the schema's patterns; they use only syntax that means
// the same in ECMA-262 (what JSON Schema specifies) and Go's RE2.
func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}

// validateBody checks a request body the way the endpoint at path reads
// it: batch paths against batchRequest; single-call paths against
// callRequest, with the type the path implies filled in when the body has
// none, as tracking.Parse does before its per-type checks.
func (s schemaDoc) validateBody(t *testing.T, path string, raw []byte) []string {
	t.Helper()
	typ, ok := tracking.PathType(path)
	if !ok {
		t.Fatalf("%s is not a tracking path", path)
	}
	var inst any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&inst); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if typ == "" {
		return s.validate(s.def(t, "batchRequest"), inst, "")
	}
	if obj, ok := inst.(map[string]any); ok {
		if _, has := obj["type"]; !has {
			obj["type"] = typ
		}
	}
	return s.validate(s.def(t, "callRequest"), inst, "")
}

func parse(path string, raw []byte) error {
	typ, _ := tracking.PathType(path)
	_, err := tracking.Parse(tracking.Request{Type: typ, Body: raw, ReceivedAt: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC), SourceIP: "203.0.113.54"})
	return err
}

func TestSchemaIsDraft202012AndFullyChecked(t *testing.T) {
	s := loadSchema(t)
	if s.root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %v, want draft 2020-12", s.root["$schema"])
	}
	if bad := unknownKeywords("#", s.root); len(bad) > 0 {
		t.Errorf("schema uses keywords this test's validator does not check: %v", bad)
	}
	desc, _ := s.root["description"].(string)
	for _, limit := range []int{tracking.MaxMessageBytes, tracking.MaxBatchBytes} {
		if !strings.Contains(desc, strconv.Itoa(limit)) {
			t.Errorf("schema description does not state the %d-byte limit", limit)
		}
	}
	batch := s.def(t, "batchRequest")["properties"].(map[string]any)["batch"].(map[string]any)
	if atoi(batch["maxItems"].(json.Number)) != tracking.MaxBatchLen {
		t.Errorf("batch maxItems %v, Parse allows %d", batch["maxItems"], tracking.MaxBatchLen)
	}
}

// TestSchemaTypesAreTheParsersTypes: the type enum is exactly the set of
// types the catalog's tracking routes imply, and each is one Parse accepts.
func TestSchemaTypesAreTheParsersTypes(t *testing.T) {
	s := loadSchema(t)
	var enum []string
	for _, v := range asSlice(s.def(t, "message")["properties"].(map[string]any)["type"].(map[string]any)["enum"]) {
		enum = append(enum, v.(string))
	}
	sort.Strings(enum)

	var routed []string
	for _, f := range catalog.Load().Functions {
		for _, r := range f.Routes {
			if typ, ok := tracking.PathType(r.Path); ok && r.Method == http.MethodPost && typ != "" && !slices.Contains(routed, typ) {
				routed = append(routed, typ)
			}
		}
	}
	sort.Strings(routed)
	if !slices.Equal(enum, routed) {
		t.Errorf("schema types %v, catalog tracking routes imply %v", enum, routed)
	}
	required := map[string]string{"track": `,"event":"e"`, "group": `,"groupId":"g"`, "alias": `,"previousId":"p"`}
	for _, typ := range append(enum, "screenview") {
		body := []byte(`{"batch":[{"type":"` + typ + `","userId":"u"` + required[typ] + `}]}`)
		err := parse("/v1/batch", body)
		if accepted := err == nil; accepted != slices.Contains(enum, typ) {
			t.Errorf("type %q: Parse error %v, schema enum %v", typ, err, enum)
		}
	}
}

// TestTrackingFixturesMatchSchemaAndParser: every fixture posted to a
// tracking route is accepted by tracking.Parse and valid under the schema.
func TestTrackingFixturesMatchSchemaAndParser(t *testing.T) {
	s := loadSchema(t)
	n := 0
	for name, kind := range fixtures {
		if kind != httpAPI {
			continue
		}
		ev := httpFixture(t, name)
		if _, ok := tracking.PathType(ev.RawPath); !ok {
			continue
		}
		n++
		b := body(t, ev)
		if err := parse(ev.RawPath, b); err != nil {
			t.Errorf("%s: Parse rejects it: %v", name, err)
		}
		if errs := s.validateBody(t, ev.RawPath, b); len(errs) > 0 {
			t.Errorf("%s: schema rejects it: %v", name, errs)
		}
	}
	if n != 3 {
		t.Errorf("%d tracking fixtures, want 3", n)
	}
}

// TestSchemaAgreesWithParser runs bodies through both and expects the same
// verdict; gaps lists what only the parser can check.
func TestSchemaAgreesWithParser(t *testing.T) {
	s := loadSchema(t)
	long := strings.Repeat("x", 200)
	batchOf := func(msgs ...string) string { return `{"batch":[` + strings.Join(msgs, ",") + `]}` }
	many := make([]string, tracking.MaxBatchLen+1)
	for i := range many {
		many[i] = `{"type":"page","userId":"u"}`
	}
	tests := []struct {
		name, path, body string
		ok               bool
	}{
		{"page", "/v1/batch", batchOf(`{"type":"page","anonymousId":"a","name":"Home","properties":{"url":"https://x"}}`), true},
		{"all types", "/v1/import", batchOf(`{"type":"track","userId":"u","event":"e"}`, `{"type":"identify","userId":"u","traits":{"email":"a@b.c"}}`,
			`{"type":"screen","userId":"u","name":"Home"}`, `{"type":"group","userId":"u","groupId":"g"}`, `{"type":"alias","userId":"u","previousId":"p"}`), true},
		{"batch context and sentAt", "/v1/batch", `{"batch":[{"type":"page","userId":"u"}],"sentAt":"2025-03-10T09:00:00Z","writeKey":"k","context":{"ip":"192.0.2.1"}}`, true},
		{"unknown keys kept", "/v1/batch", batchOf(`{"type":"page","userId":"u","integrations":{},"context":{"os":{"name":"iOS"},"location":{"country":"DE","latitude":52.5}}}`), true},
		{"numeric ids", "/v1/batch", batchOf(`{"type":"track","userId":42,"event":7,"messageId":1}`), true},
		{"blank userId beside anonymousId", "/v1/batch", batchOf(`{"type":"page","userId":"","anonymousId":"a"}`), true},
		{"nulls", "/v1/batch", batchOf(`{"type":"page","userId":"u","anonymousId":null,"properties":null,"timestamp":null,"context":{"page":{"url":null},"ip":null}}`), true},
		{"ids at the limit", "/v1/batch", batchOf(`{"type":"track","userId":"` + long + `","event":"` + long + `"}`), true},
		{"IPv6 context ip", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":{"ip":"2001:db8::1"}}`), true},
		{"single call without type", "/v1/track", `{"userId":"u","event":"Signed Up"}`, true},
		{"single call with its type", "/v1/p", `{"type":"page","anonymousId":"a"}`, true},

		{"no batch", "/v1/batch", `{"type":"page","userId":"u"}`, false},
		{"batch not an array", "/v1/batch", `{"batch":{"type":"page","userId":"u"}}`, false},
		{"empty batch", "/v1/batch", `{"batch":[]}`, false},
		{"batch too long", "/v1/batch", batchOf(many...), false},
		{"message not an object", "/v1/batch", `{"batch":["page"]}`, false},
		{"no type in a batch", "/v1/batch", batchOf(`{"userId":"u"}`), false},
		{"unknown type", "/v1/batch", batchOf(`{"type":"pageview","userId":"u"}`), false},
		{"no identity", "/v1/batch", batchOf(`{"type":"page","name":"Home"}`), false},
		{"blank identity", "/v1/batch", batchOf(`{"type":"page","userId":"","anonymousId":"   "}`), false},
		{"track without event", "/v1/batch", batchOf(`{"type":"track","userId":"u"}`), false},
		{"single track without event", "/v1/t", `{"userId":"u"}`, false},
		{"group without groupId", "/v1/batch", batchOf(`{"type":"group","userId":"u"}`), false},
		{"alias without previousId", "/v1/a", `{"userId":"u"}`, false},
		{"userId too long", "/v1/batch", batchOf(`{"type":"page","userId":"x` + long + `"}`), false},
		{"event too long", "/v1/batch", batchOf(`{"type":"track","userId":"u","event":"x` + long + `"}`), false},
		{"boolean userId", "/v1/batch", batchOf(`{"type":"page","userId":true,"anonymousId":"a"}`), false},
		{"properties not an object", "/v1/batch", batchOf(`{"type":"page","userId":"u","properties":[1]}`), false},
		{"traits not an object", "/v1/batch", batchOf(`{"type":"identify","userId":"u","traits":"vip"}`), false},
		{"context not an object", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":"web"}`), false},
		{"page url not a string", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":{"page":{"url":5}}}`), false},
		{"campaign not an object", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":{"campaign":"spring"}}`), false},
		{"context traits not an object", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":{"traits":[]}}`), false},
		{"location not an object", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":{"location":"Berlin"}}`), false},
		{"timestamp not a string", "/v1/batch", batchOf(`{"type":"page","userId":"u","timestamp":1741597471}`), false},
		{"writeKey not a string", "/v1/track", `{"userId":"u","event":"e","writeKey":123}`, false},

		{"traits", "/v1/identify", `{"userId":"u","traits":{"email":"jane@example.com","plan":{"name":"team","seats":[1,2]},"vip":true,"score":null}}`, true},
		{"context traits", "/v1/batch", batchOf(`{"type":"track","userId":"u","event":"e","context":{"traits":{"email":null}}}`), true},
		{"too many traits", "/v1/i", `{"userId":"u","traits":{` + traitKeys(201) + `}}`, false},
		{"trait key too long", "/v1/identify", `{"userId":"u","traits":{"` + long + `xxxxxxxxxxxxxxxxxxx":1}}`, false},
		{"empty trait key", "/v1/identify", `{"userId":"u","traits":{"":1}}`, false},
		{"trait value too long", "/v1/identify", `{"userId":"u","traits":{"bio":"` + strings.Repeat("x", 2001) + `"}}`, false},
		{"nested trait value too long", "/v1/identify", `{"userId":"u","traits":{"a":{"b":["` + strings.Repeat("x", 2001) + `"]}}}`, false},
		{"trait array too long", "/v1/identify", `{"userId":"u","traits":{"tags":[` + strings.Repeat(`1,`, 100) + `1]}}`, false},
		{"email trait not a string", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":{"traits":{"email":42}}}`), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			perr := parse(tc.path, []byte(tc.body))
			serr := s.validateBody(t, tc.path, []byte(tc.body))
			if (perr == nil) != tc.ok {
				t.Errorf("Parse: %v, want accepted=%v", perr, tc.ok)
			}
			if (len(serr) == 0) != tc.ok {
				t.Errorf("schema: %v, want valid=%v", serr, tc.ok)
			}
		})
	}

	// What the schema says only in words: Parse rejects these, a schema
	// validator (with format as an annotation) does not.
	big := `{"type":"track","userId":"u","event":"e","properties":{"blob":"` + strings.Repeat("x", tracking.MaxMessageBytes) + `"}}`
	huge := make([]string, 20)
	for i := range huge {
		huge[i] = `{"type":"track","userId":"u","event":"e","properties":{"blob":"` + strings.Repeat("x", tracking.MaxMessageBytes-100) + `"}}`
	}
	gaps := []struct{ name, path, body string }{
		{"message over 32 KB", "/v1/track", big},
		{"request over 500 KB", "/v1/batch", batchOf(huge...)},
		{"context.ip not an address", "/v1/batch", batchOf(`{"type":"page","userId":"u","context":{"ip":"not-an-ip"}}`)},
		{"timestamp not a date", "/v1/batch", batchOf(`{"type":"page","userId":"u","timestamp":"yesterday"}`)},
		{"type not the endpoint's", "/v1/track", `{"type":"page","userId":"u","event":"e"}`},
		{"markup in a trait", "/v1/identify", `{"userId":"u","traits":{"title":"<script>alert(1)</script>"}}`},
		{"traits nested too deep", "/v1/identify", `{"userId":"u","traits":{"a":{"b":{"c":{"d":{"e":1}}}}}}`},
		{"email trait not an address", "/v1/identify", `{"userId":"u","traits":{"email":"not-an-address"}}`},
	}
	for _, g := range gaps {
		if parse(g.path, []byte(g.body)) == nil {
			t.Errorf("%s: Parse accepts it; the schema description says it does not", g.name)
		}
		if errs := s.validateBody(t, g.path, []byte(g.body)); len(errs) > 0 {
			t.Errorf("%s: the schema now rejects it (%v); move the case into the table above", g.name, errs)
		}
	}
}

func traitKeys(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf(`"t%d":%d`, i, i)
	}
	return strings.Join(keys, ",")
}
