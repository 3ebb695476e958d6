package template

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// Kinds of template. Marketing mail needs consent and carries the
// unsubscribe machinery; transactional mail (double opt-in, receipts) goes to
// anyone who asked for it, unsubscribed or not.
const (
	KindMarketing     = "marketing"
	KindTransactional = "transactional"
)

// Limits on a definition. 256 KB per body is far beyond a real email and
// bounds the work of compiling and rendering; a store keeping both bodies in
// one DynamoDB item (400 KB) compresses them (HTML compresses 5-10x). The
// subject limit is more than any inbox shows.
const (
	MaxBodyBytes      = 256 << 10
	MaxSubjectChars   = 255
	MaxPreheaderChars = 500
	maxNameChars      = 200
	maxFromNameChars  = 100
	maxReplyTo        = 5
	maxProblems       = 50
	// gmailClipBytes is where Gmail cuts a message off behind a "View
	// entire message" link, hiding the footer and the unsubscribe link.
	gmailClipBytes = 102 << 10
)

// Placeholders every marketing template must show unconditionally: an
// unsubscribe link (CAN-SPAM, GDPR, Gmail/Yahoo bulk-sender rules) and the
// sender's postal address (CAN-SPAM).
const (
	UnsubscribePlaceholder = "{{ unsubscribe_url }}"
	AddressPlaceholder     = "{{ sender.address }}"
)

var (
	idPattern    = lazyregexp.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	topicPattern = lazyregexp.New(`^[a-z][a-z0-9_-]{0,63}$`)
)

// Template is one email template. Its JSON is the format of the repo's
// definitions/templates files and of the admin API.
type Template struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Kind is KindMarketing or KindTransactional.
	Kind string `json:"kind"`
	// Topic is the subscription group a marketing template belongs to: a
	// contact who switched the topic off in the preference centre gets none
	// of its mail. Transactional templates have none.
	Topic   string   `json:"topic,omitempty"`
	From    Address  `json:"from"`
	ReplyTo []string `json:"reply_to,omitempty"`
	// Subject, Preheader, HTML and Text are template source. Text is
	// optional: when empty, the text part is generated from the rendered
	// HTML.
	Subject   string `json:"subject"`
	Preheader string `json:"preheader,omitempty"`
	HTML      string `json:"html"`
	Text      string `json:"text,omitempty"`
}

// Address is a sender: a display name and a mailbox.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// ErrInvalid is wrapped by every validation and compile error, so handlers
// answer 400 with errors.Is instead of matching strings.
var ErrInvalid = errors.New("invalid template")

// Problem is one thing wrong with a template. Field names the part
// ("subject", "html", "from.address"); Line and Column (1-based, in
// characters) point into that part's source when the problem is in it.
type Problem struct {
	Field   string `json:"field"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s %d:%d: %s", p.Field, p.Line, p.Column, p.Message)
	}
	return p.Field + ": " + p.Message
}

// Warning is something that compiles but probably is not what the author
// meant, such as a trait shown without a default. Saving is allowed; the
// admin UI shows warnings next to the editor.
type Warning Problem

func (w Warning) String() string { return Problem(w).String() }

// Error lists every problem found in a template.
type Error struct {
	ID       string    `json:"id,omitempty"`
	Problems []Problem `json:"problems"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid template")
	if e.ID != "" {
		b.WriteString(" " + e.ID)
	}
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// Validate reports every problem with a template, or nil. It compiles the
// template, so a template that validates also renders.
func (t Template) Validate() error {
	_, _, err := Compile(t)
	return err
}

// problems collects problems up to a cap, so a pasted garbage document
// gives a readable answer instead of thousands of lines.
type problems struct{ list []Problem }

func (ps *problems) add(field string, line, col int, format string, args ...any) {
	if len(ps.list) >= maxProblems {
		return
	}
	ps.list = append(ps.list, Problem{Field: field, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// checkFields checks everything but the template source.
func (t Template) checkFields(ps *problems) {
	if !idPattern.MatchString(t.ID) {
		ps.add("id", 0, 0, "%q must be 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit", clip(t.ID))
	}
	if strings.TrimSpace(t.Name) == "" || utf8.RuneCountInString(t.Name) > maxNameChars {
		ps.add("name", 0, 0, "is required (at most %d characters)", maxNameChars)
	}
	switch t.Kind {
	case KindMarketing:
		if !topicPattern.MatchString(t.Topic) {
			ps.add("topic", 0, 0, "a marketing template needs a topic (subscription group id: a lower-case letter, then up to 63 letters, digits, '-' or '_'), got %q", clip(t.Topic))
		}
	case KindTransactional:
		// A topic would suggest that switching it off stops this mail; it
		// does not, transactional mail goes out regardless.
		if t.Topic != "" {
			ps.add("topic", 0, 0, "transactional templates have no topic (they are sent whatever the contact's subscriptions)")
		}
	default:
		ps.add("kind", 0, 0, "%q must be %q or %q", clip(t.Kind), KindMarketing, KindTransactional)
	}
	if !isMailbox(t.From.Address) {
		ps.add("from.address", 0, 0, "%q must be an email address such as news@example.com", clip(t.From.Address))
	}
	if n := t.From.Name; strings.ContainsFunc(n, isControl) || utf8.RuneCountInString(n) > maxFromNameChars || !utf8.ValidString(n) {
		ps.add("from.name", 0, 0, "must be at most %d characters on one line", maxFromNameChars)
	}
	if len(t.ReplyTo) > maxReplyTo {
		ps.add("reply_to", 0, 0, "at most %d addresses", maxReplyTo)
	}
	for i, a := range t.ReplyTo {
		if !isMailbox(a) {
			ps.add(fmt.Sprintf("reply_to[%d]", i), 0, 0, "%q must be an email address", clip(a))
		}
	}
	if strings.TrimSpace(t.Subject) == "" || utf8.RuneCountInString(t.Subject) > MaxSubjectChars {
		ps.add("subject", 0, 0, "is required (at most %d characters of template source)", MaxSubjectChars)
	}
	if strings.ContainsAny(t.Subject, "\r\n") {
		ps.add("subject", 0, 0, "must be one line")
	}
	if utf8.RuneCountInString(t.Preheader) > MaxPreheaderChars {
		ps.add("preheader", 0, 0, "at most %d characters", MaxPreheaderChars)
	}
	if strings.TrimSpace(t.HTML) == "" {
		ps.add("html", 0, 0, "is required (the text part is generated from it when text is empty)")
	}
	for _, part := range []struct{ name, src string }{{"subject", t.Subject}, {"preheader", t.Preheader}, {"html", t.HTML}, {"text", t.Text}} {
		if len(part.src) > MaxBodyBytes {
			ps.add(part.name, 0, 0, "is %d bytes, at most %d allowed", len(part.src), MaxBodyBytes)
		}
		if !utf8.ValidString(part.src) {
			ps.add(part.name, 0, 0, "is not valid UTF-8")
		}
	}
}

// isMailbox accepts a bare address ("a@b.example"), not a display-name form:
// the display name has its own field, so nothing can smuggle a second
// address or header into From.
func isMailbox(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsFunc(s, isControl) {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// clip shortens a value quoted in a message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 64 {
		return s
	}
	return string([]rune(s)[:64]) + "…"
}
