package definition

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// InDefinition is a Problem's In when its line and column point into the
// definition's JSON text as it was submitted.
const InDefinition = "definition"

// Problem is one thing wrong with a submitted definition, placed where an
// editor can mark it. In says which text Line and Column (1-based, in
// characters) count in: "definition" for the submitted JSON, or a field
// whose own source a kind checks (a template's "subject" or "html").
// Line is 0 when the problem has no place (it is about the whole
// definition).
type Problem struct {
	In      string `json:"in"`
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// Problems turns a validation error into problems placed in the
// submitted text: a JSON syntax or type error at its offset, a misspelt key
// at the key, and each of a validator's messages at the field it starts
// with ("rules[2]: ...", "sender.from.address ..."). A message naming no
// field found in the text keeps no position.
func Problems(raw []byte, err error) []Problem {
	var inv *InvalidError
	if errors.As(err, &inv) {
		err = inv.Err
	}
	if err == nil {
		return nil
	}
	idx := indexJSON(raw)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		l, c := lineCol(raw, int(syn.Offset)-1)
		return []Problem{{In: InDefinition, Line: l, Column: c, Message: "not valid JSON: " + syn.Error()}}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		l, c := lineCol(raw, len(bytes.TrimRight(raw, " \t\r\n")))
		return []Problem{{In: InDefinition, Line: l, Column: c, Message: "not valid JSON: the text ends before the definition does"}}
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		p := Problem{In: InDefinition, Field: typ.Field, Message: typ.Error()}
		if typ.Field != "" {
			p.Message = typ.Field + ": a " + typ.Value + " where " + typ.Type.String() + " belongs"
		}
		if off, ok := idx.find(typ.Field, true); ok {
			p.Line, p.Column = lineCol(raw, off)
		}
		return []Problem{p}
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		p := Problem{In: InDefinition, Field: m[1], Message: "unknown field " + strconv.Quote(m[1]) + " (misspelt, or not part of this kind)"}
		if off, ok := idx.find(m[1], false); ok {
			p.Line, p.Column = lineCol(raw, off)
		}
		return []Problem{p}
	}
	var out []Problem
	for _, msg := range messages(err) {
		p := Problem{In: InDefinition, Message: msg}
		if m := leadingPath.FindStringSubmatch(msg); m != nil {
			if off, ok := idx.find(m[1], false); ok {
				p.Field = m[1]
				p.Line, p.Column = lineCol(raw, off)
			}
		}
		out = append(out, p)
	}
	return out
}

var (
	unknownField = lazyregexp.New(`^json: unknown field "([^"]*)"`)
	// leadingPath is a field path a validator's message starts with:
	// "engagement[0].filters[1]: ...", "sender.from.address ...".
	leadingPath = lazyregexp.New(`^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*)[ :]`)
	// kindPrefix is the "invalid scoring model: " some validators put first.
	kindPrefix = lazyregexp.New(`^invalid [a-z ]+: `)
)

// messages splits a validator's error into its problems: errors.Join's
// parts, or "; "-joined messages.
func messages(err error) []string {
	var parts []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			parts = append(parts, messages(e)...)
		}
		return parts
	}
	text := kindPrefix.ReplaceAllString(err.Error(), "")
	for _, line := range strings.Split(text, "\n") {
		for _, m := range strings.Split(line, "; ") {
			if m = strings.TrimSpace(m); m != "" {
				parts = append(parts, m)
			}
		}
	}
	return parts
}

// lineCol converts a byte offset into a 1-based line and column counted in
// characters (what an editor shows).
func lineCol(raw []byte, off int) (int, int) {
	off = max(0, min(off, len(raw)))
	before := raw[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, len([]rune(string(before[start:]))) + 1
}

// jsonIndex is where each key of a JSON document starts, by path.
type jsonIndex []struct {
	path []string // keys and "[i]" indexes
	off  int      // the key's opening quote, or an element's first byte
}

// indexJSON walks a document's tokens (as far as it is valid) and records
// where each key and array element starts.
func indexJSON(raw []byte) jsonIndex {
	var idx jsonIndex
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		array bool
		n     int
		key   string
	}
	var stack []frame
	path := func() []string {
		p := make([]string, 0, len(stack))
		for _, f := range stack {
			if f.array {
				p = append(p, "["+strconv.Itoa(f.n-1)+"]")
			} else if f.key != "" {
				p = append(p, f.key)
			}
		}
		return p
	}
	expectKey := func() bool { return len(stack) > 0 && !stack[len(stack)-1].array && stack[len(stack)-1].key == "" }
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return idx
		}
		start := skipSeparators(raw, before)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && !stack[len(stack)-1].array {
				stack[len(stack)-1].key = ""
			}
			continue
		}
		if expectKey() {
			stack[len(stack)-1].key = tok.(string)
			idx = append(idx, struct {
				path []string
				off  int
			}{path(), start})
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1].array {
			stack[len(stack)-1].n++
			idx = append(idx, struct {
				path []string
				off  int
			}{path(), start})
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{array: d == '['})
			continue
		}
		if len(stack) > 0 && !stack[len(stack)-1].array {
			stack[len(stack)-1].key = ""
		}
	}
}

func skipSeparators(raw []byte, i int) int {
	for i < len(raw) && strings.IndexByte(" \t\r\n,:", raw[i]) >= 0 {
		i++
	}
	return i
}

// find returns where the field named by a path ("rules[2].points",
// "sender.from.address", or a bare key) starts: the first entry whose path
// ends with it. A path is matched at its end, so a definition wrapped in
// {"definition": ...} is found too; loose ignores array indexes (encoding/
// json names fields without them).
func (idx jsonIndex) find(field string, loose bool) (int, bool) {
	want := splitPath(field)
	if len(want) == 0 {
		return 0, false
	}
	// The whole path first (a top-level "name" before a field's "name"),
	// then any path ending with it.
	for _, whole := range []bool{true, false} {
		for _, e := range idx {
			got := e.path
			if loose {
				got = withoutIndexes(got)
			}
			if (!whole || len(got) == len(want)) && len(got) >= len(want) && equal(got[len(got)-len(want):], want) {
				return e.off, true
			}
		}
	}
	return 0, false
}

func splitPath(field string) []string {
	var out []string
	for _, seg := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			out = append(out, name)
		}
		if rest != "" {
			out = append(out, "["+rest)
		}
	}
	return out
}

func withoutIndexes(p []string) []string {
	out := make([]string, 0, len(p))
	for _, s := range p {
		if !strings.HasPrefix(s, "[") {
			out = append(out, s)
		}
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
