// Package linksfn is the Lambda handler of the public links in email: the
// open pixel, click redirects, one-click unsubscribe, the preference centre
// and double opt-in confirmation. Every link carries a signed token
// (shared/token) naming its purpose and contact; there is no login and no
// cookie, so the token is the only credential.
//
// Opens, clicks and opt-outs become timeline events through the events
// queue (the processor scores them like any event). Opt-outs and
// confirmations are also written to the profile at once, under optimistic
// locking: the law and the mailbox providers want an unsubscribe to take
// effect immediately, not when a queue drains.
package linksfn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/token"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Config is read from the environment once, at cold start.
type Config struct {
	Table          string
	EventsQueueURL string
	// Secrets verify link tokens (newest first); the first signs the links
	// the pages themselves show.
	Secrets []string
	// PublicBaseURL is the API's public URL, for links on the pages.
	PublicBaseURL string
	// Topics gives the repo's subscription topics and Sending the repo's
	// sending settings (link_hosts): the fallbacks when the definition
	// store cannot be read. Each is decoded and checked on its first call
	// and kept, not at the cold start (~1.2 ms of it for both); CI and the
	// stack's synth refuse a broken file, and should one get through, the
	// error is logged with the reason where the fallback is needed.
	Topics  func() ([]preference.Topic, error)
	Sending func() (mail.Settings, error)
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Table:          getenv(catalog.EnvTableName),
		EventsQueueURL: getenv(catalog.QueueURLEnv(catalog.EventsQueue)),
		Secrets:        token.ParseSecrets(getenv(catalog.EnvSigningSecrets)),
		PublicBaseURL:  strings.TrimRight(getenv(catalog.EnvPublicBaseURL), "/"),
	}
	if c.Table == "" || c.EventsQueueURL == "" {
		return c, fmt.Errorf("links: %s and %s must be set", catalog.EnvTableName, catalog.QueueURLEnv(catalog.EventsQueue))
	}
	if _, err := token.NewSigner(c.Secrets...); err != nil {
		return c, fmt.Errorf("links: %s: %w", catalog.EnvSigningSecrets, err)
	}
	if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("links: %s must be the API's http(s) URL, got %q", catalog.EnvPublicBaseURL, c.PublicBaseURL)
	}
	c.Topics = definitions.OnFirstUse("links: the repo's topics (definitions/topics.json)", definitions.Topics)
	c.Sending = definitions.OnFirstUse("links: the repo's sending settings (definitions/sending.json)", definitions.Sending)
	return c, nil
}

// Store is the contact storage the pages read and write.
type Store = preference.Store

// SendClock says when a send left, for the too-soon-after-send rule of
// machine detection; zero when unknown.
type SendClock interface {
	SentAt(ctx context.Context, sendID string) (time.Time, error)
}

// sendTimes reads send times from the send records.
type sendTimes struct{ st *dynamo.Store }

// SentAt implements SendClock. A send with no record (a test send, or one
// older than the records' TTL) has no time, and the timing rule is skipped.
func (s sendTimes) SentAt(ctx context.Context, sendID string) (time.Time, error) {
	rec, err := s.st.GetSend(ctx, sendID)
	if errors.Is(err, mail.ErrSendNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if rec.SentAt.IsZero() {
		// Claimed just before the SES call: close enough for a window of
		// seconds.
		return rec.ClaimedAt, nil
	}
	return rec.SentAt, nil
}

// Deps are the handler's collaborators.
type Deps struct {
	Store Store
	// Sends may be nil: machine detection then goes without timing.
	Sends   SendClock
	Events  engagement.Queue
	Signer  *token.Signer
	BaseURL string
	// Topics gives the repo's topics (nil: none); TopicSource, when set,
	// gives the ones in force (an admin override, cached for a minute),
	// falling back to Topics when the store cannot be read.
	Topics      func() ([]preference.Topic, error)
	TopicSource func(context.Context) ([]preference.Topic, error)
	// Clicks re-checks where a click link may redirect; its OwnHost
	// defaults to BaseURL's host. SendingSource, when set, gives the
	// sending settings in force (link_hosts) for each click; when it
	// cannot, Sending, when set, gives the repo's in place of
	// Clicks.Settings.
	Clicks        mail.ClickGuard
	SendingSource func(context.Context) (mail.Settings, error)
	Sending       func() (mail.Settings, error)
	// Now may be nil (time.Now).
	Now func() time.Time
	// Engagements and Counters, when set, count a campaign send's first
	// open and click (human and machine apart) in its results.
	Engagements campaign.Engagements
	Counters    campaign.Counters
	// CampaignSends, when set, counts a campaign send's unsubscribe and
	// each link's unique human clicks in its results.
	CampaignSends campaign.SendCounter
}

// Handler serves the links.
type Handler struct {
	d   Deps
	log *slog.Logger
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	signer, _ := token.NewSigner(cfg.Secrets...) // checked by ConfigFromEnv
	reg := definitions.Reader(store)             // kinds read and checked on first use
	return NewWith(Deps{
		Store:         store,
		Sends:         sendTimes{store},
		Engagements:   store,
		Counters:      store,
		CampaignSends: store,
		Events:        sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.EventsQueueURL),
		Signer:        signer,
		BaseURL:       cfg.PublicBaseURL,
		Topics:        cfg.Topics,
		TopicSource:   definitions.TopicCache(reg).Default,
		SendingSource: definitions.SendingCache(reg).Default,
		Sending:       cfg.Sending,
		Clicks: mail.ClickGuard{
			// Through the definition cache, as the sender: a click costs a
			// template read at most once a minute per template.
			Templates: definitions.CompiledTemplates(reg),
			Sends:     store,
		},
	}, log)
}

