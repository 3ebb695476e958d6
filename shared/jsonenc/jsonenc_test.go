package jsonenc

import (
	"encoding/json"
	"testing"
)

var stringSeeds = []string{"", "plain", `"quoted" \back\ slash`, "\x00\x01\b\f\n\r\t\x1f\x7f", "<a href='x'>&amp;</a>",
	"é — 😀", "\u2028\u2029", "bad \xff utf-8 \xed\xa0\x80", "ends in half \xe2\x82"}

// FuzzAppendString checks AppendString writes every string exactly as
// json.Marshal does.
//
//	go test ./shared/jsonenc/ -run '^$' -fuzz FuzzAppendString -fuzztime 30s
func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("AppendString(%q) = %s; json.Marshal %s", s, got[1:], want)
		}
	})
}
