// Package engagement turns email opens, clicks and opt-outs into timeline
// events, and tells the fetches people make from those machines make:
// mail privacy proxies that load every image on delivery, and security
// scanners that follow every link before the mail reaches the inbox. A
// machine open or click is still recorded (reports show them apart) but is
// flagged with properties.machine, so scoring and reporting can leave it out.
package engagement

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// Timeline event names, as in Segment's email spec (the scoring rules in
// definitions/scoring.json match these).
const (
	EventOpened       = "Email Opened"
	EventClicked      = "Email Link Clicked"
	EventUnsubscribed = "Unsubscribed"
	EventPreferences  = "Email Preferences Updated"
	EventConfirmed    = "Subscription Confirmed"
)

// Kinds of fetch.
const (
	Open  = "open"
	Click = "click"
)

// Fetch is one request for an open pixel or a tracked link.
type Fetch struct {
	Kind      string
	UserAgent string
	// IP is the full client address: used to classify, never stored.
	IP string
	At time.Time
	// SentAt is when the message left (zero when unknown).
	SentAt time.Time
}

// Verdict is what Classify concluded.
type Verdict struct {
	Machine bool
	// Reason names the rule that flagged a machine (see Classify).
	Reason string
	// Proxy is the mailbox provider whose image proxy fetched on the
	// reader's behalf ("gmail", "apple", "yahoo"), when recognised.
	Proxy string
}

// PrefetchWindow is how soon after sending a fetch is taken for a machine.
// Link scanners (Microsoft Defender, Mimecast, Proofpoint, Barracuda) follow
// every link while the mail is being delivered, and some providers prefetch
// images then; a person needs longer to get the notification, open the mail
// and read it. Twenty seconds flags the scanners seen in practice while
// missing very few people.
const PrefetchWindow = 20 * time.Second

// appleMail is Apple's 17.0.0.0/8 network. Mail Privacy Protection loads
// every remote image through Apple's proxies in it (with a bare
// "Mozilla/5.0" user agent) when the mail arrives, whether or not it is
// ever read, so an open from it says nothing about the person.
var appleMail = netip.MustParsePrefix("17.0.0.0/8")

// scannerAgents are user agent fragments (lower case) of link scanners,
// crawlers, previewers and HTTP libraries: nobody reads mail with them.
var scannerAgents = []string{
	"bot", "crawler", "spider", "scanner", "preview", "headless", "phantomjs", "slurp",
	"barracuda", "mimecast", "proofpoint", "symantec", "messagelabs", "trendmicro", "fireeye",
	"forcepoint", "sophos", "zscaler", "cisco", "ironport", "checkpoint", "fortinet", "vade",
	"python-", "python/", "curl/", "wget/", "go-http-client", "java/", "okhttp", "libwww", "httpclient",
	"axios/", "node-fetch", "undici", "postmanruntime", "microsoft office existence discovery",
}

// Classify decides whether a fetch came from a machine. The rules, in order:
//
//   - no user agent: browsers and mail clients always send one;
//   - a scanner, crawler or HTTP library user agent (scannerAgents);
//   - Apple Mail Privacy Protection: an address in Apple's 17.0.0.0/8, or
//     the bare "Mozilla/5.0" user agent its proxy sends;
//   - too soon: within PrefetchWindow of sending (scanners and prefetch).
//
// Gmail's and Yahoo's image proxies fetch when the reader opens the mail,
// so their opens count as human unless they come too soon.
func Classify(f Fetch) Verdict {
	ua := strings.ToLower(strings.TrimSpace(f.UserAgent))
	var v Verdict
	switch {
	case strings.Contains(ua, "googleimageproxy"):
		v.Proxy = "gmail"
	case strings.Contains(ua, "yahoomailproxy"):
		v.Proxy = "yahoo"
	}
	ip, _ := netip.ParseAddr(strings.TrimSpace(f.IP))
	switch {
	case ua == "":
		v.Machine, v.Reason = true, "no-user-agent"
	case v.Proxy == "" && containsAny(ua, scannerAgents):
		v.Machine, v.Reason = true, "scanner-user-agent"
	case ip.IsValid() && appleMail.Contains(ip.Unmap()), ua == "mozilla/5.0":
		v.Machine, v.Reason, v.Proxy = true, "apple-privacy-proxy", "apple"
	case !f.SentAt.IsZero() && f.At.Sub(f.SentAt) < PrefetchWindow:
		v.Machine, v.Reason = true, "too-soon-after-send"
	}
	return v
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// Target is who and what an event is about: the contact, and the send it
// came from ("" for links not tied to one).
type Target struct {
	ContactID string
	SendID    string
	// Campaign and Journey attribute the event when known (SES events
	// carry them in tags; links carry only the send id).
	Campaign, Journey string
	// Template is the template the message was rendered from (SES's tag,
	// or the link's token), so segments can ask "opened or clicked this
	// template" from the contact's counters.
	Template string
}

// id is a deterministic message id: the same act always gets the same id,
// so the processor's de-duplication drops a repeat.
func id(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:12])
}

