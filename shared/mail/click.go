package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/token"
)

// ErrClickRefused is returned for a signed click link whose destination
// may not be redirected to.
var ErrClickRefused = errors.New("click destination not allowed")

// CompiledTemplates finds the template in effect for an id (Templates).
type CompiledTemplates interface {
	Compiled(ctx context.Context, id string) (*template.Compiled, error)
}

// SendRecords finds a send's record, for links signed without a template id.
type SendRecords interface {
	GetSend(ctx context.Context, sendID string) (SendState, error)
}

// ClickGuard re-checks a click link's destination when it is followed. The
// signature proves Leadflow made the link, not that its URL came from the
// template: a template saved before the compiler refused URLs from contact
// data, or a bug between rendering and signing, could have signed an
// address a browser chose. So the redirect goes only to
//   - Leadflow's own host,
//   - a host on the sending settings' link_hosts, or
//   - a host the link's template is written with (template.Compiled.LinkHosts),
//     the template named in the link or, for older links, in the send's record.
//
// Anything else is refused: the links function answers a page, never a
// redirect, so it cannot serve as an open redirect from the sender's domain.
type ClickGuard struct {
	// OwnHost is the public API's host.
	OwnHost string
	// Settings holds link_hosts.
	Settings Settings
	// Templates and Sends may be nil: only OwnHost and link_hosts are
	// allowed then.
	Templates CompiledTemplates
	Sends     SendRecords
}

// Destination returns where a verified click token may redirect. It wraps
// ErrClickRefused when the answer is no; any other error is a failure to
// find out (a store read), worth a retry.
func (g ClickGuard) Destination(ctx context.Context, tok token.Token) (string, error) {
	host, ok := redirectHost(tok.URL)
	if !ok {
		return "", fmt.Errorf("%w: not an absolute http(s) URL with a plain host name", ErrClickRefused)
	}
	if own, _ := template.CanonicalHost(g.OwnHost); host == own || g.Settings.LinkHostAllowed(host) {
		return tok.URL, nil
	}
	id := tok.TemplateID
	if id == "" && tok.SendID != "" && g.Sends != nil {
		rec, err := g.Sends.GetSend(ctx, tok.SendID)
		switch {
		case errors.Is(err, ErrSendNotFound):
			// Past the records' retention: nothing left says which
			// template it came from.
		case err != nil:
			return "", fmt.Errorf("find the template of send %s: %w", tok.SendID, err)
		default:
			id = rec.TemplateID
		}
	}
	if id == "" || g.Templates == nil {
		return "", fmt.Errorf("%w: host %s is not on link_hosts and the link names no template", ErrClickRefused, host)
	}
	c, err := g.Templates.Compiled(ctx, id)
	switch {
	case errors.Is(err, ErrTemplateNotFound) || errors.Is(err, template.ErrInvalid):
		// Deleted, or saved before the compiler refused it.
		return "", fmt.Errorf("%w: host %s: template %s: %v", ErrClickRefused, host, id, err)
	case err != nil:
		return "", fmt.Errorf("check click destination: %w", err)
	case !c.LinksTo(host):
		return "", fmt.Errorf("%w: host %s is neither on link_hosts nor in template %s", ErrClickRefused, host, id)
	}
	return tok.URL, nil
}

// redirectHost is the host of an absolute http(s) URL. url.Parse refuses
// control characters, so a URL it accepts is safe in a Location header;
// CanonicalHost refuses host names a browser might read differently (Go
// keeps everything up to the first / as the host, so a \ there, which a
// browser would read as /, makes the host invalid).
func redirectHost(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" || (!strings.EqualFold(u.Scheme, "https") && !strings.EqualFold(u.Scheme, "http")) {
		return "", false
	}
	return template.CanonicalHost(u.Hostname())
}
