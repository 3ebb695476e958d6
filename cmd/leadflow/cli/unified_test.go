package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	a := lines([]byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"))
	b := lines([]byte("1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\neleven\n"))
	var out bytes.Buffer
	unified(&out, a, b, 1)
	want := "@@ -3 +3 @@\n 3\n-4\n+four\n 5\n@@ -10 +10 @@\n 10\n+eleven\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	unified(&out, a, a, 2)
	if out.Len() != 0 {
		t.Fatalf("no change printed %q", out.String())
	}
	out.Reset()
	unified(&out, nil, []string{"x"}, 2)
	if strings.TrimSpace(out.String()) != "@@ -1 +1 @@\n+x" {
		t.Fatalf("from nothing: %q", out.String())
	}
}