// NewWith builds a handler from its collaborators (tests).
func NewWith(d Deps, log *slog.Logger) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	if u, err := url.Parse(d.BaseURL); err == nil && d.Clicks.OwnHost == "" {
		d.Clicks.OwnHost = u.Hostname()
	}
	return &Handler{d: d, log: log}
}

// Handle serves one request. It never returns an error: every failure has
// its own answer (a pixel, a page), and a Lambda error would show the
// person API Gateway's bare 500.
func (h *Handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	now := h.d.Now().UTC()
	raw := req.PathParameters["token"]
	switch req.RouteKey {
	case "GET /v1/t/o/{token}":
		return h.open(ctx, req, raw, now), nil
	case "GET /v1/t/c/{token}":
		return h.click(ctx, req, raw, now), nil
	case "GET /v1/unsubscribe/{token}":
		return h.unsubscribePage(ctx, raw, now), nil
	case "POST /v1/unsubscribe/{token}":
		return h.unsubscribe(ctx, req, raw, now), nil
	case "GET /v1/preferences/{token}":
		return h.preferences(ctx, raw, now), nil
	case "POST /v1/preferences/{token}":
		return h.savePreferences(ctx, req, raw, now), nil
	case "GET /v1/confirm/{token}":
		return h.confirmPage(raw, now), nil
	case "POST /v1/confirm/{token}":
		return h.confirm(ctx, req, raw, now), nil
	}
	return httpapi.Fail(http.StatusNotFound, "not_found", "no route "+req.RouteKey, nil), nil
}

// pixel is a 1x1 transparent GIF.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// open answers the pixel whatever happens: a broken image in someone's
// mail helps nobody, and a different answer for a bad token would let a
// forger probe. Only a verified token is recorded.
func (h *Handler) open(ctx context.Context, req httpapi.Request, raw string, now time.Time) httpapi.Response {
	if tok, err := h.d.Signer.Verify(token.Open, raw, now); err == nil {
		v := h.classify(ctx, engagement.Open, tok, req, now)
		h.record(ctx, req, engagement.Opened(target(tok), v, now))
		h.countCampaign(ctx, tok, "open", v.Machine, now)
	}
	return httpapi.Response{
		StatusCode: http.StatusOK,
		Headers: map[string]string{
			"Content-Type": "image/gif",
			// Every open must reach us: no browser or proxy cache.
			"Cache-Control": "no-store, no-cache, must-revalidate, max-age=0, private",
			"Pragma":        "no-cache",
			"Expires":       "0",
		},
		Body:            base64.StdEncoding.EncodeToString(pixel),
		IsBase64Encoded: true,
	}
}

