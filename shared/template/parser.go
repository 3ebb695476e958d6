package template

import (
	"slices"
	"strconv"
	"strings"
)

// maxDepth bounds nested {% if %} blocks: deep enough for any real email,
// shallow enough that hostile input cannot exhaust the stack.
const maxDepth = 32

// maxWarnings bounds the warnings of one part, as maxProblems bounds errors.
const maxWarnings = 50

type node interface{ isNode() }

type textNode struct{ s string }

// outputNode is {{ value | filter … }}. esc is how its value is escaped,
// decided from where it sits in the HTML (see context.go); outside HTML it
// is escNone.
type outputNode struct {
	v       operand
	filters []filterCall
	off     int
	esc     escaper
}

// ifNode is if/elsif/else and unless (an unless is an if whose first
// condition is negated).
type ifNode struct {
	branches []branch
	els      []node
	off      int
}

type branch struct {
	c    cond
	body []node
}

func (textNode) isNode()    {}
func (*outputNode) isNode() {}
func (*ifNode) isNode()     {}

// operand is a literal or a field.
type operand struct {
	isLit bool
	lit   any // string, float64, bool or nil
	f     field
	key   []string // the path below traits, for fTrait
	path  string   // as written, for messages and warnings
	off   int
}

type cond interface{ isCond() }

type orCond struct{ l, r cond }
type andCond struct{ l, r cond }
type notCond struct{ c cond }
type truthyCond struct{ v operand }
type cmpCond struct {
	op   string
	l, r operand
}

func (orCond) isCond()     {}
func (andCond) isCond()    {}
func (notCond) isCond()    {}
func (truthyCond) isCond() {}
func (cmpCond) isCond()    {}

// parser builds the tree of one part. Syntax errors stop it (what follows a
// broken tag cannot be trusted); unknown fields and filters are collected and
// parsing goes on, so one save reports all of them.
type parser struct {
	part  string
	sc    scanner
	lines lineIndex
	ps    *problems
	warns []Warning
	// guarded counts the enclosing conditions that make a path non-empty:
	// {% if traits.company %}{{ traits.company }}{% endif %} needs no default.
	guarded map[string]int
	depth   int
}

func (p *parser) problem(off int, format string, args ...any) {
	if len(p.ps.list) >= maxProblems {
		return // positions cost a scan of the line; skip what is not shown
	}
	line, col := p.lines.pos(off)
	p.ps.add(p.part, line, col, format, args...)
}

func (p *parser) warn(off int, msg string) {
	if len(p.warns) >= maxWarnings {
		return
	}
	line, col := p.lines.pos(off)
	p.warns = append(p.warns, Warning{Field: p.part, Line: line, Column: col, Message: msg})
}

// body parses until one of the stop tags (returned with its tokens) or the
// end of the source; openedAt is where the enclosing block began.
func (p *parser) body(stop []string, openedAt int) ([]node, []token, *syntaxError) {
	var nodes []node
	for {
		seg, err := p.sc.next()
		if err != nil {
			return nil, nil, err
		}
		switch seg.kind {
		case segEOF:
			if stop != nil {
				return nil, nil, errorAt(openedAt, "block is not closed: expected {%% %s %%}", stop[len(stop)-1])
			}
			return nodes, nil, nil
		case segText:
			nodes = append(nodes, textNode{seg.text})
		case segOutput:
			n, err := p.output(seg)
			if err != nil {
				return nil, nil, err
			}
			nodes = append(nodes, n)
		case segTag:
			toks, err := lexExpr(seg.text, seg.inner)
			if err != nil {
				return nil, nil, err
			}
			if toks[0].kind != tIdent {
				return nil, nil, errorAt(seg.off, "a tag needs a name: {%% if … %%}, {%% endif %%}")
			}
			name := toks[0].s
			for _, s := range stop {
				if name == s {
					return nodes, toks, nil
				}
			}
			switch name {
			case "if", "unless":
				n, err := p.ifBlock(name, toks, seg.off)
				if err != nil {
					return nil, nil, err
				}
				nodes = append(nodes, n)
			case "raw":
				if err := expectEnd(toks[1:], "raw"); err != nil {
					return nil, nil, err
				}
				text, err := p.sc.skipUntil("endraw", seg.off)
				if err != nil {
					return nil, nil, err
				}
				if text != "" {
					nodes = append(nodes, textNode{text})
				}
			case "comment":
				if _, err := p.sc.skipUntil("endcomment", seg.off); err != nil {
					return nil, nil, err
				}
			case "elsif", "else", "endif", "endunless", "endraw", "endcomment":
				return nil, nil, errorAt(seg.off, "unexpected {%% %s %%}: no open block it belongs to", name)
			default:
				return nil, nil, errorAt(toks[0].off, "unknown tag %q (tags are if, elsif, else, endif, unless, endunless, raw, comment)", name)
			}
		}
	}
}

