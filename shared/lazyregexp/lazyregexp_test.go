package lazyregexp

import (
	"regexp"
	"testing"
)

func TestCompilesOnFirstUseAndMatchesAsRegexp(t *testing.T) {
	r := New(`^(?i:GMT)?([+-])(\d{1,2})$`)
	if r.rx != nil {
		t.Fatal("compiled before first use")
	}
	want := regexp.MustCompile(r.String())
	for _, s := range []string{"GMT+2", "+11", "x", ""} {
		if r.MatchString(s) != want.MatchString(s) {
			t.Errorf("MatchString(%q) differs", s)
		}
		if got, w := r.FindStringSubmatch(s), want.FindStringSubmatch(s); len(got) != len(w) || (len(w) > 0 && got[2] != w[2]) {
			t.Errorf("FindStringSubmatch(%q) = %q, want %q", s, got, w)
		}
	}
	if r.rx == nil {
		t.Fatal("not compiled after use")
	}
	if got := New(`[^a-z]`).ReplaceAllString("a-b c", "_"); got != "a_b_c" {
		t.Errorf("ReplaceAllString = %q", got)
	}
}

func TestBadPatternPanicsOnUse(t *testing.T) {
	r := New(`(`)
	defer func() {
		if recover() == nil {
			t.Fatal("a bad pattern did not panic")
		}
	}()
	r.MatchString("x")
}
