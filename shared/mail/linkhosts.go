package mail

import (
	"errors"
	"strings"

	"github.com/leadflow/leadflow/shared/template"
)

// maxLinkHosts keeps the allow-list a list of the account's own sites,
// not a way around it.
const maxLinkHosts = 100

// checkLinkHost accepts a lower-case host name ("example.com") or a
// wildcard over the names below one ("*.example.com"). A wildcard must
// name at least two labels, so "*.com" cannot open every .com site.
func checkLinkHost(h string) error {
	name, wild := strings.CutPrefix(h, "*.")
	c, ok := template.CanonicalHost(name)
	switch {
	case !ok || strings.HasPrefix(name, "["):
		return errors.New("must be a host name such as example.com or *.example.com, without scheme, port or path")
	case c != name:
		return errors.New("must be written in lower case without a trailing dot")
	case wild && !strings.Contains(name, "."):
		return errors.New("a wildcard must cover a domain of at least two labels, such as *.example.com")
	}
	return nil
}

// LinkHostAllowed reports whether host (as template.CanonicalHost gives
// it) is on the link_hosts list.
func (s Settings) LinkHostAllowed(host string) bool {
	for _, h := range s.LinkHosts {
		if name, wild := strings.CutPrefix(h, "*."); wild {
			if strings.HasSuffix(host, "."+name) {
				return true
			}
		} else if host == h {
			return true
		}
	}
	return false
}
