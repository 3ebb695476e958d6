package tracking

import (
	"reflect"
	"testing"
)

// analyticsJSBatch is what analytics.js posts to /v1/batch (two events of
// one visitor), the shape the single-pass decoder is for.
const analyticsJSBatch = `{"batch":[{"timestamp":"2026-11-24T11:59:40.120Z","integrations":{},"type":"page","name":"Pricing","properties":{"path":"/pricing","referrer":"https://www.google.com/","search":"?utm_source=newsletter&utm_medium=email","title":"Pricing | Acme","url":"https://acme.test/pricing?utm_source=newsletter&utm_medium=email"},"messageId":"ajs-next-1764000000000-5b1f0c7e","anonymousId":"1f6d2a9c-4e0b-4b7a-9c55-0d8f3e2a1b6c","context":{"userAgent":"Mozilla/5.0 (Macintosh) Chrome/134.0.0.0","locale":"en-US","timezone":"America/New_York","library":{"name":"analytics.js","version":"npm:next-1.70.0"},"campaign":{"source":"newsletter","medium":"email"},"page":{"path":"/pricing","referrer":"https://www.google.com/","search":"?utm_source=newsletter&utm_medium=email","title":"Pricing | Acme","url":"https://acme.test/pricing?utm_source=newsletter&utm_medium=email"}},"_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]}},
{"timestamp":"2026-11-24T11:59:45.000Z","integrations":{"Leadflow":{"user_hash":"abc"}},"type":"identify","traits":{"email":"Ada@Example.com","firstName":"Ada","n":1.5e3,"tags":["a",{"b":null}],"ok":true},"messageId":"ajs-next-1764000000001-77","anonymousId":"1f6d2a9c-4e0b-4b7a-9c55-0d8f3e2a1b6c","userId":"usr_1","context":{"traits":{"company":"Ex\u00e9mple \ud83d\ude00 Ltd","user_hash":"zzz"},"ip":"203.0.113.9","location":{"country":"DE","latitude":52.5},"app":{"v":[1,2,{"x":"\n"}]},"leadflow":{"consent":true}}}],
"writeKey":"wk_1","sentAt":"2026-11-24T11:59:50.000Z"}`

// parseSeeds are bodies for FuzzParse: the common shapes and the corners
// where encoding/json's reading is easy to get wrong.
var parseSeeds = []string{
	analyticsJSBatch,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a"}]}`,
	`{"userId":"u","event":"x","timestamp":"2026-01-01T00:00:00Z","context":{"ip":"1.2.3.4"}}`,
	`{"sentAt":"2026-01-01","batch":[{"type":"identify","userId":1,"traits":{"email":"a@b.c"}}]}`,
	`{"anonymousId":"a","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}`,
	`{"batch":[{"type":"page","anonymousId":"a","properties":{"url":"https://x.test/?utm_source=s"}}],"context":{"page":{"title":"t"},"timezone":"GMT+0530"}}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","context":null}],"context":{"ip":"2001:db8::1","library":null}}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a"}],"context":5}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","context":{}}],"context":5}`,
	`{"Batch":[{"type":"track","event":"e","anonymousId":"a"}]}`,
	`{"batch":[{"TYPE":"track","event":"e","anonymousId":"a"}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","ſentAt":"2026-01-01"}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","userıd":"x"}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","context":{"page":{"URL":"https://x.test/"}}}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","userId":"b","userId":"c"}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","context":{"ip":"1.2.3.4","ip":null}}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","properties":{"k":1,"k":2}}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","properties":{"n":1e400}}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"\ud800"}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","x":"\udc00"}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a"}]} x`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a",}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":-0.5e-3}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":01}]}`,
	`{"batch":[],"writeKey":"k"}`,
	`{"batch":[null]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","integrations":{"leadflow":{"user_hash":1},"LeadFlow":{"user_hash":"h"}}}]}`,
	`{"batch":[{"type":"identify","userId":"u","integrations":{"Leadflow":{"user_hash":" h "}},"traits":{"user_hash":"t","email":"a@b.c"},"context":{"traits":{"name":"x"}}}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","traits":{"name":"<b>x</b>"}}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","context":{"timezone":"NA","location":null,"campaign":{"name":null}}}]}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","context":{"userAgent":5}}]}`,
	`{"batch":[{"type":"group","anonymousId":"a"},{"type":"alias","userId":"u","previousId":"p"}]}`,
	`{"type":"page","anonymousId":"a","writeKey":"k"}`,
	`{"batch":[{"type":"track","event":"e","anonymousId":"a","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}`,
}

// The analytics.js shape, the library clients' shapes and batch contexts
// must take the single pass, or Parse quietly pays for two readings.
func TestParseFastPathTakesClientShapes(t *testing.T) {
	for _, body := range []string{analyticsJSBatch, parseSeeds[1], parseSeeds[3], parseSeeds[5], parseSeeds[6]} {
		req := Request{Body: []byte(body), ReceivedAt: received, SourceIP: "198.51.100.7"}
		got, ok := parseFast(req)
		if !ok {
			t.Fatalf("single pass declined %s", body)
		}
		want, err := parseExact(req)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("single pass differs:\n%+v\n%+v", got, want)
		}
	}
}