// click redirects only to the URL its token was signed for, and only when
// that URL is http(s) to a host the link's template is written with, one
// on link_hosts or Leadflow's own (mail.ClickGuard): an unsigned or
// altered link gets a 400 page and a signed one to any other host a 403
// page, never a redirect, so the endpoint cannot serve as an open redirect
// for phishing, whatever a template stored before the save-time checks
// put in its links.
func (h *Handler) click(ctx context.Context, req httpapi.Request, raw string, now time.Time) httpapi.Response {
	tok, err := h.d.Signer.Verify(token.Click, raw, now)
	if err != nil {
		return brokenLink()
	}
	dest, err := h.clicks(ctx).Destination(ctx, tok)
	if errors.Is(err, mail.ErrClickRefused) {
		h.log.WarnContext(ctx, "signed click link to a destination not allowed", "contact_id", tok.ContactID, "send_id", tok.SendID, "template_id", tok.TemplateID, "error", err)
		return refusedLink()
	}
	if err != nil {
		h.log.ErrorContext(ctx, "check click destination", "contact_id", tok.ContactID, "send_id", tok.SendID, "error", err)
		return unavailable()
	}
	v := h.classify(ctx, engagement.Click, tok, req, now)
	h.record(ctx, req, engagement.Clicked(target(tok), dest, v, now))
	h.countCampaign(ctx, tok, "click", v.Machine, now)
	if !v.Machine {
		h.countCampaignSend(ctx, tok, func(sc campaign.SendCounter) (bool, error) {
			return campaign.CountLinkClick(ctx, sc, tok.SendID, dest)
		})
	}
	return httpapi.Response{
		StatusCode: http.StatusFound,
		Headers:    map[string]string{"Location": dest, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
	}
}

func (h *Handler) classify(ctx context.Context, kind string, tok token.Token, req httpapi.Request, now time.Time) engagement.Verdict {
	f := engagement.Fetch{Kind: kind, UserAgent: userAgent(req), IP: req.RequestContext.HTTP.SourceIP, At: now}
	if h.d.Sends != nil && tok.SendID != "" {
		at, err := h.d.Sends.SentAt(ctx, tok.SendID)
		if err != nil {
			// Classify without timing rather than lose the event.
			h.log.WarnContext(ctx, "read send time", "send_id", tok.SendID, "error", err)
		}
		f.SentAt = at
	}
	return engagement.Classify(f)
}

// countCampaign adds a campaign send's first open or click to its
// results; like record, a failure is logged, not returned.
func (h *Handler) countCampaign(ctx context.Context, tok token.Token, kind string, machine bool, now time.Time) {
	if h.d.Engagements == nil || h.d.Counters == nil || tok.SendID == "" {
		return
	}
	if err := campaign.CountEngagement(ctx, h.d.Engagements, h.d.Counters, tok.SendID, kind, machine, now); err != nil {
		h.log.WarnContext(ctx, "campaign engagement counter", "send_id", tok.SendID, "kind", kind, "error", err)
	}
}

// countCampaignSend runs one of a campaign send's once-only counts; a
// failure is logged, not returned: the person's page or redirect matters
// more, and the count is exact when it is made.
func (h *Handler) countCampaignSend(ctx context.Context, tok token.Token, count func(campaign.SendCounter) (bool, error)) {
	if h.d.CampaignSends == nil || tok.SendID == "" || !mail.IsCampaignSendID(tok.SendID) {
		return
	}
	if _, err := count(h.d.CampaignSends); err != nil {
		h.log.WarnContext(ctx, "campaign send counter", "send_id", tok.SendID, "error", err)
	}
}

// record sends an event to the events queue. A failure is logged, not
// returned: an open or click is worth less than the person's redirect.
func (h *Handler) record(ctx context.Context, req httpapi.Request, msgs ...tracking.Message) {
	if err := engagement.Publish(ctx, h.d.Events, requestID(ctx, req), h.d.Now(), msgs...); err != nil {
		h.log.ErrorContext(ctx, "record email event", "contact_id", msgs[0].ContactID, "event", msgs[0].Event, "error", err)
	}
}

func (h *Handler) unsubscribePage(ctx context.Context, raw string, now time.Time) httpapi.Response {
	tok, err := h.d.Signer.Verify(token.Unsubscribe, raw, now)
	if err != nil {
		return brokenLink()
	}
	// A GET never unsubscribes: link scanners and prefetchers follow every
	// link in a mail. The button posts to this same URL.
	what := "You will get no more marketing email from us. Emails you ask for, such as receipts, still come."
	if t := h.topicName(ctx, tok.Topic); t != "" {
		what = "You will get no more emails about " + t + ". Your other subscriptions stay as they are."
	}
	return page{
		Title: "Unsubscribe?", Lines: []string{what}, Form: "unsubscribe", Button: "Unsubscribe",
		LinkURL: h.preferencesURL(tok), LinkText: "Or choose which emails you get",
	}.render(http.StatusOK)
}

// unsubscribe is RFC 8058's one-click POST (body List-Unsubscribe=One-Click,
// sent by the mailbox provider) and the page's button alike. The POST is
// the intent, so the body is not required. It answers 200 with a page,
// never a redirect, as RFC 8058 asks.
func (h *Handler) unsubscribe(ctx context.Context, req httpapi.Request, raw string, now time.Time) httpapi.Response {
	tok, err := h.d.Signer.Verify(token.Unsubscribe, raw, now)
	if err != nil {
		return brokenLink()
	}
	p, changed, err := preference.Update(ctx, h.d.Store, tok.ContactID, now, func(p *contact.Profile) bool { return preference.Unsubscribe(p, tok.Topic) })
	switch {
	case errors.Is(err, contact.ErrNotFound):
		// Erased or never stored: there is no one to mail, which is what
		// the person wants.
	case err != nil:
		h.log.ErrorContext(ctx, "unsubscribe", "contact_id", tok.ContactID, "error", err)
		return failure()
	default:
		h.log.InfoContext(ctx, "unsubscribed", "contact_id", p.ID, "send_id", tok.SendID, "topic", tok.Topic, "changed", changed)
		// Sent even when nothing changed: the id is stable, so a repeat is
		// dropped by the processor, and a lost first attempt is repaired.
		t := target(tok)
		t.ContactID = p.ID
		h.record(ctx, req, engagement.Unsubscribed(t, tok.Topic, "one-click", now))
		// Counted even when nothing changed, like the event: the mark on
		// the send counts it once, and a lost first count is repaired.
		h.countCampaignSend(ctx, tok, func(sc campaign.SendCounter) (bool, error) {
			return campaign.CountSendOutcome(ctx, sc, tok.SendID, campaign.CountUnsubscribed)
		})
	}
	line := "You will get no more marketing email from us. It can take a moment for an email already on its way to arrive."
	if t := h.topicName(ctx, tok.Topic); t != "" {
		line = "You will get no more emails about " + t + "."
	}
	return page{
		Title: "You're unsubscribed", Lines: []string{line},
		LinkURL: h.preferencesURL(tok), LinkText: "Manage your email preferences",
	}.render(http.StatusOK)
}

func (h *Handler) preferences(ctx context.Context, raw string, now time.Time) httpapi.Response {
	tok, err := h.d.Signer.Verify(token.Preferences, raw, now)
	if err != nil {
		return brokenLink()
	}
	p, err := preference.Resolve(ctx, h.d.Store, tok.ContactID)
	if errors.Is(err, contact.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		h.log.ErrorContext(ctx, "read preferences", "contact_id", tok.ContactID, "error", err)
		return failure()
	}
	return h.preferencesPage(ctx, p, "").render(http.StatusOK)
}

// savePreferences needs no CSRF token: there is no cookie or session to
// ride on, the signed token in the URL is the only credential (whoever
// has it can already use the page), and saving the same form twice gives
// the same state.
func (h *Handler) savePreferences(ctx context.Context, req httpapi.Request, raw string, now time.Time) httpapi.Response {
	tok, err := h.d.Signer.Verify(token.Preferences, raw, now)
	if err != nil {
		return brokenLink()
	}
	body, err := httpapi.Body(req)
	if err != nil {
		return badForm()
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return badForm()
	}
	topics, err := h.topics(ctx)
	if err != nil {
		// Without the topics every box reads as unticked: saving would
		// unsubscribe the contact from everything.
		return failure()
	}
	choice := preference.ParseChoice(form, topics)
	consent := tracking.Consent{
		At: now, Page: h.d.BaseURL + "/v1/preferences", IP: tracking.TruncateIP(req.RequestContext.HTTP.SourceIP),
		Source: "preferences:" + now.Format(time.RFC3339Nano),
	}
	var res preference.Result
	var version int64
	p, _, err := preference.Update(ctx, h.d.Store, tok.ContactID, now, func(p *contact.Profile) bool {
		version = p.Version
		res = preference.Apply(p, choice, topics, consent)
		return res.Changed
	})
	if errors.Is(err, contact.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		h.log.ErrorContext(ctx, "save preferences", "contact_id", tok.ContactID, "error", err)
		return failure()
	}
	t := target(tok)
	t.ContactID = p.ID
	var msgs []tracking.Message
	if len(res.On) > 0 || len(res.Off) > 0 {
		msgs = append(msgs, engagement.PreferencesUpdated(t, res.On, res.Off, version, now))
	}
	if res.Unsubscribed {
		msgs = append(msgs, engagement.Unsubscribed(t, "", "preference-centre", now))
	}
	if len(msgs) > 0 {
		h.record(ctx, req, msgs...)
	}
	h.log.InfoContext(ctx, "preferences saved", "contact_id", p.ID, "changed", res.Changed,
		"unsubscribed", res.Unsubscribed, "subscribed", res.Subscribed, "on", len(res.On), "off", len(res.Off))
	notice := "Your preferences are saved."
	if p.Status == preference.StatusUnsubscribed {
		notice = "You're unsubscribed from all marketing email."
	}
	return h.preferencesPage(ctx, p, notice).render(http.StatusOK)
}

func (h *Handler) preferencesPage(ctx context.Context, p *contact.Profile, notice string) page {
	lines := []string{"Choose the emails you want from us."}
	if name, _ := p.Traits["first_name"].(string); strings.TrimSpace(name) != "" {
		lines[0] = "Hi " + strings.TrimSpace(name) + ", choose the emails you want from us."
	}
	if p.Email != "" {
		lines = append(lines, "These settings are for "+p.Email+".")
	}
	if notice == "" && p.Status != preference.StatusSubscribed {
		notice = "You're not subscribed to our marketing email. Tick what you'd like and save to subscribe."
	}
	return page{Title: "Email preferences", Notice: notice, Lines: lines, Form: "preferences", Topics: preference.States(p, h.topicsOrNone(ctx))}
}

// confirmPage answers the double opt-in link. Like unsubscribe, a GET
// changes nothing: mail security scanners and prefetchers follow every link
// in a message, and a confirmation they trigger would not be the person's
// consent. The page's button posts to the same URL.
func (h *Handler) confirmPage(raw string, now time.Time) httpapi.Response {
	_, err := h.d.Signer.Verify(token.Confirm, raw, now)
	if errors.Is(err, token.ErrExpired) {
		return expiredConfirmation()
	}
	if err != nil {
		return brokenLink()
	}
	return page{
		Title: "Confirm your subscription",
		Lines: []string{"One click and you're in. If you didn't sign up, close this page and nothing happens."},
		Form:  "confirm", Button: "Confirm my subscription",
	}.render(http.StatusOK)
}

func expiredConfirmation() httpapi.Response {
	return page{
		Title: "This link has expired",
		Lines: []string{"Confirmation links work for a limited time. Sign up again and we'll send you a new one."},
	}.render(http.StatusGone)
}

// confirm records the double opt-in: the POST from the confirmation page.
func (h *Handler) confirm(ctx context.Context, req httpapi.Request, raw string, now time.Time) httpapi.Response {
	tok, err := h.d.Signer.Verify(token.Confirm, raw, now)
	if errors.Is(err, token.ErrExpired) {
		return expiredConfirmation()
	}
	if err != nil {
		return brokenLink()
	}
	source := "confirm"
	if tok.SendID != "" {
		source = "confirm:" + tok.SendID
	}
	var outcome preference.Confirmation
	p, _, err := preference.Update(ctx, h.d.Store, tok.ContactID, now, func(p *contact.Profile) bool {
		c := tracking.Consent{
			At: now, Page: h.d.BaseURL + "/v1/confirm", IP: tracking.TruncateIP(req.RequestContext.HTTP.SourceIP), Source: source,
			Text: "Confirmed the subscription with the link emailed to " + p.Email,
		}
		outcome = preference.Confirm(p, c)
		return outcome == preference.Confirmed
	})
	if errors.Is(err, contact.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		h.log.ErrorContext(ctx, "confirm subscription", "contact_id", tok.ContactID, "error", err)
		return failure()
	}
	h.log.InfoContext(ctx, "double opt-in", "contact_id", p.ID, "send_id", tok.SendID, "outcome", int(outcome))
	if outcome == preference.UnsubscribedSince {
		return page{
			Title: "You're not subscribed",
			Lines: []string{"You unsubscribed after signing up, so this link no longer subscribes you. To subscribe again, sign up on our website."},
		}.render(http.StatusOK)
	}
	if outcome == preference.Confirmed || confirmedBy(p, source) {
		// Again on a repeat click of the same link: the event's id is
		// stable, and a lost first attempt is repaired.
		t := target(tok)
		t.ContactID = p.ID
		h.record(ctx, req, engagement.Confirmed(t, now))
	}
	lines := []string{"Thanks for confirming. We'll only send you what you signed up for, and every email has a link to unsubscribe."}
	return page{
		Title: "You're subscribed", Lines: lines,
		LinkURL: h.preferencesURL(tok), LinkText: "Choose which emails you get",
	}.render(http.StatusOK)
}

func confirmedBy(p *contact.Profile, source string) bool {
	for _, c := range p.Consents {
		if c.Purpose == preference.PurposeConfirmation && c.Source == source {
			return true
		}
	}
	return false
}

// clicks is the click guard with the link_hosts in force.
func (h *Handler) clicks(ctx context.Context) mail.ClickGuard {
	g := h.d.Clicks
	if h.d.SendingSource != nil {
		s, err := h.d.SendingSource(ctx)
		if err == nil {
			g.Settings = s
			return g
		}
		h.log.ErrorContext(ctx, "read sending settings; using the repo's", "error", err)
	}
	if h.d.Sending != nil {
		s, err := h.d.Sending()
		if err != nil {
			// No link_hosts: only links to our own host redirect, the
			// safe side.
			h.log.ErrorContext(ctx, "no sending settings; redirecting to our own host only", "error", err)
		}
		g.Settings = s
	}
	return g
}

// topics are the subscription topics in force; an error (logged here)
// when neither the store nor the repo gives them.
func (h *Handler) topics(ctx context.Context) ([]preference.Topic, error) {
	if h.d.TopicSource != nil {
		ts, err := h.d.TopicSource(ctx)
		if err == nil {
			return ts, nil
		}
		h.log.ErrorContext(ctx, "read topics; using the repo's", "error", err)
	}
	if h.d.Topics == nil {
		return nil, nil
	}
	ts, err := h.d.Topics()
	if err != nil {
		h.log.ErrorContext(ctx, "no subscription topics", "error", err)
	}
	return ts, err
}

// topicsOrNone are the topics in force, none when they cannot be read: a
// page then shows no topic, and names a topic by its id.
func (h *Handler) topicsOrNone(ctx context.Context) []preference.Topic {
	ts, _ := h.topics(ctx)
	return ts
}

func (h *Handler) topicName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	for _, t := range h.topicsOrNone(ctx) {
		if t.ID == id {
			return t.Name
		}
	}
	return id
}

