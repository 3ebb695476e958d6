package template

import "strings"

// escaper is how an output's value is made safe for where it lands. The HTML
// part is scanned at compile time (like html/template does), so each output
// knows whether it sits in text, in an attribute or in a URL, and the few
// places where no escaping can make data safe (inside a tag's markup, an
// unquoted attribute, an event handler, a style, a script) are refused when
// the template is saved.
type escaper uint8

const (
	escNone     escaper = iota // subject, preheader, text part
	escHTML                    // HTML text or a quoted attribute value
	escURL                     // a whole URL attribute value: scheme checked, then HTML-escaped
	escURLPath                 // inside a URL before ? or #: percent-encoded
	escURLQuery                // inside a URL's query or fragment: query-encoded
)

// HTML scanner states.
const (
	sText uint8 = iota
	sTagName
	sInTag
	sAttrName
	sAfterAttr
	sBeforeValue
	sValueDQ
	sValueSQ
	sValueUnquoted
	sComment
	sBogus // <!DOCTYPE …>, <?…>, <!--[if mso]>: markup up to '>'
	sRaw   // inside <script> or <style>
)

// hstate is where the scanner is in the HTML. It is a value, so each branch
// of an {% if %} is scanned from the same start and the ends compared.
type hstate struct {
	s       uint8
	tag     string // the tag being read, or the raw element
	closing bool
	attr    string
	// start: nothing of the attribute value is written yet; query: the
	// value has passed a ? or #.
	start, query bool
	dashes       uint8 // trailing '-' in a comment, to find -->
	// lt: the text so far ends with "<" or "</", so an output here would
	// write a tag's name (and whatever markup its value holds).
	lt bool
	// In an href value: val is its literal text so far; fixed says its
	// scheme and host are settled (by val, or by one of Leadflow's own
	// links at its start), so a field from here on cannot move the link to
	// another host; opaque says val cannot tell (branches wrote different
	// text, or it grew past maxURLPrefix), so nothing can settle it.
	val           string
	fixed, opaque bool
}

// maxURLPrefix bounds the literal text kept to find a link's host: a
// scheme and a host fit many times over.
const maxURLPrefix = 1024

func (a hstate) sameShape(b hstate) bool {
	if a.s != b.s || a.tag != b.tag || a.closing != b.closing {
		return false
	}
	switch a.s {
	case sAttrName, sAfterAttr, sBeforeValue, sValueDQ, sValueSQ, sValueUnquoted:
		return a.attr == b.attr
	}
	// Between attributes the last attribute's name no longer matters.
	return true
}

// urlAttrs hold URLs; a value that starts one is checked for its scheme.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "background": true,
	"cite": true, "poster": true, "longdesc": true, "usemap": true, "srcset": true,
	"xlink:href": true, "lowsrc": true, "dynsrc": true, "codebase": true, "data": true,
}

// htmlWalk scans the HTML part and records what the marketing rules need.
type htmlWalk struct {
	p *parser
	// unsubscribe: an unconditional <a href="{{ unsubscribe_url }}">;
	// address: an unconditional {{ sender.address }} in text.
	unsubscribe, address bool
	// hosts are the hosts the template's links are written with.
	hosts map[string]bool
}

func (w *htmlWalk) host(h string) {
	if w.hosts == nil {
		w.hosts = map[string]bool{}
	}
	w.hosts[h] = true
}

