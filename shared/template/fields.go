package template

import (
	"sort"
	"strings"
)

// field is a value a template may read. The set is closed: a template that
// names anything else is rejected when it is saved, so a typo never turns
// into an empty spot in thousands of sent emails.
type field uint8

const (
	fNone field = iota
	fContactEmail
	fContactID
	fContactFirstSeen
	fContactStatus
	fContactTags
	fTrait
	fCompanyDomain
	fCompanyEmailType
	fLocationCountry
	fLocationRegion
	fLocationCity
	fSenderName
	fSenderAddress
	fUnsubscribeURL
	fPreferencesURL
	fViewInBrowserURL
	fConfirmURL
	fCampaignID
	fCampaignName
	fMessageSubject
)

var fields = map[string]field{
	"contact.email":       fContactEmail,
	"contact.id":          fContactID,
	"contact.first_seen":  fContactFirstSeen,
	"contact.status":      fContactStatus,
	"contact.tags":        fContactTags,
	"company.domain":      fCompanyDomain,
	"company.email_type":  fCompanyEmailType,
	"location.country":    fLocationCountry,
	"location.region":     fLocationRegion,
	"location.city":       fLocationCity,
	"sender.name":         fSenderName,
	"sender.address":      fSenderAddress,
	"unsubscribe_url":     fUnsubscribeURL,
	"preferences_url":     fPreferencesURL,
	"view_in_browser_url": fViewInBrowserURL,
	"confirm_url":         fConfirmURL,
	"campaign.id":         fCampaignID,
	"campaign.name":       fCampaignName,
	"message.subject":     fMessageSubject,
}

// resolveField maps a dotted path to a field. For traits, key holds the
// path below "traits". The message explains what is allowed instead.
func resolveField(segs []string) (f field, key []string, msg string) {
	path := strings.Join(segs, ".")
	if f, ok := fields[path]; ok {
		return f, nil, ""
	}
	root := segs[0]
	switch root {
	case "traits":
		if len(segs) == 1 {
			return fNone, nil, "traits needs a name: traits.first_name"
		}
		return fTrait, segs[1:], ""
	case "contact", "company", "location", "sender", "campaign", "message":
		hint := ""
		if root == "contact" {
			hint = "; other contact data is in traits, e.g. traits." + segs[len(segs)-1]
		}
		return fNone, nil, "unknown field " + path + " (" + root + " has " + strings.Join(children(root), ", ") + hint + ")"
	}
	if len(segs) == 1 {
		return fNone, nil, "unknown field " + path + " (did you mean traits." + path + "?)"
	}
	return fNone, nil, "unknown field " + path + " (fields start with contact, traits, company, location, sender, campaign, message, or are a link: unsubscribe_url, preferences_url, view_in_browser_url, confirm_url)"
}

func children(root string) []string {
	var out []string
	for k := range fields {
		if rest, ok := strings.CutPrefix(k, root+"."); ok {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}
