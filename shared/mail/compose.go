package mail

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/token"
)

// Paths of the public links in email, served by the links function.
const (
	UnsubscribePath = "/v1/unsubscribe/"
	PreferencesPath = "/v1/preferences/"
	ConfirmPath     = "/v1/confirm/"
	ClickPath       = "/v1/t/c/"
	OpenPath        = "/v1/t/o/"
)

// TagKindTest marks a test send in the kind tag, so SES events of test
// sends are never counted in reports.
const TagKindTest = "test"

// Links signs the per-recipient URLs of messages.
type Links struct {
	Signer *token.Signer
	// BaseURL is the public API's URL (PUBLIC_BASE_URL).
	BaseURL string
}

func (l Links) url(path string, t token.Token) string {
	return strings.TrimRight(l.BaseURL, "/") + path + l.Signer.Sign(t)
}

// Draft is what goes into one message.
type Draft struct {
	Request  Request
	Kind     string
	Template *template.Compiled
	// Data is the contact's part of the template data (contact, traits,
	// company, location); Compose adds the sender, the links and the
	// campaign.
	Data template.Data
	// To is the recipient: the contact's address, or Request.To for a test.
	To string
	// Confirm asks for a double opt-in confirmation link.
	Confirm bool
	Now     time.Time
}

// Compose renders a draft into the message SES gets. Marketing mail gets
// the one-click List-Unsubscribe headers (RFC 8058), tracked links and the
// open pixel; the unsubscribe, preferences and confirmation links are never
// tracked. A test send (Request.To) carries sample links and no tracking,
// so whoever receives it cannot unsubscribe the contact it was rendered
// for.
func (s Settings) Compose(d Draft, l Links, configSet string) (Message, error) {
	r := d.Request
	t := d.Template.Template()
	test := r.To != ""
	data := d.Data
	data.Now = d.Now
	data.Sender = template.Sender{Name: firstNonEmpty(t.From.Name, s.Sender.From.Name), Address: s.Sender.PostalAddress}
	data.Campaign.ID = r.Source.Campaign
	if test {
		data.Links = template.Sample().Links
	} else {
		if l.Signer == nil {
			return Message{}, fmt.Errorf("compose %s: no link signer", r.SendID)
		}
		tok := token.Token{ContactID: r.ContactID, SendID: r.SendID}
		data.Links = template.Links{
			Unsubscribe: l.url(UnsubscribePath, with(tok, token.Unsubscribe)),
			Preferences: l.url(PreferencesPath, with(tok, token.Preferences)),
		}
		if d.Confirm {
			c := with(tok, token.Confirm)
			c.Expires = d.Now.Add(s.ConfirmLinkTTL()).Unix()
			data.Links.Confirm = l.url(ConfirmPath, c)
		}
	}
	if v := r.Vars["confirm_url"]; v != "" && !test {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Message{}, fmt.Errorf("compose %s: vars.confirm_url must be an http(s) URL", r.SendID)
		}
		data.Links.Confirm = v
	}
	out, err := d.Template.Render(data)
	if err != nil {
		return Message{}, fmt.Errorf("render %s for %s: %w", t.ID, r.SendID, err)
	}
	m := Message{
		From:      (&mail.Address{Name: data.Sender.Name, Address: firstNonEmpty(t.From.Address, s.Sender.From.Address)}).String(),
		To:        d.To,
		ReplyTo:   t.ReplyTo,
		Subject:   out.Subject,
		HTML:      out.HTML,
		Text:      out.Text,
		Tags:      Tags(r, d.Kind),
		ConfigSet: configSet,
	}
	if len(m.ReplyTo) == 0 {
		m.ReplyTo = s.Sender.ReplyTo
	}
	if test {
		m.Tags[TagKind] = TagKindTest
		return m, nil
	}
	if d.Kind == Marketing {
		m.HTML = out.RewriteLinks(func(u string) string {
			return l.url(ClickPath, token.Token{Purpose: token.Click, ContactID: r.ContactID, SendID: r.SendID, TemplateID: t.ID, URL: u})
		})
		// The pixel names the template too: segments ask "opened this template".
		m.HTML = template.InsertOpenPixel(m.HTML, l.url(OpenPath, with(token.Token{ContactID: r.ContactID, SendID: r.SendID, TemplateID: t.ID}, token.Open)))
		m.Headers = append(m.Headers,
			Header{Name: "List-Unsubscribe", Value: "<" + data.Links.Unsubscribe + ">"},
			Header{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"},
		)
	}
	return m, nil
}

func with(t token.Token, purpose string) token.Token {
	t.Purpose = purpose
	return t
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// ResolveKind is the kind a request is sent as: the template's, unless
// the request names the same kind. A marketing template cannot go out as
// transactional mail (that would skip consent) and a transactional one has
// no unsubscribe link to go out as marketing.
func ResolveKind(r Request, t template.Template) (string, error) {
	if r.Kind == "" || r.Kind == t.Kind {
		return t.Kind, nil
	}
	return "", fmt.Errorf("send %s: template %s is %s mail and cannot be sent as %s", r.SendID, t.ID, t.Kind, r.Kind)
}