func (w *htmlWalk) nodes(ns []node, st hstate, depth int) hstate {
	for _, n := range ns {
		switch n := n.(type) {
		case textNode:
			st = scanHTML(st, n.s, w.host)
		case *outputNode:
			st = w.output(n, st, depth)
		case *ifNode:
			ends := make([]hstate, 0, len(n.branches)+1)
			for _, b := range n.branches {
				ends = append(ends, w.nodes(b.body, st, depth+1))
			}
			ends = append(ends, w.nodes(n.els, st, depth+1))
			merged := ends[0]
			for _, e := range ends[1:] {
				if !merged.sameShape(e) {
					w.p.problem(n.off, "the branches of this block leave the HTML in different states (a tag, quote or comment opened in one branch must be closed in the same branch)")
					break
				}
				// Either branch may have run: the next output may start the
				// value, or be in the query.
				merged.start = merged.start || e.start
				merged.query = merged.query || e.query
				if merged.dashes != e.dashes {
					merged.dashes = 0
				}
				// A link's host is settled after the block only if every
				// branch settled it; text the branches wrote differently
				// can no longer settle it.
				merged.fixed = merged.fixed && e.fixed
				if merged.val != e.val || e.opaque {
					merged.opaque = true
				}
			}
			if merged.opaque && !merged.fixed {
				// A branch may end the link (its closing quote is after the
				// block): a host it wrote in full still counts as written.
				for _, e := range ends {
					if h, ok := endedHost(e.val); ok && !e.opaque && !e.fixed {
						w.host(h)
					}
				}
			}
			st = merged
		}
	}
	return st
}

func (w *htmlWalk) output(n *outputNode, st hstate, depth int) hstate {
	switch st.s {
	case sText, sComment:
		if st.lt {
			w.p.problem(n.off, "a field cannot write markup: it would name a tag here (<{{ … }}); write the tag in the template")
			st.lt = false
			return st
		}
		n.esc = escHTML
		if n.v.f == fSenderAddress && depth == 0 && st.s == sText {
			w.address = true
		}
	case sValueDQ, sValueSQ:
		switch {
		case strings.HasPrefix(st.attr, "on"):
			w.p.problem(n.off, "a field cannot be used in an event handler attribute (%s)", st.attr)
		case st.attr == "style":
			w.p.problem(n.off, "a field cannot be used inside a style attribute: keep styles in the template, data in text")
		case urlAttrs[st.attr]:
			switch {
			case st.start && st.attr == "href" && !(n.literalArgs() && (n.v.isLit || linkField(n.v.f))):
				// The address a link leads to must be written in the template
				// (or be one of Leadflow's own links): a URL taken from
				// contact data, which browsers may set, would make the
				// signed click link an open redirect.
				w.p.problem(n.off, "a link's address cannot come from contact data (%s): write its scheme and host in the template, e.g. https://example.com/page?ref={{ … }}", n.v.path)
			case st.attr == "href" && !st.start && !st.fixed && !n.constant():
				// "https://example.com{{ x }}" with x = "@evil.example" or
				// ".evil.example" is a link to evil.example: a field may only
				// follow a host the template has ended with / ? or #.
				w.p.problem(n.off, "a field in a link's address must come after its scheme and host, ended by / ? or # (https://example.com/{{ … }}), or in a mailto: or tel: link (%s)", n.v.path)
			case st.start:
				n.esc = escURL
				if n.v.f == fUnsubscribeURL && len(n.filters) == 0 && depth == 0 && st.tag == "a" && st.attr == "href" {
					w.unsubscribe = true
				}
			case st.query:
				n.esc = escURLQuery
			default:
				n.esc = escURLPath
			}
		default:
			n.esc = escHTML
		}
		if st.attr == "href" && !st.fixed && !st.opaque {
			switch {
			case st.start && linkField(n.v.f) && n.literalArgs():
				st.fixed = true // Leadflow's own host
			case n.constant():
				// Template text written as a literal: it counts as written.
				if lit, ok := n.v.lit.(string); ok && len(n.filters) == 0 {
					st = st.urlText(lit, w.host)
				} else {
					st.opaque = true
				}
			}
		}
		st.start = false
	case sBeforeValue, sValueUnquoted:
		w.p.problem(n.off, "an attribute value with a field must be in quotes: %s=\"{{ … }}\"", st.attr)
	case sRaw:
		w.p.problem(n.off, "a field cannot be used inside <%s>", st.tag)
	default:
		w.p.problem(n.off, "a field cannot write markup: use it in text or in a quoted attribute value")
	}
	return st
}

