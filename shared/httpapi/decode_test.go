package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func sampleEvent() []byte {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /v1/batch", RawPath: "/v1/batch", RawQueryString: "a=1&b=%C3%A9",
		Cookies:               []string{"s=1", "t=2"},
		Headers:               map[string]string{"content-type": "text/plain", "origin": "https://x.test", "user-agent": "Mozilla/5.0 \"quoted\" é"},
		QueryStringParameters: map[string]string{"a": "1", "b": "é"},
		PathParameters:        map[string]string{"formId": "demo"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123", APIID: "api", DomainName: "d.test", DomainPrefix: "d", RequestID: "rid=", RouteKey: "POST /v1/batch",
			Stage: "$default", Time: "07/Dec/2026:10:00:00 +0000", TimeEpoch: 1796637600000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/v1/batch", Protocol: "HTTP/1.1", SourceIP: "203.0.113.9", UserAgent: "curl/8"},
		},
		Body: `{"batch":[{"type":"track","event":"a\"b\\c\n\t\u2028 — 😀 <&>","messageId":"m1"}],"writeKey":"wk"}`,
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// decodeBoth decodes with the single pass and with encoding/json and fails
// if they differ; it reports whether the single pass answered.
func decodeBoth(t testing.TB, payload []byte) bool {
	var want Request
	wantErr := json.Unmarshal(payload, &want)
	got, err := DecodeRequest(payload)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("DecodeRequest(%q): error %v, encoding/json %v", payload, err, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeRequest(%q):\n got %+v\nwant %+v", payload, got, want)
	}
	_, fast := decodeFast(payload)
	return fast
}

func TestDecodeRequestMatchesEncodingJSON(t *testing.T) {
	ev := sampleEvent()
	if !decodeBoth(t, ev) {
		t.Fatalf("the single pass declined an ordinary event: %s", ev)
	}
	r, err := DecodeRequest(ev)
	if err != nil || !strings.Contains(r.Body, `a\"b\\c\n\t\u2028 — 😀 <&>`) || r.RequestContext.TimeEpoch != 1796637600000 {
		t.Fatalf("decoded %+v, %v", r, err)
	}
	// Inputs the single pass must hand to encoding/json, which then decides.
	declined := map[string]string{
		"unknown key":      `{"version":"2.0","extra":1}`,
		"key in otherCase": `{"Body":"x"}`,
		"repeated key":     `{"body":"a","body":"b"}`,
		"null":             `{"headers":null}`,
		"float epoch":      `{"requestContext":{"timeEpoch":1.5}}`,
		"lone surrogate":   `{"body":"\ud800x"}`,
		"invalid utf-8":    "{\"body\":\"\xff\"}",
		"control byte":     "{\"body\":\"a\x01\"}",
		"trailing data":    `{"body":"a"} x`,
		"authorizer":       `{"requestContext":{"authorizer":{"jwt":{"claims":{"sub":"u"}}}}}`,
		"not an object":    `[1]`,
		"truncated":        `{"body":"abc`,
		"bad escape":       `{"body":"\x"}`,
	}
	for name, in := range declined {
		if decodeBoth(t, []byte(in)) {
			t.Errorf("%s: the single pass answered %q; it must defer to encoding/json", name, in)
		}
	}
	// Repeated header names: the last wins, as in encoding/json.
	if !decodeBoth(t, []byte(`{"headers":{"a":"1","a":"2"},"body":"\ud83d\ude00"}`)) {
		t.Error("declined repeated map keys or a surrogate pair")
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add(sampleEvent())
	f.Add([]byte(`{"headers":{"a":"1","a":"2"},"body":"\ud83d\ude00","isBase64Encoded":true}`))
	f.Add([]byte(`{"requestContext":{"timeEpoch":-0,"http":{"method":"GET"}},"cookies":[]}`))
	f.Fuzz(func(t *testing.T, payload []byte) { decodeBoth(t, payload) })
}

func TestEncodeResponse(t *testing.T) {
	resp := JSON(200, map[string]bool{"success": true}, map[string]string{"Vary": "Origin"})
	b, err := EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	var back Response
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Headers, resp.Headers) || back.Body != resp.Body || back.StatusCode != 200 {
		t.Fatalf("round trip %s: %+v, %v", b, back, err)
	}
}

// encodeBoth checks EncodeResponse writes r exactly as json.Marshal does.
func encodeBoth(t testing.TB, r Response) {
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := EncodeResponse(r)
	if err != nil || string(got) != string(want) {
		t.Fatalf("EncodeResponse(%+v) = %s, %v; json.Marshal %s", r, got, err, want)
	}
}

func TestEncodeResponseMatchesJSONMarshal(t *testing.T) {
	many := map[string]string{}
	for _, k := range strings.Fields("z y x w v u t s r q p o") { // more headers than appendResponse's buffer
		many[k] = "<" + k + ">"
	}
	for _, r := range []Response{
		{},
		{StatusCode: 204, Headers: map[string]string{}},
		JSON(200, map[string]bool{"success": true}, map[string]string{"Vary": "Origin", "Access-Control-Allow-Origin": "https://a.test"}),
		Fail(400, "invalid_json", `message 3: "userId" <must> be a string & not \ a number`, nil),
		{StatusCode: 200, Headers: many, Body: "aGk=", IsBase64Encoded: true},
		{StatusCode: -1, Body: "bad \xff utf-8 \u2028"},
		{StatusCode: 200, MultiValueHeaders: map[string][]string{"a": {"1", "2"}}},
		{StatusCode: 200, Cookies: []string{"s=1"}},
		{StatusCode: 200, Cookies: []string{}},
	} {
		encodeBoth(t, r)
	}
}

func FuzzEncodeResponse(f *testing.F) {
	f.Add(200, "Vary", "Origin", `{"success":true}`, false)
	f.Add(415, "", "", "<&>\u2028\xff", true)
	f.Fuzz(func(t *testing.T, status int, k, v, body string, b64 bool) {
		encodeBoth(t, Response{StatusCode: status, Headers: map[string]string{k: v, "Content-Type": "application/json"}, Body: body, IsBase64Encoded: b64})
		encodeBoth(t, Response{StatusCode: status, Body: body})
	})
}
