// Package enrich derives profile facts from what a request carries: the
// device from the user agent, and the company domain from an email address.
package enrich

import "strings"

// Device is a coarse description of a visitor's device.
type Device struct {
	Type    string `json:"type"` // desktop, mobile, tablet, bot
	OS      string `json:"os,omitempty"`
	Browser string `json:"browser,omitempty"`
}

// ParseUserAgent classifies a user agent string. It is deliberately coarse:
// marketers segment by device type, OS and browser family, not version.
func ParseUserAgent(ua string) *Device {
	if ua == "" {
		return nil
	}
	l := strings.ToLower(ua)
	d := &Device{Type: "desktop"}
	switch {
	case containsAny(l, "bot", "crawler", "spider", "headlesschrome", "curl/", "python-requests", "go-http-client"):
		d.Type = "bot"
	case containsAny(l, "ipad", "tablet") || (strings.Contains(l, "android") && !strings.Contains(l, "mobile")):
		d.Type = "tablet"
	case containsAny(l, "mobi", "iphone", "ipod"):
		d.Type = "mobile"
	}
	switch {
	case containsAny(l, "iphone", "ipad", "ipod"):
		d.OS = "iOS"
	case strings.Contains(l, "android"):
		d.OS = "Android"
	case strings.Contains(l, "windows"):
		d.OS = "Windows"
	case strings.Contains(l, "cros"):
		d.OS = "ChromeOS"
	case containsAny(l, "mac os x", "macintosh"):
		d.OS = "macOS"
	case strings.Contains(l, "linux"):
		d.OS = "Linux"
	}
	switch {
	case strings.Contains(l, "edg/"):
		d.Browser = "Edge"
	case containsAny(l, "opr/", "opera"):
		d.Browser = "Opera"
	case strings.Contains(l, "firefox/") || strings.Contains(l, "fxios/"):
		d.Browser = "Firefox"
	case strings.Contains(l, "chrome/") || strings.Contains(l, "crios/"):
		d.Browser = "Chrome"
	case strings.Contains(l, "safari/"):
		d.Browser = "Safari"
	}
	return d
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// Company is what an email address says about its owner's employer.
type Company struct {
	Domain string `json:"domain"`
	// EmailType is "corporate" or "freemail"; scoring uses it for fit.
	EmailType string `json:"email_type"`
}

var freemail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "yahoo.co.uk": true, "yahoo.fr": true,
	"hotmail.com": true, "hotmail.co.uk": true, "outlook.com": true, "live.com": true, "msn.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true, "aol.com": true, "proton.me": true,
	"protonmail.com": true, "gmx.com": true, "gmx.de": true, "gmx.net": true, "web.de": true,
	"mail.ru": true, "yandex.ru": true, "yandex.com": true, "qq.com": true, "163.com": true,
	"126.com": true, "zoho.com": true, "mail.com": true, "fastmail.com": true, "hey.com": true,
	"tutanota.com": true, "pm.me": true, "orange.fr": true, "free.fr": true, "t-online.de": true,
}

// CompanyFromEmail returns the company domain of a normalised address.
func CompanyFromEmail(email string) *Company {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 {
		return nil
	}
	domain := strings.ToLower(email[at+1:])
	if freemail[domain] {
		return &Company{Domain: domain, EmailType: "freemail"}
	}
	return &Company{Domain: domain, EmailType: "corporate"}
}