func base(t Target, event, messageID string, at time.Time) tracking.Message {
	props := map[string]any{}
	if t.SendID != "" {
		props["send_id"] = t.SendID
	}
	if t.Campaign != "" {
		props["campaign_id"] = t.Campaign
	}
	if t.Journey != "" {
		props["journey_id"] = t.Journey
	}
	if t.Template != "" {
		props["template_id"] = t.Template
	}
	at = at.UTC()
	return tracking.Message{
		Type: tracking.TypeTrack, MessageID: messageID, Event: event, ContactID: t.ContactID,
		Properties: props, Timestamp: at, ReceivedAt: at,
	}
}

func flag(m tracking.Message, v Verdict) tracking.Message {
	m.Properties["machine"] = v.Machine
	if v.Reason != "" {
		m.Properties["machine_reason"] = v.Reason
	}
	if v.Proxy != "" {
		m.Properties["proxy"] = v.Proxy
	}
	return m
}

func kind(v Verdict) string {
	if v.Machine {
		return "machine"
	}
	return "human"
}

// Opened is an open. Its id is one per send and per human/machine, so the
// timeline and scoring see the first human open of each send (unique
// opens, the figure that means something since privacy proxies and image
// re-loads made total opens noise) and, apart, the first machine open.
// The pixel and SES's own open event for the same send share the id.
func Opened(t Target, v Verdict, at time.Time) tracking.Message {
	return flag(base(t, EventOpened, id("eo-", t.ContactID, t.SendID, kind(v)), at), v)
}

// Clicked is a click: one per send, link and human/machine (unique clicks
// per link).
func Clicked(t Target, link string, v Verdict, at time.Time) tracking.Message {
	m := flag(base(t, EventClicked, id("ec-", t.ContactID, t.SendID, link, kind(v)), at), v)
	m.Properties["url"] = link
	return m
}

// Unsubscribed is an opt-out from all marketing (topic "") or one topic;
// how says where ("one-click", "preference-centre", "complaint"). The id
// is one per send and topic, so a repeated click records nothing new.
func Unsubscribed(t Target, topic, how string, at time.Time) tracking.Message {
	m := base(t, EventUnsubscribed, id("eu-", t.ContactID, t.SendID, topic, how), at)
	if topic != "" {
		m.Properties["topic"] = topic
	}
	m.Properties["method"] = how
	return m
}

// PreferencesUpdated records topics switched in the preference centre.
// version is the profile version the change was made on, so each saved
// change has its own id and a repeated POST of the same form none.
func PreferencesUpdated(t Target, on, off []string, version int64, at time.Time) tracking.Message {
	m := base(t, EventPreferences, id("ep-", t.ContactID, fmt.Sprint(version), strings.Join(on, ","), strings.Join(off, ",")), at)
	m.Properties["topics_on"] = nonNil(on)
	m.Properties["topics_off"] = nonNil(off)
	return m
}

// Confirmed is a double opt-in confirmation: one per confirmation mail.
func Confirmed(t Target, at time.Time) tracking.Message {
	return base(t, EventConfirmed, id("ed-", t.ContactID, t.SendID), at)
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// Other is an email event of another kind (a bounce, a complaint). Its id
// derives from parts, which must identify the occurrence (SES's feedback
// id), so a redelivered notification records nothing new.
func Other(t Target, event string, at time.Time, parts ...string) tracking.Message {
	return base(t, event, id("ex-", append([]string{t.ContactID, event}, parts...)...), at)
}
