package tracking

import (
	"net/url"
	"strings"
)

// CampaignFromURL reads utm_* parameters from a page URL, for clients that
// send the page but not context.campaign. It returns nil when there are none.
func CampaignFromURL(raw string) *Campaign {
	// Most page URLs carry no utm_ parameter, and parsing one is a tenth of
	// a message's reading. With neither "utm_" nor an escape that could
	// spell it, no query key can be one.
	if raw == "" || !strings.Contains(raw, "utm_") && !strings.Contains(raw, "%") {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	q := u.Query()
	c := &Campaign{
		Source:  q.Get("utm_source"),
		Medium:  q.Get("utm_medium"),
		Name:    q.Get("utm_campaign"),
		Term:    q.Get("utm_term"),
		Content: q.Get("utm_content"),
	}
	if c.Empty() {
		return nil
	}
	return c
}

// ReferrerHost is the host of an external referrer, "" for none or for the
// page's own host (internal navigation is not a touch).
func ReferrerHost(page *Page) string {
	if page == nil || page.Referrer == "" {
		return ""
	}
	ref, err := url.Parse(page.Referrer)
	if err != nil || ref.Host == "" {
		return ""
	}
	if cur, err := url.Parse(page.URL); err == nil && strings.EqualFold(cur.Host, ref.Host) {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(ref.Host, "www."))
}
