package template

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file works on rendered HTML: the text part, link rewriting for click
// tracking, the open pixel and the preheader. It uses a small forgiving
// tokenizer rather than a full HTML parser: the input is our own rendered
// output, and every edit is a splice at a token boundary, so the rest of the
// marketer's markup (Outlook conditionals included) stays byte for byte.

type htmlTokType uint8

const (
	htText htmlTokType = iota
	htRaw              // the content of <script>, <style>, <title>, <textarea>
	htStart
	htEnd
	htComment
	htOther // doctype, processing instruction
)

type htmlTok struct {
	typ        htmlTokType
	start, end int
	name       string // lower case, for tags
	attrs      []htmlAttr
}

type htmlAttr struct {
	name   string // lower case
	val    string // as written (entities not decoded)
	vs, ve int    // value span; vs < 0 when the attribute has no value
	quoted bool
}

func (t *htmlTok) attr(name string) (htmlAttr, bool) {
	for _, a := range t.attrs {
		if a.name == name {
			return a, true
		}
	}
	return htmlAttr{}, false
}

// walkHTML calls fn for each token until fn returns false. The token is
// reused between calls (rendering runs this for every recipient), so fn
// must not keep it.
func walkHTML(s string, fn func(t *htmlTok) bool) {
	var t htmlTok
	emit := func(typ htmlTokType, start, end int, name string) bool {
		t.typ, t.start, t.end, t.name, t.attrs = typ, start, end, name, t.attrs[:0]
		return fn(&t)
	}
	i := 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			emit(htText, i, len(s), "")
			return
		}
		if j > 0 && !emit(htText, i, i+j, "") {
			return
		}
		i += j
		rest := s[i+1:]
		switch {
		case strings.HasPrefix(rest, "!--"):
			end := len(s)
			if k := strings.Index(s[i+4:], "-->"); k >= 0 {
				end = i + 4 + k + 3
			}
			if !emit(htComment, i, end, "") {
				return
			}
			i = end
		case len(rest) > 0 && (rest[0] == '!' || rest[0] == '?'):
			end := tagEnd(s, i)
			if !emit(htOther, i, end, "") {
				return
			}
			i = end
		case len(rest) > 1 && rest[0] == '/' && isLetter(rest[1]):
			k := i + 2
			for k < len(s) && isTagNameChar(s[k]) {
				k++
			}
			end := tagEnd(s, k)
			if !emit(htEnd, i, end, strings.ToLower(s[i+2:k])) {
				return
			}
			i = end
		case len(rest) > 0 && isLetter(rest[0]):
			t.attrs = t.attrs[:0]
			startTag(s, i, &t)
			name := t.name
			if !fn(&t) {
				return
			}
			i = t.end
			switch name {
			case "script", "style", "title", "textarea":
				end := len(s)
				if k := indexFold(s[i:], "</"+name); k >= 0 {
					end = i + k
				}
				if end > i && !emit(htRaw, i, end, name) {
					return
				}
				i = end
			}
		default:
			if !emit(htText, i, i+1, "") {
				return
			}
			i++
		}
	}
}

func isTagNameChar(c byte) bool { return isLetter(c) || isDigit(c) || c == ':' || c == '-' }

func tagEnd(s string, from int) int {
	if k := strings.IndexByte(s[from:], '>'); k >= 0 {
		return from + k + 1
	}
	return len(s)
}

// startTag reads the start tag at i into t.
func startTag(s string, i int, t *htmlTok) {
	j := i + 1
	for j < len(s) && isTagNameChar(s[j]) {
		j++
	}
	t.typ, t.start, t.name = htStart, i, strings.ToLower(s[i+1:j])
	for {
		for j < len(s) && (isSpace(s[j]) || s[j] == '/') {
			j++
		}
		if j >= len(s) {
			t.end = len(s)
			return
		}
		if s[j] == '>' {
			t.end = j + 1
			return
		}
		k := j + 1
		for k < len(s) && !isSpace(s[k]) && s[k] != '=' && s[k] != '>' && s[k] != '/' {
			k++
		}
		a := htmlAttr{name: strings.ToLower(s[j:k]), vs: -1}
		j = k
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '=' {
			j++
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j < len(s) && (s[j] == '"' || s[j] == '\'') {
				q := s[j]
				a.vs, a.quoted = j+1, true
				a.ve = len(s)
				if k := strings.IndexByte(s[j+1:], q); k >= 0 {
					a.ve = j + 1 + k
				}
				j = min(a.ve+1, len(s))
			} else {
				a.vs = j
				for j < len(s) && !isSpace(s[j]) && s[j] != '>' {
					j++
				}
				a.ve = j
			}
			a.val = s[a.vs:a.ve]
		}
		t.attrs = append(t.attrs, a)
	}
}