// linkField reports whether a field is one of Leadflow's own URLs, which may
// stand for a whole link address.
func linkField(f field) bool {
	switch f {
	case fUnsubscribeURL, fPreferencesURL, fViewInBrowserURL, fConfirmURL:
		return true
	}
	return false
}

// constant reports whether an output renders the same for every contact:
// a literal whose filters take only literals.
func (n *outputNode) constant() bool { return n.v.isLit && n.literalArgs() }

// literalArgs reports whether the output's filters take only literals:
// default: traits.x would bring contact data in (after a literal, or after
// a Leadflow link that is empty in this message, such as view_in_browser_url).
func (n *outputNode) literalArgs() bool {
	for _, fc := range n.filters {
		for _, a := range fc.args {
			if !a.isLit {
				return false
			}
		}
	}
	return true
}

// urlText adds literal text to an href value and reports the link's host to
// onHost once the text settles it.
func (st hstate) urlText(s string, onHost func(string)) hstate {
	if st.fixed || st.opaque || s == "" {
		return st
	}
	if len(st.val)+len(s) > maxURLPrefix {
		st.opaque = true
		return st
	}
	st.val += s
	if h, ok := fixedHost(st.val); ok {
		st.fixed = true
		if h != "" {
			onHost(h)
		}
	}
	return st
}

// fixedHost reports whether the start of a link's address settles where it
// leads: an http(s) scheme and a host ended by / ? # (or \, which browsers
// read as /), or a mailto: or tel: scheme, which no click redirect follows
// (host "").
func fixedHost(val string) (string, bool) {
	low := strings.ToLower(val)
	if strings.HasPrefix(low, "mailto:") || strings.HasPrefix(low, "tel:") {
		return "", true
	}
	rest, ok := cutHTTPScheme(val)
	if !ok {
		return "", false
	}
	end := strings.IndexAny(rest, "/?#\\")
	if end < 0 {
		return "", false
	}
	return CanonicalHost(authorityHost(rest[:end]))
}

// endedHost is the host of a whole literal http(s) address ("https://x.example").
func endedHost(val string) (string, bool) {
	rest, ok := cutHTTPScheme(val)
	if !ok {
		return "", false
	}
	if end := strings.IndexAny(rest, "/?#\\"); end >= 0 {
		rest = rest[:end]
	}
	h, ok := CanonicalHost(authorityHost(rest))
	return h, ok && h != ""
}

func cutHTTPScheme(val string) (string, bool) {
	val = strings.TrimLeft(val, " \t\n\r\f")
	for _, p := range []string{"https://", "http://"} {
		if len(val) >= len(p) && strings.EqualFold(val[:len(p)], p) {
			return val[len(p):], true
		}
	}
	return "", false
}

// authorityHost drops the user information and port of an authority.
func authorityHost(a string) string {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		a = a[i+1:]
	}
	if i := strings.LastIndexByte(a, ':'); i >= 0 && !strings.Contains(a[i:], "]") {
		a = a[:i]
	}
	return a
}

// CanonicalHost is a host name as links are compared by: lower case,
// without a trailing dot. It refuses what is not a plain DNS name or IP
// address (percent escapes, backslashes, empty labels), so the host Go
// reads and the host a browser goes to cannot differ.
func CanonicalHost(h string) (string, bool) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || len(h) > 253 {
		return "", false
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		for _, c := range h[1 : len(h)-1] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == ':' || c == '.') {
				return "", false
			}
		}
		return h, len(h) > 2
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", false
			}
		}
	}
	return h, true
}