// preferencesURL signs a preference centre link for the same contact.
func (h *Handler) preferencesURL(tok token.Token) string {
	return h.d.BaseURL + "/v1/preferences/" + h.d.Signer.Sign(token.Token{Purpose: token.Preferences, ContactID: tok.ContactID, SendID: tok.SendID})
}

func target(tok token.Token) engagement.Target {
	return engagement.Target{ContactID: tok.ContactID, SendID: tok.SendID, Template: tok.TemplateID}
}

func userAgent(req httpapi.Request) string {
	if ua := req.RequestContext.HTTP.UserAgent; ua != "" {
		return ua
	}
	return httpapi.Header(req, "User-Agent")
}

// requestID ties queued events to the request that made them.
func requestID(ctx context.Context, req httpapi.Request) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return req.RequestContext.RequestID
}

func notFound() httpapi.Response {
	return page{
		Title: "We couldn't find your subscription",
		Lines: []string{"Your details may have been deleted at your request. If you still get email from us, reply to it and we'll sort it out."},
	}.render(http.StatusNotFound)
}

func failure() httpapi.Response {
	return page{
		Title: "Something went wrong",
		Lines: []string{"We couldn't save that just now. Please try again in a minute."},
	}.render(http.StatusInternalServerError)
}

func badForm() httpapi.Response {
	return page{Title: "We couldn't read that form", Lines: []string{"Please go back and try again."}}.render(http.StatusBadRequest)
}