// RewriteLinks replaces the URL of every http(s) link (<a href>) with what
// rewrite returns for it; the sending pipeline uses it to route clicks
// through its signed redirect. It leaves alone mailto:, tel:, anchors and
// every link marked data-leadflow-notrack (for links that must reach the
// reader untouched); Rendered.RewriteLinks also skips the message's system
// links. rewrite gets the URL with HTML entities decoded and its answer is
// escaped back.
func RewriteLinks(s string, rewrite func(url string) string) string {
	var b strings.Builder
	last := 0
	walkHTML(s, func(t *htmlTok) bool {
		if t.typ != htStart || t.name != "a" {
			return true
		}
		if _, ok := t.attr("data-leadflow-notrack"); ok {
			return true
		}
		href, ok := t.attr("href")
		if !ok || href.vs < 0 {
			return true
		}
		u := strings.TrimSpace(html.UnescapeString(href.val))
		if !isHTTP(u) {
			return true
		}
		nu := rewrite(u)
		if nu == u {
			return true
		}
		if b.Len() == 0 {
			b.Grow(len(s) + len(s)/8)
		}
		b.WriteString(s[last:href.vs])
		if !href.quoted {
			b.WriteByte('"')
		}
		b.Write(appendEscaped(nil, nu))
		if !href.quoted {
			b.WriteByte('"')
		}
		last = href.ve
		return true
	})
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isHTTP(u string) bool {
	l := len("https://")
	if len(u) < l {
		l = len(u)
	}
	p := strings.ToLower(u[:l])
	return strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://")
}

// InsertOpenPixel puts the open-tracking pixel just before </body> (at the
// end when there is none): last, so a client that stops loading images
// early has shown the message first, and outside any table so it takes no
// room.
func InsertOpenPixel(s, pixelURL string) string {
	at := -1
	walkHTML(s, func(t *htmlTok) bool {
		if t.typ == htEnd && t.name == "body" {
			at = t.start
		}
		return true
	})
	pixel := `<img src="` + string(appendEscaped(nil, pixelURL)) + `" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0">`
	if at < 0 {
		return s + pixel
	}
	return s[:at] + pixel + s[at:]
}

// preheaderStyle hides the preheader in every client while inbox lists
// still show it as the preview line.
const preheaderStyle = "display:none!important;visibility:hidden;mso-hide:all;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;color:transparent"

// preheaderPad follows the preheader so clients fill the rest of the
// preview with blanks instead of the first words of the body.
var preheaderPad = strings.Repeat("&#847;&zwnj;&nbsp;", 40)

// insertPreheader puts the preheader right after <body>, or first when the
// HTML has no body tag.
func insertPreheader(s, pre string) string {
	if pre == "" {
		return s
	}
	at := 0
	walkHTML(s, func(t *htmlTok) bool {
		if t.typ == htStart && t.name == "body" {
			at = t.end
			return false
		}
		return true
	})
	span := `<span style="` + preheaderStyle + `">` + string(appendEscaped(nil, pre)) + preheaderPad + `</span>`
	return s[:at] + span + s[at:]
}

// Blocks that start on a new line in the text part; the paragraph-like ones
// get a blank line around them.
var (
	paragraphTags = map[string]bool{"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"ul": true, "ol": true, "table": true, "blockquote": true, "hr": true, "pre": true, "dl": true}
	lineTags = map[string]bool{"div": true, "tr": true, "section": true, "article": true, "header": true, "footer": true,
		"center": true, "address": true, "dt": true, "dd": true, "figure": true, "form": true, "nav": true,
		"main": true, "aside": true, "caption": true}
	voidTags = map[string]bool{"br": true, "img": true, "hr": true, "meta": true, "link": true, "input": true,
		"area": true, "base": true, "col": true, "embed": true, "source": true, "track": true, "wbr": true}
)

// textWidth is where the text part wraps: under the 78 characters RFC 5322
// recommends for a line.
const textWidth = 76

// PlainText turns rendered HTML into the text part: what a reader would
// see, with links written as "text (url)", head, styles, scripts and hidden
// elements dropped, entities decoded, whitespace collapsed and lines
// wrapped.
func PlainText(s string) string {
	var w textWriter
	w.b.Grow(len(s) / 2)
	var (
		inHead   bool
		skipName string // a hidden element being skipped
		skipNest int
		inLink   bool
		href     string
		linkAt   int
	)
	walkHTML(s, func(t *htmlTok) bool {
		if skipName != "" {
			switch {
			case t.typ == htStart && t.name == skipName:
				skipNest++
			case t.typ == htEnd && t.name == skipName:
				skipNest--
				if skipNest == 0 {
					skipName = ""
				}
			}
			return true
		}
		switch t.typ {
		case htText:
			if !inHead {
				w.text(html.UnescapeString(s[t.start:t.end]))
			}
		case htStart:
			if t.name == "head" {
				inHead = true
			}
			if inHead {
				return true
			}
			if hidden(t) && !voidTags[t.name] {
				skipName, skipNest = t.name, 1
				return true
			}
			switch {
			case t.name == "br":
				w.br()
			case t.name == "li":
				w.newline(1)
				w.raw("- ")
			case t.name == "a":
				a, _ := t.attr("href")
				inLink, href, linkAt = true, strings.TrimSpace(html.UnescapeString(a.val)), w.b.Len()
			case t.name == "img" && inLink:
				if alt, ok := t.attr("alt"); ok {
					w.text(html.UnescapeString(alt.val))
				}
			case paragraphTags[t.name]:
				w.newline(2)
			case lineTags[t.name]:
				w.newline(1)
			}
		case htEnd:
			switch {
			case t.name == "head":
				inHead = false
			case inHead:
			case t.name == "a" && inLink:
				inLink = false
				w.link(href, linkAt)
			case t.name == "td" || t.name == "th":
				w.space = true
			case paragraphTags[t.name]:
				w.newline(2)
			case lineTags[t.name] || t.name == "li":
				w.newline(1)
			}
		}
		return true
	})
	return wrap(w.b.String(), textWidth)
}

// hidden reports an element readers do not see (display:none, the hidden
// attribute): preheaders pasted into the body, mobile-only duplicates.
func hidden(t *htmlTok) bool {
	if _, ok := t.attr("hidden"); ok {
		return true
	}
	style, ok := t.attr("style")
	if !ok || indexFold(style.val, "none") < 0 {
		return false
	}
	compact := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, html.UnescapeString(style.val))
	return strings.Contains(compact, "display:none")
}

// textWriter collapses whitespace the way a browser does and keeps at most
// one blank line between blocks.
type textWriter struct {
	b     strings.Builder
	nl    int // newlines owed before the next text
	space bool
}

func (w *textWriter) atLineStart() bool {
	s := w.b.String()
	return s == "" || s[len(s)-1] == '\n'
}

func (w *textWriter) newline(n int) {
	w.nl = max(w.nl, n)
	w.space = false
}

func (w *textWriter) br() {
	w.nl = min(w.nl+1, 2)
	w.space = false
}

func (w *textWriter) flush() {
	if w.nl == 0 && !w.space {
		return
	}
	if w.nl > 0 {
		if w.b.Len() > 0 {
			w.b.WriteString("\n\n"[:w.nl])
		}
		w.nl, w.space = 0, false
		return
	}
	if w.space && !w.atLineStart() {
		w.b.WriteByte(' ')
	}
	w.space = false
}

// raw writes s as it is (after what is owed).
func (w *textWriter) raw(s string) {
	w.flush()
	w.b.WriteString(s)
}

func (w *textWriter) text(s string) {
	for i := 0; i < len(s); i++ {
		// ASCII first: nearly all of an email's text.
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			w.rune(r)
			i += size - 1
			continue
		}
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
			w.space = true
			continue
		}
		w.flush()
		w.b.WriteByte(c)
	}
}