// scanHTML advances the state over literal template text, reporting the
// hosts links are written with to onHost.
func scanHTML(st hstate, text string, onHost func(string)) hstate {
	if text != "" {
		st.lt = false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch st.s {
		case sText:
			j := strings.IndexByte(text[i:], '<')
			if j < 0 {
				return st
			}
			i += j
			rest := text[i+1:]
			switch {
			case strings.HasPrefix(rest, "!--[if") || strings.HasPrefix(rest, "![endif"):
				// Outlook's conditional comments hold markup Outlook renders,
				// so their inside is scanned as HTML.
				st.s = sBogus
			case strings.HasPrefix(rest, "!--"):
				st.s, st.dashes = sComment, 0
				i += 3
			case strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, "?"):
				st.s = sBogus
			case len(rest) > 1 && rest[0] == '/' && isLetter(rest[1]):
				st = hstate{s: sTagName, closing: true}
				i++
			case len(rest) > 0 && isLetter(rest[0]):
				st = hstate{s: sTagName}
			case rest == "" || rest == "/":
				// "<" or "</" ends this text: what follows names the tag.
				st.lt = true
				return st
			}
		case sTagName:
			switch {
			case isSpace(c) || c == '/':
				st.s = sInTag
			case c == '>':
				st = endTag(st)
			default:
				// The whole run at once: adding a byte at a time is
				// quadratic on a hostile 256 KB tag name.
				j := i
				for j < len(text) && !isSpace(text[j]) && text[j] != '/' && text[j] != '>' {
					j++
				}
				st.tag += strings.ToLower(text[i:j])
				i = j - 1
			}
		case sInTag:
			switch {
			case isSpace(c) || c == '/':
			case c == '>':
				st = endTag(st)
			default:
				st.s, st.attr = sAttrName, ""
				i-- // read the name below
			}
		case sAttrName, sAfterAttr:
			switch {
			case isSpace(c):
				st.s = sAfterAttr
			case c == '=':
				st.s = sBeforeValue
			case c == '>':
				st = endTag(st)
			case c == '/':
				st.s = sInTag
			default:
				if st.s == sAfterAttr {
					st.s, st.attr = sAttrName, ""
				}
				j := i
				for j < len(text) && !isSpace(text[j]) && text[j] != '=' && text[j] != '>' && text[j] != '/' {
					j++
				}
				st.attr += strings.ToLower(text[i:j])
				i = j - 1
			}
		case sBeforeValue:
			switch {
			case isSpace(c):
			case c == '"':
				st.s, st.start, st.query, st.val, st.fixed, st.opaque = sValueDQ, true, false, "", false, false
			case c == '\'':
				st.s, st.start, st.query, st.val, st.fixed, st.opaque = sValueSQ, true, false, "", false, false
			case c == '>':
				st = endTag(st)
			default:
				st.s = sValueUnquoted
			}
		case sValueDQ, sValueSQ:
			q := byte('"')
			if st.s == sValueSQ {
				q = '\''
			}
			j := strings.IndexByte(text[i:], q)
			value := text[i:]
			if j >= 0 {
				value = text[i : i+j]
			}
			if st.attr == "href" {
				st = st.urlText(value, onHost)
			}
			if value != "" {
				st.start = false
			}
			if strings.ContainsAny(value, "?#") {
				st.query = true
			}
			if j < 0 {
				return st
			}
			if st.attr == "href" && !st.fixed && !st.opaque {
				if h, ok := endedHost(st.val); ok {
					onHost(h)
				}
			}
			i += j
			st.s, st.val, st.fixed, st.opaque = sInTag, "", false, false
		case sValueUnquoted:
			switch {
			case isSpace(c):
				st.s = sInTag
			case c == '>':
				st = endTag(st)
			}
		case sComment:
			switch {
			case c == '-':
				if st.dashes < 2 {
					st.dashes++
				}
			case c == '>' && st.dashes >= 2:
				st = hstate{}
			default:
				st.dashes = 0
			}
		case sBogus:
			if c == '>' {
				st = hstate{}
			}
		case sRaw:
			j := indexFold(text[i:], "</"+st.tag)
			if j < 0 {
				return st
			}
			i += j + 1 + len(st.tag)
			st = hstate{s: sInTag, tag: st.tag, closing: true}
		}
	}
	return st
}

// endTag leaves a tag: into the raw text of <script>/<style>, else text.
func endTag(st hstate) hstate {
	if !st.closing && (st.tag == "script" || st.tag == "style") {
		return hstate{s: sRaw, tag: st.tag}
	}
	return hstate{}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
