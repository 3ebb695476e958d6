package tracking

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzDecodeBatch feeds the processor's queue body decoder anything, plain
// or gzipped. A body it accepts must survive the trip the pipeline makes
// with it (EncodeBatches, a split when large, DecodeBatch): the same
// envelope and the same messages, in order.
//
//	go test ./shared/tracking/ -run '^$' -fuzz FuzzDecodeBatch -fuzztime 20s
func FuzzDecodeBatch(f *testing.F) {
	var fixture struct{ Records []struct{ Body string } }
	raw, err := os.ReadFile("../../events/sqs/events-batch.json")
	if err != nil {
		f.Fatal(err)
	}
	if err := json.Unmarshal(raw, &fixture); err != nil || len(fixture.Records) == 0 {
		f.Fatalf("events/sqs/events-batch.json: %v", err)
	}
	for _, r := range fixture.Records {
		f.Add(r.Body)
	}
	big := Batch{RequestID: "r", SiteKey: "internal", Messages: []Message{{Type: TypeTrack, MessageID: "m", Event: strings.Repeat("e", compressAbove+1)}}}
	bodies, err := EncodeBatches(big)
	if err != nil || !strings.HasPrefix(bodies[0], gzipPrefix) {
		f.Fatalf("gzip seed: %v", err)
	}
	f.Add(bodies[0])
	for _, s := range []string{"", "{}", "null", `{"messages":[null]}`, "gz:", "gz:H4sIAAAAAAAA/w==", `{"receivedAt":"0001-01-01T00:00:00Z","messages":[{"properties":{"a":[1,{"b":null}]}}]}`, `{"messages":"x"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		b, err := DecodeBatch(body)
		if err != nil {
			return
		}
		checkMarshalBatch(t, b)
		bodies, err := EncodeBatches(b)
		if err != nil {
			t.Fatalf("a decoded batch does not encode: %v", err)
		}
		var got []Message
		for _, q := range bodies {
			if len(q) > MaxQueueBody {
				t.Fatalf("queue body of %d bytes", len(q))
			}
			part, err := DecodeBatch(q)
			if err != nil {
				t.Fatalf("an encoded batch does not decode: %v", err)
			}
			if part.RequestID != b.RequestID || part.SiteKey != b.SiteKey || !part.ReceivedAt.Equal(b.ReceivedAt) {
				t.Fatalf("envelope changed: %+v vs %+v", part, b)
			}
			got = append(got, part.Messages...)
		}
		want, _ := json.Marshal(b.Messages)
		have, _ := json.Marshal(got)
		if string(want) != string(have) && !(len(b.Messages) == 0 && len(got) == 0) {
			t.Fatalf("messages changed on the way:\n%s\n%s", want, have)
		}
	})
}

// checkMarshalBatch checks that marshalBatch writes b exactly as json.Marshal.
func checkMarshalBatch(t *testing.T, b Batch) {
	t.Helper()
	want, wantErr := json.Marshal(b)
	got, err := marshalBatch(b)
	if (err == nil) != (wantErr == nil) || string(got) != string(want) {
		t.Fatalf("marshalBatch differs from json.Marshal:\n%s (%v)\n%s (%v)", got, err, want, wantErr)
	}
}