func expectEnd(toks []token, tag string) *syntaxError {
	if toks[0].kind != tEOF {
		return errorAt(toks[0].off, "unexpected %s in {%% %s %%}", toks[0].describe(), tag)
	}
	return nil
}

func (p *parser) ifBlock(name string, toks []token, off int) (node, *syntaxError) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errorAt(off, "blocks nested more than %d deep", maxDepth)
	}
	end := "end" + name
	n := &ifNode{off: off}
	c, err := p.condition(toks[1:], toks[0])
	if err != nil {
		return nil, err
	}
	if name == "unless" {
		c = notCond{c}
	}
	for {
		guards := truthyPaths(c)
		p.guard(guards, 1)
		body, stopToks, err := p.body([]string{"elsif", "else", end}, off)
		p.guard(guards, -1)
		if err != nil {
			return nil, err
		}
		n.branches = append(n.branches, branch{c: c, body: body})
		switch stopToks[0].s {
		case end:
			return n, expectEnd(stopToks[1:], end)
		case "else":
			if err := expectEnd(stopToks[1:], "else"); err != nil {
				return nil, err
			}
			els, stopToks, err := p.body([]string{end}, off)
			if err != nil {
				return nil, err
			}
			n.els = els
			return n, expectEnd(stopToks[1:], end)
		}
		if c, err = p.condition(stopToks[1:], stopToks[0]); err != nil {
			return nil, err
		}
	}
}

func (p *parser) guard(paths []string, delta int) {
	for _, path := range paths {
		p.guarded[path] += delta
	}
}

// truthyPaths lists the fields a condition guarantees to be non-empty when
// it holds, so outputs under it need no default.
func truthyPaths(c cond) []string { return appendTruthy(nil, c) }

func appendTruthy(out []string, c cond) []string {
	switch c := c.(type) {
	case truthyCond:
		if !c.v.isLit {
			return append(out, c.v.path)
		}
	case cmpCond:
		if c.l.isLit || !c.r.isLit {
			return out
		}
		empty := c.r.lit == nil || c.r.lit == ""
		if (c.op == "==" || c.op == "contains") && !empty || c.op == "!=" && empty {
			return append(out, c.l.path)
		}
	case andCond:
		return appendTruthy(appendTruthy(out, c.l), c.r)
	case orCond:
		r := truthyPaths(c.r)
		for _, x := range truthyPaths(c.l) {
			if slices.Contains(r, x) {
				out = append(out, x)
			}
		}
	}
	return out
}

// condition parses "a == b and c or d": and binds tighter than or, as in
// most languages (Liquid's own right-to-left rule surprises people).
func (p *parser) condition(toks []token, tag token) (cond, *syntaxError) {
	if toks[0].kind == tEOF {
		return nil, errorAt(tag.off, "{%% %s %%} needs a condition", tag.s)
	}
	ts := &tokens{toks: toks}
	c, err := p.or(ts)
	if err != nil {
		return nil, err
	}
	if t := ts.peek(); t.kind != tEOF {
		if t.kind == tPipe {
			return nil, errorAt(t.off, "filters are not allowed in conditions")
		}
		return nil, errorAt(t.off, "unexpected %s in condition (combine conditions with and / or)", t.describe())
	}
	return c, nil
}

func (p *parser) or(ts *tokens) (cond, *syntaxError) {
	l, err := p.and(ts)
	if err != nil {
		return nil, err
	}
	for ts.peek().kind == tIdent && ts.peek().s == "or" {
		ts.i++
		r, err := p.and(ts)
		if err != nil {
			return nil, err
		}
		l = orCond{l, r}
	}
	return l, nil
}

