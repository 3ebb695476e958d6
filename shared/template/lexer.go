package template

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// syntaxError is a problem at a byte offset of a part's source; the parser
// turns the offset into line:column for people.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

func errorAt(off int, format string, args ...any) *syntaxError {
	return &syntaxError{off: off, msg: fmt.Sprintf(format, args...)}
}

// lineIndex turns byte offsets into 1-based line and column, the column
// counted in characters so it matches what an editor shows.
type lineIndex struct {
	src    string
	starts []int
}

func newLineIndex(src string) lineIndex {
	starts := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return lineIndex{src: src, starts: starts}
}

func (l lineIndex) pos(off int) (line, col int) {
	off = min(max(off, 0), len(l.src))
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
	return i + 1, utf8.RuneCountInString(l.src[l.starts[i]:off]) + 1
}

// segKind is what the top-level scanner found: literal text, an output
// ({{ … }}) or a tag ({% … %}).
type segKind uint8

const (
	segEOF segKind = iota
	segText
	segOutput
	segTag
)

type segment struct {
	kind segKind
	// text is the literal text, or the source between the delimiters
	// (without the whitespace-control dashes).
	text string
	// off is where the segment starts ({{ or {%); inner where text starts.
	off, inner int
}

// scanner splits a part's source into text, outputs and tags. It knows
// about strings inside delimiters (so "}}" in a string does not close) and
// about Liquid's whitespace control: {{- and {%- trim the whitespace before,
// -}} and -%} the whitespace after.
type scanner struct {
	src      string
	pos      int
	trimNext bool
}

// openerAt returns the index of the next "{{" or "{%" at or after from, or -1.
func (s *scanner) openerAt(from int) int {
	for i := from; i+1 < len(s.src); i++ {
		if s.src[i] == '{' && (s.src[i+1] == '{' || s.src[i+1] == '%') {
			return i
		}
	}
	return -1
}

func (s *scanner) next() (segment, *syntaxError) {
	for s.pos < len(s.src) {
		i := s.openerAt(s.pos)
		if i != s.pos {
			end := i
			if end < 0 {
				end = len(s.src)
			}
			text, start := s.src[s.pos:end], s.pos
			if s.trimNext {
				trimmed := strings.TrimLeft(text, " \t\r\n")
				start += len(text) - len(trimmed)
				text = trimmed
				s.trimNext = false
			}
			if i >= 0 && i+2 < len(s.src) && s.src[i+2] == '-' {
				text = strings.TrimRight(text, " \t\r\n")
			}
			s.pos = end
			if text == "" {
				continue
			}
			return segment{kind: segText, text: text, off: start, inner: start}, nil
		}
		return s.delimited(i)
	}
	return segment{kind: segEOF, off: len(s.src)}, nil
}

// delimited reads the output or tag opening at i.
func (s *scanner) delimited(i int) (segment, *syntaxError) {
	kind, closer, name := segOutput, "}}", "{{"
	if s.src[i+1] == '%' {
		kind, closer, name = segTag, "%}", "{%"
	}
	start := i + 2
	if start < len(s.src) && s.src[start] == '-' {
		start++
	}
	for j := start; j < len(s.src); j++ {
		switch c := s.src[j]; c {
		case '"', '\'':
			k := j + 1
			for k < len(s.src) && s.src[k] != c && s.src[k] != '\n' {
				k++
			}
			if k >= len(s.src) || s.src[k] != c {
				return segment{}, errorAt(j, "unterminated string: a quote opened here is not closed on the same line")
			}
			j = k
		case '{':
			if j+1 < len(s.src) && (s.src[j+1] == '{' || s.src[j+1] == '%') {
				return segment{}, errorAt(i, "%s is not closed with %s before the next %s", name, closer, s.src[j:j+2])
			}
		case '}', '%':
			if j+1 >= len(s.src) || s.src[j+1] != '}' {
				continue
			}
			if s.src[j:j+2] != closer {
				return segment{}, errorAt(j, "%s is closed with %s; expected %s", name, s.src[j:j+2], closer)
			}
			end := j
			if end > start && s.src[end-1] == '-' {
				end--
				s.trimNext = true
			}
			s.pos = j + 2
			return segment{kind: kind, text: s.src[start:end], off: i, inner: start}, nil
		}
	}
	return segment{}, errorAt(i, "%s is not closed with %s", name, closer)
}

// skipUntil returns the source up to the tag {% end %} and moves past it;
// raw and comment blocks use it, so their content is never parsed. It looks
// for the word and checks the delimiters around it, which keeps it linear
// however many "{%" the block holds.
func (s *scanner) skipUntil(end string, openedAt int) (string, *syntaxError) {
	for from := s.pos; from < len(s.src); {
		k := strings.Index(s.src[from:], end)
		if k < 0 {
			break
		}
		k += from
		from = k + len(end)
		i := k - 1 // back over blanks and a trim dash to "{%"
		for i > s.pos && (isSpace(s.src[i]) || s.src[i] == '-') {
			i--
		}
		j := k + len(end) // forward to "%}"
		for j < len(s.src) && (isSpace(s.src[j]) || s.src[j] == '-') {
			j++
		}
		if i <= s.pos || s.src[i-1:i+1] != "{%" || j+1 >= len(s.src) || s.src[j:j+2] != "%}" {
			continue
		}
		open, text := i-1, s.src[s.pos:i-1]
		if s.trimNext {
			text = strings.TrimLeft(text, " \t\r\n")
		}
		if s.src[open+2] == '-' {
			text = strings.TrimRight(text, " \t\r\n")
		}
		s.trimNext = s.src[j-1] == '-'
		s.pos = j + 2
		return text, nil
	}
	return "", errorAt(openedAt, "block is not closed with {%% %s %%}", end)
}

// tokKind is a token inside {{ }} or {% %}.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDot
	tPipe
	tColon
	tComma
	tOp
)

type token struct {
	kind tokKind
	s    string
	off  int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of tag"
	case tString:
		return fmt.Sprintf("string %q", t.s)
	}
	return fmt.Sprintf("%q", t.s)
}

// lexExpr tokenizes the inside of an output or tag; base is its offset in
// the part, so tokens carry positions in the part's source.
func lexExpr(src string, base int) ([]token, *syntaxError) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		off := base + i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], off})
			i = j
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			j := i + 1
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
				j += 2
				for j < len(src) && isDigit(src[j]) {
					j++
				}
			}
			toks = append(toks, token{tNumber, src[i:j], off})
			i = j
		case c == '"' || c == '\'':
			j := strings.IndexByte(src[i+1:], c)
			if j < 0 {
				return nil, errorAt(off, "unterminated string")
			}
			toks = append(toks, token{tString, src[i+1 : i+1+j], off})
			i += j + 2
		case c == '.':
			toks = append(toks, token{tDot, ".", off})
			i++
		case c == '|':
			toks = append(toks, token{tPipe, "|", off})
			i++
		case c == ':':
			toks = append(toks, token{tColon, ":", off})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", off})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>':
			if i+1 < len(src) && src[i+1] == '=' {
				toks = append(toks, token{tOp, src[i : i+2], off})
				i += 2
				continue
			}
			if c == '<' || c == '>' {
				toks = append(toks, token{tOp, src[i : i+1], off})
				i++
				continue
			}
			if c == '=' {
				return nil, errorAt(off, "use == to compare (a single = is not an operator)")
			}
			return nil, errorAt(off, "unexpected '!': use != to compare, or {%% unless %%} to negate")
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, errorAt(off, "unexpected character %q", r)
		}
	}
	return append(toks, token{kind: tEOF, off: base + len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '-' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
