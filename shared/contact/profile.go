// Package contact holds the contact profile and how tracking events change it.
// It is plain Go: storage is behind the Store port, implemented by adapters.
package contact

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sort"
	"time"

	"github.com/leadflow/leadflow/shared/enrich"
	"github.com/leadflow/leadflow/shared/interest"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Profile is the hot, small record of a contact. It is rewritten on every
// batch that touches the contact, so it holds aggregates only; events live in
// separate timeline items (see Store).
type Profile struct {
	ID      string `json:"id"`
	SiteKey string `json:"site_key,omitempty"`
	Email   string `json:"email,omitempty"`
	UserID  string `json:"user_id,omitempty"`
	// IdentifiedBy is the device (anonymous id) whose unverified call first
	// gave this contact an identity, while no verified call has backed one.
	// That device may complete the identity later (see Completes).
	IdentifiedBy string             `json:"identified_by,omitempty"`
	AnonymousIDs []string           `json:"anonymous_ids"`
	Traits       map[string]any     `json:"traits"`
	FirstSeen    time.Time          `json:"first_seen"`
	LastSeen     time.Time          `json:"last_seen"`
	PageViews    int                `json:"page_views"`
	EventCount   int                `json:"event_count"`
	LastPage     *Page              `json:"last_page,omitempty"`
	FirstTouch   *Touch             `json:"first_touch,omitempty"`
	LastTouch    *Touch             `json:"last_touch,omitempty"`
	Sessions     int                `json:"sessions"`
	Interests    map[string]int     `json:"interests,omitempty"`
	Company      *enrich.Company    `json:"company,omitempty"`
	Device       *enrich.Device     `json:"device,omitempty"`
	Location     *tracking.Location `json:"location,omitempty"`
	Timezone     string             `json:"timezone,omitempty"`
	// Status is the marketing subscription: "" (never asked), "pending"
	// (double opt-in not yet confirmed: no marketing), "subscribed",
	// "unsubscribed".
	Status string `json:"status,omitempty"`
	// Suppressed is why the contact's address is on Leadflow's suppression
	// list (bounce, complaint, soft_bounces), "" when it is not. The SES
	// events function suppresses the address and records the bounce or
	// complaint on the timeline with properties.suppressed; the processor
	// copies it here, so segments match status "suppressed" from the
	// profile without reading the suppression list. A new address clears it.
	Suppressed string             `json:"suppressed,omitempty"`
	Consents   []tracking.Consent `json:"consents,omitempty"`
	Tags       []string           `json:"tags,omitempty"`
	Lists      []string           `json:"lists,omitempty"`
	// TraitTimes records when each trait was last set explicitly, so a
	// merge of two contacts keeps the newer value of each trait.
	TraitTimes map[string]time.Time `json:"trait_times,omitempty"`
	// MergedInto is set on a contact that was merged into another; it is
	// then only a pointer. MergedIDs lists the contacts merged into this one,
	// whose timelines are read with its own.
	MergedInto string   `json:"merged_into,omitempty"`
	MergedIDs  []string `json:"merged_ids,omitempty"`
	// Score is the lead score state (fit, decaying engagement, per-rule
	// shares, caps); read it through a scoring.Engine at a given time.
	Score scoring.State `json:"score_state"`
	// Stage is the lifecycle stage; StageHistory every move, for funnel
	// conversion and velocity reports.
	Stage        scoring.Stage         `json:"stage,omitempty"`
	StageHistory []scoring.StageChange `json:"stage_history,omitempty"`
	// Owner and Team come from routing; RoutedID is the qualification
	// that assigned them, so a redelivered routing request changes nothing.
	Owner     string    `json:"owner,omitempty"`
	Team      string    `json:"team,omitempty"`
	RoutedID  string    `json:"routed_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Journeys holds the contact's active journey runs (and when each
	// journey last ended, for entry rules), kept small on the profile so
	// the processor evaluates triggers, awaited events and goals from the
	// profile it already read. Owned by shared/journeyrun.
	Journeys *journey.State `json:"journeys,omitempty"`
	// CampaignTouch is the contact's last human open or click of a
	// campaign mail: a later goal event within the campaign's window is
	// its conversion. Owned by shared/campaign (ConversionReactor).
	CampaignTouch *CampaignTouch `json:"campaign_touch,omitempty"`

	// Version guards optimistic concurrency: a write succeeds only if the
	// stored version is still the one that was read.
	Version int64 `json:"-"`
	// Applied is the de-duplication window: hashes of the most recent message
	// ids and event groups applied to this profile. A redelivered queue
	// message or a retried HTTP batch finds its hashes here and changes
	// nothing, at no extra write per event. See dedup.go for the rest.
	Applied []uint64 `json:"-"`
	// AppliedKeys[i] is the client's time of the event of Applied[i], in
	// Unix seconds (0 for a group, or a window stored before keys existed).
	AppliedKeys []uint32 `json:"-"`
	// AppliedHorizon is the latest AppliedKeys entry that has left the
	// window (0: none has): a message with a later time is new.
	AppliedHorizon uint32 `json:"-"`
	// LastCommit is the Commit.ID of the last profile write that stored
	// events in a timeline chunk; the chunks it wrote carry it.
	LastCommit uint64 `json:"-"`
	// Recent are the contact's newest timeline events when the store keeps
	// them in the profile's own item rather than in a chunk (the DynamoDB
	// adapter does while both fit in one write unit), with the score
	// changes they caused. They belong to the timeline like a chunk's
	// events and commit with the profile: every save writes them back, and
	// the store moves them to a chunk of their own when they stop fitting
	// (Store.CommitEvents). Not part of the profile's JSON.
	Recent       []tracking.Message `json:"-"`
	RecentScores []scoring.Change   `json:"-"`
	// UnsubscribedTopics are the subscription topics (definitions/topics.json)
	// the contact switched off in the preference centre or with a topic's
	// unsubscribe link, while staying subscribed to the others.
	UnsubscribedTopics []string `json:"unsubscribed_topics,omitempty"`
	// Segments are the segments the contact is in, kept by the segment
	// reactor (shared/membership) in the pass that changed the contact.
	Segments []string `json:"segments,omitempty"`
	// SegmentCounters are the windowed counts live segments need (events
	// by name or path prefix, email engagement) in day buckets, bounded
	// (segment.MaxCounterKeys); SegmentCheck is when the next time-based
	// re-evaluation is scheduled on the timer wheel (zero: none).
	SegmentCounters segment.Counters `json:"segment_counters,omitempty"`
	SegmentCheck    time.Time        `json:"segment_check,omitzero"`
}

// Page is the last page a contact viewed.
type Page struct {
	URL   string    `json:"url,omitempty"`
	Title string    `json:"title,omitempty"`
	Path  string    `json:"path,omitempty"`
	At    time.Time `json:"at"`
}

// Touch is a marketing touch: where a visit came from.
type Touch struct {
	Source   string    `json:"source"`
	Medium   string    `json:"medium"`
	Name     string    `json:"name,omitempty"`
	Term     string    `json:"term,omitempty"`
	Content  string    `json:"content,omitempty"`
	Referrer string    `json:"referrer,omitempty"`
	Landing  string    `json:"landing_page,omitempty"`
	At       time.Time `json:"at"`
}

// AppliedWindow is how many hashes a profile remembers. 32 x (8 + 4) bytes is
// what 48 bare hashes took, keeping the profile item at one write unit, and
// covers a client's retry of its last batches; older retries are found in
// the timeline (dedup.go).
const AppliedWindow = 32

// SessionGap is the inactivity that starts a new session, as in web analytics.
const SessionGap = 30 * time.Minute

// MaxConsents bounds the consent records kept on the hot profile item.
const MaxConsents = 20

// MaxAnonymousIDs bounds the ids kept on the profile; every id still has its
// own identity item, so lookups keep working beyond this.
const MaxAnonymousIDs = 20

// Apply folds messages into the profile and returns those that were new. The
// group hash covers the whole set, so an exact replay is skipped even when it
// is larger than the window.
func (p *Profile) Apply(msgs []tracking.Message, now time.Time) []tracking.Message {
	return p.ApplyWith(msgs, now, interest.Rules{})
}

// ApplyWith is Apply with interest rules. On its own it recognises only
// retries still in the window; the Processor also checks the timeline
// (ApplyChecked).
func (p *Profile) ApplyWith(msgs []tracking.Message, now time.Time, rules interest.Rules) []tracking.Message {
	return p.ApplyChecked(msgs, now, rules, nil)
}

// ApplyChecked is ApplyWith for a batch whose Doubtful messages were looked
// up in the timeline: seen holds the ids found applied before.
func (p *Profile) ApplyChecked(msgs []tracking.Message, now time.Time, rules interest.Rules, seen map[string]bool) []tracking.Message {
	group := GroupHash(msgs)
	if slices.Contains(p.Applied, group) {
		return nil
	}
	sorted := slices.Clone(msgs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Timestamp.Before(sorted[j].Timestamp) })

	batch := map[uint64]bool{}
	var fresh, remembered []tracking.Message
	for _, m := range sorted {
		h := Hash(m.MessageID)
		if batch[h] || slices.Contains(p.Applied, h) {
			continue
		}
		batch[h] = true
		// A late retry found in the timeline goes back into the window
		// too (when the batch has new events, so the profile is written).
		remembered = append(remembered, m)
		if seen[m.MessageID] {
			continue
		}
		fresh = append(fresh, m)
		p.applyOne(m, rules)
	}
	// Only now: a batch larger than the window must not push out entries
	// it is still checked against. The group hash goes last so it is the
	// last to fall out of the window.
	hashes, keys := make([]uint64, 0, len(remembered)+1), make([]uint32, 0, len(remembered)+1)
	for _, m := range remembered {
		hashes, keys = append(hashes, Hash(m.MessageID)), append(keys, rememberKey(m))
	}
	p.remember(append(hashes, group), append(keys, 0))
	if len(fresh) > 0 {
		p.UpdatedAt = now.UTC()
		if p.CreatedAt.IsZero() {
			p.CreatedAt = now.UTC()
		}
	}
	return fresh
}

func (p *Profile) applyOne(m tracking.Message, rules interest.Rules) {
	if timer.Fired(m) || (m.Type == tracking.TypeTrack && m.Event == segment.RecheckEvent) {
		// A fired timer (a journey's wait ending, its resume or date
		// trigger, a segment recheck) is Leadflow acting, not the contact:
		// last seen, sessions and counts stay as they are. Otherwise a
		// contact waiting in a journey would be "seen" at every wake, and
		// "not seen in 30 days" could never match someone on a nurture path.
		return
	}
	ts := m.Timestamp.UTC()
	// Anyone holding the public write key can send a known contact's email
	// or user id. Such a call still adds behaviour (counts, pages, interests,
	// scoring), attaches its device and fills traits not set yet, but it
	// never overwrites what the contact has: traits, identities, first seen
	// and first touch. A verified call (see tracking.Message.Verified) can.
	wasKnown := p.Known()
	guarded := !m.Verified && wasKnown && !p.Completes(m)
	p.EventCount++
	if p.LastSeen.IsZero() || ts.Sub(p.LastSeen) > SessionGap {
		p.Sessions++
	}
	earliest := p.FirstSeen.IsZero() || (ts.Before(p.FirstSeen) && !guarded)
	if earliest {
		p.FirstSeen = ts
	}
	latest := ts.After(p.LastSeen) || p.LastSeen.IsZero()
	if latest {
		p.LastSeen = ts
	}
	if m.AnonymousID != "" {
		p.AddAnonymousID(m.AnonymousID)
	}
	if m.UserID != "" && !guarded {
		p.UserID = m.UserID
	}
	if m.Type == tracking.TypePage || m.Type == tracking.TypeScreen {
		p.PageViews++
		if pg := m.Context.Page; pg != nil && (p.LastPage == nil || !ts.Before(p.LastPage.At)) {
			p.LastPage = &Page{URL: pg.URL, Title: firstNonEmpty(pg.Title, m.Name), Path: pg.Path, At: ts}
		}
	}
	if m.Type == tracking.TypeIdentify {
		if guarded {
			p.AddTraits(m.Traits, ts)
		} else {
			p.MergeTraits(m.Traits, ts)
		}
	}
	if email := NormalizeEmail(m.Email()); email != "" && !guarded && (m.Type == tracking.TypeIdentify || p.Email == "") {
		if email != p.Email {
			p.Suppressed = "" // the suppression was the old address's
		}
		p.Email = email
		p.Company = enrich.CompanyFromEmail(email)
	}
	switch {
	case m.Verified && (m.UserID != "" || m.Email() != ""):
		p.IdentifiedBy = "" // proof backs the identity now: no device may add to it
	case !wasKnown && p.Known() && !m.Verified:
		p.IdentifiedBy = m.AnonymousID
	}
	p.touch(m, ts, earliest)
	if latest {
		// A crawler or script does not replace a person's device.
		if d := enrich.ParseUserAgent(m.Context.UserAgent); d != nil && (d.Type != "bot" || p.Device == nil) {
			p.Device = d
		}
		if l := m.Context.Location; l != nil && *l != (tracking.Location{}) {
			p.Location = l
		}
		if m.Context.Timezone != "" {
			p.Timezone = m.Context.Timezone
		}
	}
	for _, name := range rules.Match(m) {
		if p.Interests == nil {
			p.Interests = map[string]int{}
		}
		p.Interests[name]++
	}
	if in := m.Context.Leadflow; in != nil {
		p.applyInternal(in)
	}
	// Only Leadflow's own producers address a contact by id (Parse never
	// sets ContactID), so no website can mark a contact suppressed.
	if m.Type == tracking.TypeTrack && m.ContactID != "" {
		if why, _ := m.Properties[PropSuppressed].(string); why != "" && p.Suppressed == "" {
			p.Suppressed = why
		}
	}
}

// PropSuppressed is the property of a bounce or complaint event that says
// its address was put on the suppression list, and why.
const PropSuppressed = "suppressed"

// applyInternal carries out a form fill's instructions. An explicit opt-in
// subscribes (or, with double opt-in, leaves pending until confirmed); a
// pending or subscribed contact is never downgraded by another form.
func (p *Profile) applyInternal(in *tracking.Internal) {
	p.Tags = union(p.Tags, in.Tags)
	p.Lists = union(p.Lists, in.Lists)
	consents := in.Consents
	if in.Consent != nil {
		consents = append([]tracking.Consent{*in.Consent}, consents...)
	}
	marketing := false
	for _, c := range consents {
		p.Consents = append(p.Consents, c)
		// A form's consent is to marketing whatever it calls its purpose;
		// an import says which purposes its basis covers.
		marketing = marketing || in.Import == "" || c.Purpose == "marketing"
	}
	if over := len(p.Consents) - MaxConsents; over > 0 {
		p.Consents = slices.Clone(p.Consents[over:])
	}
	switch {
	case !marketing:
		if in.Import != "" && p.Status == "" {
			p.Status = StatusNoConsent
		}
	case p.Status == "subscribed":
	case in.Import != "" && p.Status == "unsubscribed":
		// Only the person undoes their unsubscribe, never a file.
	case in.DoubleOptIn:
		p.Status = "pending"
	default:
		p.Status = "subscribed"
	}
}

// StatusNoConsent marks a contact brought by an import that carried no
// marketing consent for them: no marketing mail, whatever the sending
// settings' require_opt_in, until they subscribe themselves.
const StatusNoConsent = "no_consent"

func union(have, add []string) []string {
	for _, x := range add {
		if x != "" && !slices.Contains(have, x) {
			have = append(have, x)
		}
	}
	return have
}

// touch keeps first-touch as the earliest event's source (direct when it had
// none) and last-touch as the latest non-direct source, the way analytics
// tools attribute: a later direct visit does not erase a campaign.
func (p *Profile) touch(m tracking.Message, ts time.Time, earliest bool) {
	t := touchOf(m, ts)
	if earliest {
		if t == nil {
			t = &Touch{Source: "(direct)", Medium: "(none)", At: ts}
			if m.Context.Page != nil {
				t.Landing = m.Context.Page.URL
			}
		}
		p.FirstTouch = t
	}
	if t := touchOf(m, ts); t != nil && (p.LastTouch == nil || !ts.Before(p.LastTouch.At)) {
		p.LastTouch = t
	}
	if p.LastTouch == nil && p.FirstTouch != nil {
		p.LastTouch = p.FirstTouch
	}
}

func touchOf(m tracking.Message, ts time.Time) *Touch {
	var landing, referrer string
	if m.Context.Page != nil {
		landing, referrer = m.Context.Page.URL, m.Context.Page.Referrer
	}
	if c := m.Context.Campaign; !c.Empty() {
		return &Touch{Source: c.Source, Medium: c.Medium, Name: c.Name, Term: c.Term, Content: c.Content,
			Referrer: referrer, Landing: landing, At: ts}
	}
	if host := tracking.ReferrerHost(m.Context.Page); host != "" {
		return &Touch{Source: host, Medium: "referral", Referrer: referrer, Landing: landing, At: ts}
	}
	return nil
}

// MergeTraits sets traits from an identify call made at ts: a value older
// than the one held is ignored (events can arrive out of order), and a null
// removes a trait.
func (p *Profile) MergeTraits(traits map[string]any, ts time.Time) {
	if len(traits) == 0 {
		return
	}
	if p.Traits == nil {
		p.Traits = map[string]any{}
	}
	if p.TraitTimes == nil {
		p.TraitTimes = map[string]time.Time{}
	}
	for k, v := range traits {
		if held, ok := p.TraitTimes[k]; ok && ts.Before(held) {
			continue
		}
		p.TraitTimes[k] = ts
		if v == nil {
			delete(p.Traits, k)
			continue
		}
		p.Traits[k] = v
	}
}

// Completes reports whether unverified message m may identify this known
// contact as fully as a verified one: it comes from the device that
// identified the contact without proof, and it brings an email or user id the
// contact lacks. A browser queues a call that failed and, when it retries,
// stamps it with the user id its later identify set; the retry can arrive
// before that identify, and the email the identify brings must still join.
// Whoever holds that device is the person who identified the contact, so
// this gives nothing away; anyone else needs proof (a user hash).
func (p *Profile) Completes(m tracking.Message) bool {
	if m.Verified || p.IdentifiedBy == "" || m.AnonymousID != p.IdentifiedBy {
		return false
	}
	return (m.UserID != "" && p.UserID == "") || (NormalizeEmail(m.Email()) != "" && p.Email == "")
}

// AddTraits sets only the traits the contact never had: the most an
// unverified call may do to a known contact. A trait once set (even if later
// removed with a null) is the contact's; a null here removes nothing. The
// email trait is an identity, not a fact to fill in: it is never added here,
// so traits.email cannot name someone other than the contact's address.
func (p *Profile) AddTraits(traits map[string]any, ts time.Time) {
	for k, v := range traits {
		if v == nil || k == "email" {
			continue
		}
		if _, set := p.TraitTimes[k]; set {
			continue
		}
		if _, set := p.Traits[k]; set {
			continue
		}
		if p.Traits == nil {
			p.Traits = map[string]any{}
		}
		if p.TraitTimes == nil {
			p.TraitTimes = map[string]time.Time{}
		}
		p.Traits[k] = v
		p.TraitTimes[k] = ts
	}
}

// AddAnonymousID records an anonymous id, keeping the most recent ones.
func (p *Profile) AddAnonymousID(id string) {
	if slices.Contains(p.AnonymousIDs, id) {
		return
	}
	p.AnonymousIDs = append(p.AnonymousIDs, id)
	if over := len(p.AnonymousIDs) - MaxAnonymousIDs; over > 0 {
		p.AnonymousIDs = slices.Clone(p.AnonymousIDs[over:])
	}
}

// NormalizeEmail lower-cases and trims an address; "" if it is not one.
func NormalizeEmail(s string) string { return tracking.NormalizeEmail(s) }

// Hash is the 64-bit FNV-1a hash used in the de-duplication window.
func Hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// GroupHash identifies a set of messages independent of order.
func GroupHash(msgs []tracking.Message) uint64 {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.MessageID
	}
	sort.Strings(ids)
	h := fnv.New64a()
	var buf [8]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(id)))
		h.Write(buf[:])
		h.Write([]byte(id))
	}
	return h.Sum64() ^ 0x9e3779b97f4a7c15 // distinct from a single message's Hash
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// Facts are the profile fields scoring and routing read.
func (p *Profile) Facts() scoring.Facts {
	return scoring.Facts{
		Email: p.Email, Status: p.Status, Traits: p.Traits, Company: p.Company, Location: p.Location,
		Tags: p.Tags, Lists: p.Lists, Interests: p.Interests, PageViews: p.PageViews, Sessions: p.Sessions,
	}
}

// MaxStageHistory bounds the stage moves kept on the profile; a contact
// moves through a handful of stages in its life.
const MaxStageHistory = 50

// RecordStage applies a stage change and keeps it in the history.
func (p *Profile) RecordStage(c scoring.StageChange) {
	p.Stage = c.To
	p.StageHistory = append(p.StageHistory, c)
	if over := len(p.StageHistory) - MaxStageHistory; over > 0 {
		p.StageHistory = slices.Clone(p.StageHistory[over:])
	}
}
