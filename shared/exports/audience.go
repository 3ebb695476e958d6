// Package exports writes a segment's or a list's members to a file in the
// bucket, page by page on the jobs queue: CSV with chosen columns, or an ad
// audience (hashed emails and phones in the columns Google Ads Customer
// Match and Meta Custom Audiences read) of the members whose consent covers
// advertising. Plain Go: members, profiles and the bucket are ports.
package exports

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/imports"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Audience targets: whose upload format an audience file follows.
const (
	GoogleAds = "google_ads"
	Meta      = "meta"
)

// PurposeAdvertising is the consent purpose an audience needs.
const PurposeAdvertising = imports.PurposeAdvertising

// AudienceHeader is the header row of an audience file: Google's Customer
// Match template names its columns "Email" and "Phone"; Meta's customer
// list template "email" and "phone".
func AudienceHeader(target string) []string {
	if target == Meta {
		return []string{"email", "phone"}
	}
	return []string{"Email", "Phone"}
}

// HashEmail normalises an email as the target asks and returns the hex
// SHA-256 of it ("" for no valid address). Both trim and lower-case; Google
// also drops the dots before the @ of gmail.com and googlemail.com
// addresses (Customer Match's normalisation rules).
func HashEmail(target, email string) string {
	e := tracking.NormalizeEmail(email)
	if e == "" {
		return ""
	}
	if target != Meta {
		local, domain, _ := strings.Cut(e, "@")
		if domain == "gmail.com" || domain == "googlemail.com" {
			e = strings.ReplaceAll(local, ".", "") + "@" + domain
		}
	}
	return sha256Hex(e)
}

// HashPhone normalises a phone number to E.164 and returns the hex SHA-256
// the target asks for: Google hashes "+4930…", Meta the digits with the
// country code and no "+" ("4930…"). "" when the number is not in
// international form.
func HashPhone(target, phone string) string {
	p, ok := imports.NormalizePhone(phone)
	if !ok {
		return ""
	}
	if target == Meta {
		p = strings.TrimPrefix(p, "+")
	}
	return sha256Hex(p)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// AdvertisingConsent reports whether the contact may be in an ad audience:
// a consent record for advertising, and neither unsubscribed nor imported
// without consent.
func AdvertisingConsent(p *contact.Profile) bool {
	if p == nil || p.MergedInto != "" || p.Status == "unsubscribed" || p.Status == contact.StatusNoConsent {
		return false
	}
	return slices.ContainsFunc(p.Consents, func(c tracking.Consent) bool { return c.Purpose == PurposeAdvertising })
}

// AudienceRow is the contact's row of an audience file, or false when the
// contact has no advertising consent or nothing to match on.
func AudienceRow(target string, p *contact.Profile) ([]string, bool) {
	if !AdvertisingConsent(p) {
		return nil, false
	}
	email := HashEmail(target, p.Email)
	phone := ""
	if v, ok := p.Traits["phone"].(string); ok {
		phone = HashPhone(target, v)
	}
	if email == "" && phone == "" {
		return nil, false
	}
	return []string{email, phone}, true
}