func (w *textWriter) rune(r rune) {
	switch {
	case unicode.IsSpace(r) || r == '\u00a0':
		w.space = true
	case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u034f' || r == '\u00ad':
		// Zero-width characters and soft hyphens (email spacers) show nothing.
	default:
		w.flush()
		w.b.WriteRune(r)
	}
}

// link writes the URL after a link's text, unless the text already is the
// URL: "Read the guide (https://…)".
func (w *textWriter) link(href string, at int) {
	if href == "" || strings.HasPrefix(href, "#") {
		return
	}
	shown := strings.TrimSpace(w.b.String()[min(at, w.b.Len()):])
	target := href
	for _, p := range []string{"mailto:", "tel:"} {
		if len(href) >= len(p) && strings.EqualFold(href[:len(p)], p) {
			target = href[len(p):]
		}
	}
	if !isHTTP(href) && target == href {
		return // some other scheme: nothing a reader can use
	}
	switch {
	case shown == "":
		w.raw(target)
	case shown == target || shown == href || strings.TrimSuffix(shown, "/") == strings.TrimSuffix(stripScheme(href), "/"):
	default:
		w.space = true
		w.raw("(")
		w.b.WriteString(target)
		w.b.WriteByte(')')
	}
}

func stripScheme(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		return u[i+3:]
	}
	return u
}

// wrap breaks lines longer than width at spaces; a word longer than the
// width (a URL) gets a line of its own rather than being cut. List items
// continue indented under their text.
func wrap(s string, width int) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/width)
	for line := range strings.Lines(s) {
		line, nl := strings.CutSuffix(line, "\n")
		if len(line) <= width || utf8.RuneCountInString(line) <= width {
			b.WriteString(line)
		} else {
			wrapLine(&b, line, width)
		}
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func wrapLine(b *strings.Builder, line string, width int) {
	indent := ""
	if strings.HasPrefix(line, "- ") {
		indent = "  "
	}
	n := 0
	first := true
	for word := range strings.SplitSeq(line, " ") {
		wl := utf8.RuneCountInString(word)
		switch {
		case first:
			first = false
		case n+1+wl > width:
			b.WriteString("\n" + indent)
			n = len(indent)
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += wl
	}
}