func (p *parser) and(ts *tokens) (cond, *syntaxError) {
	l, err := p.comparison(ts)
	if err != nil {
		return nil, err
	}
	for ts.peek().kind == tIdent && ts.peek().s == "and" {
		ts.i++
		r, err := p.comparison(ts)
		if err != nil {
			return nil, err
		}
		l = andCond{l, r}
	}
	return l, nil
}

func (p *parser) comparison(ts *tokens) (cond, *syntaxError) {
	l, err := p.operand(ts)
	if err != nil {
		return nil, err
	}
	t := ts.peek()
	if t.kind != tOp && !(t.kind == tIdent && t.s == "contains") {
		return truthyCond{l}, nil
	}
	ts.i++
	r, err := p.operand(ts)
	if err != nil {
		return nil, err
	}
	return cmpCond{op: t.s, l: l, r: r}, nil
}

// operand parses a literal or a dotted field path and checks the field.
func (p *parser) operand(ts *tokens) (operand, *syntaxError) {
	t := ts.next()
	switch t.kind {
	case tString:
		return operand{isLit: true, lit: t.s, off: t.off}, nil
	case tNumber:
		f, err := strconv.ParseFloat(t.s, 64)
		if err != nil {
			return operand{}, errorAt(t.off, "bad number %q", t.s)
		}
		return operand{isLit: true, lit: f, off: t.off}, nil
	case tIdent:
	default:
		return operand{}, errorAt(t.off, "expected a field, string or number, found %s", t.describe())
	}
	switch t.s {
	case "true", "false":
		return operand{isLit: true, lit: t.s == "true", off: t.off}, nil
	case "nil", "null":
		return operand{isLit: true, off: t.off}, nil
	case "and", "or", "contains":
		return operand{}, errorAt(t.off, "expected a field, string or number, found %q", t.s)
	}
	segs := []string{t.s}
	for ts.peek().kind == tDot {
		ts.i++
		n := ts.next()
		if n.kind != tIdent && n.kind != tNumber {
			return operand{}, errorAt(n.off, "expected a name after '.', found %s", n.describe())
		}
		segs = append(segs, n.s)
	}
	o := operand{path: strings.Join(segs, "."), off: t.off}
	f, key, msg := resolveField(segs)
	switch {
	case msg != "":
		p.problem(t.off, "%s", msg)
	case f == fMessageSubject && (p.part == "subject"):
		p.problem(t.off, "the subject cannot use message.subject (it is the subject)")
	}
	o.f, o.key = f, key
	return o, nil
}

// output parses {{ value | filter: arg, arg | filter }}.
func (p *parser) output(seg segment) (node, *syntaxError) {
	toks, err := lexExpr(seg.text, seg.inner)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tEOF {
		return nil, errorAt(seg.off, "empty {{ }}: put a field in it, e.g. {{ traits.first_name }}")
	}
	ts := &tokens{toks: toks}
	v, err := p.operand(ts)
	if err != nil {
		return nil, err
	}
	n := &outputNode{v: v, off: seg.off}
	hasDefault := false
	for ts.peek().kind == tPipe {
		ts.i++
		name := ts.next()
		if name.kind != tIdent {
			return nil, errorAt(name.off, "expected a filter name after '|', found %s", name.describe())
		}
		fc := filterCall{name: name.s, off: name.off}
		if ts.peek().kind == tColon {
			ts.i++
			for {
				a, err := p.operand(ts)
				if err != nil {
					return nil, err
				}
				fc.args = append(fc.args, a)
				if ts.peek().kind != tComma {
					break
				}
				ts.i++
			}
		}
		if msg := fc.check(); msg != "" {
			p.problem(name.off, "%s", msg)
		}
		hasDefault = hasDefault || fc.kind == filterDefault
		n.filters = append(n.filters, fc)
	}
	if t := ts.peek(); t.kind != tEOF {
		return nil, errorAt(t.off, "unexpected %s in {{ }} (filters are separated by |)", t.describe())
	}
	if v.f == fTrait && !hasDefault && p.guarded[v.path] == 0 {
		p.warn(v.off, v.path+" has no default: contacts without it will see nothing here; add | default: \"…\" or wrap it in {% if "+v.path+" %}")
	}
	return n, nil
}

type tokens struct {
	toks []token
	i    int
}

func (ts *tokens) peek() token { return ts.toks[ts.i] }

func (ts *tokens) next() token {
	t := ts.toks[ts.i]
	if t.kind != tEOF {
		ts.i++
	}
	return t
}
