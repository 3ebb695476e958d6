package template

import (
	"slices"
	"time"
)

// Data is everything a template can read for one message. The sending
// pipeline fills it from the contact profile, the account's sender settings
// and the per-recipient signed links; this package does not import the
// contact package, so the contact side can depend on templates later
// without a cycle.
type Data struct {
	Contact  Contact
	Traits   map[string]any
	Company  Company
	Location Location
	Sender   Sender
	Links    Links
	Campaign Campaign
	// Now is the time "now" and "today" mean in the date filter; zero means
	// the time of rendering. Tests and previews pin it.
	Now time.Time
}

// Contact is the fixed part of a contact a template may show.
type Contact struct {
	ID        string
	Email     string
	Status    string
	FirstSeen time.Time
	Tags      []string
	// Timezone (IANA name) is where dates are shown; "" or unknown means UTC.
	Timezone string
}

// Company is what the email domain says about the contact's employer.
type Company struct {
	Domain    string
	EmailType string // "corporate" or "freemail"
}

// Location is the contact's last known location.
type Location struct {
	Country, Region, City string
}

// Sender is the organisation sending: its name and the postal address the
// footer of every marketing email must show.
type Sender struct {
	Name    string
	Address string
}

// Links are the per-recipient URLs the platform generates and signs.
type Links struct {
	Unsubscribe   string
	Preferences   string
	ViewInBrowser string
	// Confirm is the double opt-in confirmation link.
	Confirm string
}

// System reports whether url is one of the links click tracking must leave
// alone (unsubscribe, preferences, confirmation): a tracked unsubscribe link
// would count every opt-out as a click, put the tracking redirect between the
// contact and their opt-out, and let link scanners that follow redirects
// look like people.
func (l Links) System(url string) bool {
	return url != "" && (url == l.Unsubscribe || url == l.Preferences || url == l.Confirm)
}

func (l Links) system() []string {
	var out []string
	for _, u := range []string{l.Unsubscribe, l.Preferences, l.Confirm} {
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// Campaign names what the message belongs to.
type Campaign struct {
	ID, Name string
}

// Sample is a realistic contact for previews, used by
// POST /v1/templates/{id}/preview when no contact is given. Its links point
// at example.com so a preview never carries a live unsubscribe token.
func Sample() Data {
	return Data{
		Contact: Contact{
			ID:        "c_sample_0001",
			Email:     "alex.morgan@northwind.example",
			Status:    "subscribed",
			FirstSeen: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
			Tags:      []string{"webinar-2025", "pricing-visitor"},
			Timezone:  "Europe/Berlin",
		},
		Traits: map[string]any{
			"first_name": "Alex",
			"last_name":  "Morgan",
			"company":    "Northwind Analytics",
			"job_title":  "Head of Marketing",
			"plan":       "trial",
			"seats":      float64(12),
			"industry":   "Software",
		},
		Company:  Company{Domain: "northwind.example", EmailType: "corporate"},
		Location: Location{Country: "DE", Region: "Berlin", City: "Berlin"},
		Sender:   Sender{Name: "Leadflow", Address: "Leadflow Inc., 100 Example Street, Suite 200, Springfield, IL 62701, USA"},
		Links: Links{
			Unsubscribe:   "https://example.com/u/sample-unsubscribe-token",
			Preferences:   "https://example.com/v1/preferences/sample-token",
			ViewInBrowser: "https://example.com/v/sample-message",
			Confirm:       "https://example.com/confirm/sample-token",
		},
		Campaign: Campaign{ID: "cmp_sample", Name: "Sample campaign"},
		Now:      time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC),
	}
}
