// Package adminfn is the Lambda handler of the admin API. Every route needs
// a bearer token: the machine admin token (the function holds only its
// SHA-256), which counts as an admin, or a console user's Cognito token,
// whose groups give the role. Handle checks the role against the catalog's
// action class of the route, and records every change in the audit log,
// for all routes in one place (guard.go).
package adminfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/auth"
	"github.com/leadflow/leadflow/shared/auth/jwks"
	"github.com/leadflow/leadflow/shared/awsapi/cognitoidentityprovider"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	"github.com/leadflow/leadflow/shared/awsapi/scheduler"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/bucket"
	"github.com/leadflow/leadflow/shared/bus"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/campaign/ebscheduler"
	"github.com/leadflow/leadflow/shared/campaign/memberaudience"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/exports"
	"github.com/leadflow/leadflow/shared/fn/campaignsfn"
	"github.com/leadflow/leadflow/shared/fn/segmentfn"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/imports"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
	"github.com/leadflow/leadflow/shared/user"
	"github.com/leadflow/leadflow/shared/user/cognitodir"
)

// Config is read from the environment once, at cold start.
type Config struct {
	Table string
	// TokenHash is the SHA-256 of the admin token.
	TokenHash []byte
	// TokenName names the admin token in a definition's updated_by.
	TokenName string
	// JobsQueueURL receives re-scoring jobs; RoutingQueueURL qualified leads
	// moved by hand.
	JobsQueueURL, RoutingQueueURL string
	// SendsQueueURL receives sends from the send API and test sends.
	SendsQueueURL string
	// EventBusName receives segment.entered/exited caused by admin edits.
	EventBusName string
	// UserPoolID, UserPoolIssuer, UserPoolClientID: the console's user
	// pool. Without an issuer only the admin token is accepted.
	UserPoolID, UserPoolIssuer, UserPoolClientID string
	// ShowTemporaryPasswords returns an invited user's temporary password
	// instead of Cognito emailing it (local runs: nothing sends mail there).
	ShowTemporaryPasswords bool
	// Bucket holds imported files and reports ("": no imports).
	Bucket string
	// CampaignsQueueURL and Schedules: campaign firings and schedules.
	// Without them the campaign actions answer 503.
	CampaignsQueueURL string
	Schedules         *ebscheduler.Config
}

// EnvTokenName names the admin token ("admin" when unset): the
// updated_by of what it saves, until users sign in.
const EnvTokenName = "ADMIN_TOKEN_NAME"

// EnvShowTemporaryPasswords is set by the local runner only; the stack
// never sets it, so in AWS Cognito emails the invitation.
const EnvShowTemporaryPasswords = "USERS_SHOW_TEMPORARY_PASSWORD"

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv(catalog.EnvTableName)}
	if c.Table == "" {
		return c, fmt.Errorf("admin: %s must be set", catalog.EnvTableName)
	}
	h, err := hex.DecodeString(strings.TrimSpace(getenv(catalog.EnvAdminTokenSHA256)))
	if err != nil || len(h) != sha256.Size {
		return c, fmt.Errorf("admin: %s must be the hex SHA-256 of the admin token", catalog.EnvAdminTokenSHA256)
	}
	c.TokenHash = h
	c.JobsQueueURL = getenv(catalog.QueueURLEnv(catalog.JobsQueue))
	c.RoutingQueueURL = getenv(catalog.QueueURLEnv(catalog.RoutingQueue))
	c.SendsQueueURL = getenv(catalog.QueueURLEnv(catalog.SendsQueue))
	if c.EventBusName = getenv(catalog.EnvEventBusName); c.EventBusName == "" {
		return c, fmt.Errorf("admin: %s must be set", catalog.EnvEventBusName)
	}
	if c.JobsQueueURL == "" || c.RoutingQueueURL == "" {
		return c, fmt.Errorf("admin: %s and %s must be set", catalog.QueueURLEnv(catalog.JobsQueue), catalog.QueueURLEnv(catalog.RoutingQueue))
	}
	if c.TokenName = strings.TrimSpace(getenv(EnvTokenName)); c.TokenName == "" {
		c.TokenName = "admin"
	}
	c.UserPoolID = getenv(catalog.EnvUserPoolID)
	c.UserPoolIssuer = strings.TrimSuffix(getenv(catalog.EnvUserPoolIssuer), "/")
	c.UserPoolClientID = getenv(catalog.EnvUserPoolClientID)
	if (c.UserPoolIssuer == "") != (c.UserPoolClientID == "") {
		return c, fmt.Errorf("admin: set both %s and %s, or neither", catalog.EnvUserPoolIssuer, catalog.EnvUserPoolClientID)
	}
	c.ShowTemporaryPasswords = getenv(EnvShowTemporaryPasswords) == "1"
	c.Bucket = getenv(catalog.EnvBucketName)
	if c.CampaignsQueueURL = getenv(catalog.QueueURLEnv(catalog.CampaignsQueue)); c.CampaignsQueueURL != "" {
		sc, err := campaignsfn.SchedulerConfig(getenv)
		if err != nil {
			return c, fmt.Errorf("admin: %w", err)
		}
		c.Schedules = &sc
	}
	// The compiled-in definitions are checked by CI and the stack's synth
	// (definitions.Validate), not on every cold start.
	return c, nil
}

// HashToken returns the hex SHA-256 of a token, as the stack expects it.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Store is what the admin API reads and writes.
type Store interface {
	contact.Store
	site.Store
	definition.Store
	audit.Log
	GetProfile(ctx context.Context, id string) (*contact.Profile, error)
	ListRecentContacts(ctx context.Context, limit int) ([]string, error)
	Timeline(ctx context.Context, contactIDs []string, before time.Time, limit int) ([]tracking.Message, error)
	EraseContact(ctx context.Context, contactIDs []string, ids []contact.Identity) (int, error)
	ScoreHistory(ctx context.Context, contactIDs []string, limit int) ([]dynamo.ScoredChange, error)
	membership.Store
	ContactsPage(ctx context.Context, shard int, cursor string, limit int) ([]string, string, error)
	journeyrun.Store
}

var _ Store = (*dynamo.Store)(nil)

// Handler serves the admin routes.
type Handler struct {
	// journeyTimers puts the resume timers of a paused journey's held runs
	// on the wheel when it is resumed.
	journeyTimers journeyrun.Scheduler
	store         Store
	tokenHash     []byte
	log           *slog.Logger
	now           func() time.Time
	table         map[string]routeFunc
	tokenName     string
	reg           *definition.Registry
	scoring       *definition.Cache[*scoring.Engine]
	templates     *definition.Cache[*template.Compiled]
	jobs          job.Queue
	routeQueue    routing.Queue
	sends         mail.Queue // templates.go
	// verifier checks console users' tokens; nil accepts only the admin token.
	verifier TokenVerifier
	// actions are the catalog's admin routes with their action classes (guard.go).
	actions map[string]catalog.Route
	audit   audit.Log
	users   user.Directory   // nil: no user pool configured
	imports *imports.Service // nil: no bucket configured (imports.go)
	exports *exports.Service // nil: no bucket configured (exports.go)
	// segments keeps membership current after an admin change (segments.go).
	segments *membership.Reactor
	// campaigns runs the campaign actions (campaigns.go); nil answers 503.
	campaigns     *campaign.Service
	campaignStore CampaignStore
	// campaignAudience samples a recipient-time audience's zones (calendar).
	campaignAudience *memberaudience.Pager
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	q := sqs.NewFromConfig(awsCfg)
	h := NewWith(store, cfg.TokenHash, cfg.TokenName, log).WithQueues(sqsqueue.New(q, cfg.JobsQueueURL), sqsqueue.New(q, cfg.RoutingQueueURL)).
		WithSends(sqsqueue.New(q, cfg.SendsQueueURL))
	if cfg.UserPoolIssuer != "" {
		h.verifier = &auth.Verifier{
			Issuer: cfg.UserPoolIssuer, ClientID: cfg.UserPoolClientID,
			Keys: jwks.New(cfg.UserPoolIssuer+"/.well-known/jwks.json", nil), Leeway: 30 * time.Second,
		}
	}
	h.journeyTimers = timer.NewWheel(store, nil, time.Now)
	h.WithSegments(membership.NewReactor(liveSegments{h.reg, h}, h.defaultScorer(), store,
		segmentfn.BusAnnouncer{Pub: bus.NewEventBridge(eventbridge.NewFromConfig(awsCfg), cfg.EventBusName)}, store, timer.NewWheel(store, nil, time.Now), log))
	if cfg.CampaignsQueueURL != "" && cfg.Schedules != nil {
		h.WithCampaigns(store, ebscheduler.New(scheduler.NewFromConfig(awsCfg), *cfg.Schedules), sqsqueue.New(q, cfg.CampaignsQueueURL))
	}
	if cfg.UserPoolID != "" {
		h.users = cognitodir.New(cognitoidentityprovider.NewFromConfig(awsCfg), cfg.UserPoolID, cfg.ShowTemporaryPasswords)
	}
	if cfg.Bucket != "" {
		h.imports = h.importService(bucket.New(awsCfg, cfg.Bucket), store)
		h.exports = h.exportService(bucket.New(awsCfg, cfg.Bucket), store)
	}
	return h
}

// WithQueues gives the handler the queues that re-scoring jobs and
// hand-moved qualified leads go to.
func (h *Handler) WithQueues(jobs job.Queue, routes routing.Queue) *Handler {
	h.jobs, h.routeQueue = jobs, routes
	return h
}

// NewWith builds a handler around a store (tests). Definitions are read
// uncached: an admin reads back what it just saved.
func NewWith(store Store, tokenHash []byte, tokenName string, log *slog.Logger) *Handler {
	h := &Handler{store: store, tokenHash: tokenHash, tokenName: tokenName, log: log, now: time.Now, actions: adminRoutes(), audit: store}
	// The repo's definitions are checked by CI and at cold start
	// (ConfigFromEnv); a broken build serves what does load.
	h.reg = definitions.AdminRegistry(store)
	h.scoring = definitions.ScoringCache(h.reg).WithTTL(0, nil)
	h.templates = definitions.TemplateCache(h.reg).WithTTL(0, nil)
	h.segments = h.defaultReactor()
	h.table = h.routes()
	return h
}

// ContactView is the contact as the API returns it.
type ContactView struct {
	*contact.Profile
	// Score is the lead score as of the request (engagement decays).
	Score  *scoring.Score     `json:"score,omitempty"`
	Events []tracking.Message `json:"events"`
	// Segments and Lists are the contact's memberships, always a list.
	Segments []string `json:"segments"`
	Lists    []string `json:"lists"`
	// The segment reactor's working fields are not part of the answer
	// (these shadow the profile's).
	SegmentCounters *struct{} `json:"segment_counters,omitempty"`
	SegmentCheck    *struct{} `json:"segment_check,omitempty"`
}

// Handle serves one request: who is calling, may their role call this
// route, the route itself, and the audit record of a change.
func (h *Handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, denied := h.authenticate(ctx, req)
	if denied != nil {
		return *denied, nil
	}
	route, denied := h.authorize(who, req.RouteKey)
	if denied != nil {
		return *denied, nil
	}
	ctx = withPrincipal(ctx, who)
	resp, err := h.route(ctx, req)
	if err != nil {
		resp = h.fail(ctx, req, err)
	}
	if route.Audited() && resp.StatusCode < 400 {
		h.record(ctx, req, route, who, resp.StatusCode)
	}
	return resp, nil
}

// errBadRequest marks client mistakes; its message is shown to the caller.
type errBadRequest struct{ code, msg string }

func (e errBadRequest) Error() string { return e.msg }

// routeFunc serves one admin route.
type routeFunc func(ctx context.Context, req httpapi.Request) (httpapi.Response, error)

// routes maps API Gateway route keys to their functions; each file of this
// package adds its own (contacts.go, scoring.go, templates.go, ...).
func (h *Handler) routes() map[string]routeFunc {
	all := map[string]routeFunc{}
	for _, group := range []map[string]routeFunc{h.contactRoutes(), h.siteRoutes(), h.definitionRoutes(), h.scoringRoutes(), h.templateRoutes(), h.messageRoutes(), h.userRoutes(), h.auditRoutes(), h.segmentRoutes(), h.reportRoutes(), h.importRoutes(), h.journeyRoutes(), h.campaignRoutes(), h.exportRoutes(), h.suppressionRoutes()} {
		for k, f := range group {
			all[k] = f
		}
	}
	return all
}

func (h *Handler) route(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if f, ok := h.table[req.RouteKey]; ok {
		return f(ctx, req)
	}
	return httpapi.Fail(http.StatusNotFound, "not_found", "no route "+req.RouteKey, nil), nil
}

func (h *Handler) siteRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"GET /v1/sites": func(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
			sites, err := h.store.ListSites(ctx)
			if err != nil {
				return httpapi.Response{}, err
			}
			views := make([]siteView, len(sites))
			for i, s := range sites {
				views[i] = viewOf(s, false)
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"sites": views}, nil), nil
		},
		"PUT /v1/sites/{key}": h.putSite,
	}
}

func (h *Handler) putSite(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	body, err := httpapi.Body(req)
	if err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_body", err.Error()}
	}
	var in struct {
		Name           string   `json:"name"`
		AllowedOrigins []string `json:"allowed_origins"`
		// IdentitySecret sets the secret (absent: keep it; "": remove it,
		// which makes every browser call unverified).
		IdentitySecret *string `json:"identity_secret"`
		// GenerateIdentitySecret replaces the secret with a random one.
		GenerateIdentitySecret bool `json:"generate_identity_secret"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_json", "site: " + err.Error()}
	}
	if in.GenerateIdentitySecret && in.IdentitySecret != nil {
		return httpapi.Response{}, errBadRequest{"invalid_site", "send identity_secret or generate_identity_secret, not both"}
	}
	key := req.PathParameters["key"]
	now := h.now().UTC()
	s := site.Site{Key: key, Name: in.Name, AllowedOrigins: in.AllowedOrigins, CreatedAt: now, UpdatedAt: now}
	if s.AllowedOrigins == nil {
		s.AllowedOrigins = []string{}
	}
	status := http.StatusCreated
	old, err := h.store.GetSite(ctx, key)
	switch {
	case err == nil:
		s.CreatedAt, s.IdentitySecret, status = old.CreatedAt, old.IdentitySecret, http.StatusOK
	case errors.Is(err, site.ErrNotFound):
		// A new site gets a secret at once, so its server can verify
		// visitors without a second call.
		in.GenerateIdentitySecret = in.GenerateIdentitySecret || in.IdentitySecret == nil
	default:
		return httpapi.Response{}, err
	}
	if in.IdentitySecret != nil {
		s.IdentitySecret = *in.IdentitySecret
	}
	if in.GenerateIdentitySecret {
		s.IdentitySecret = site.NewIdentitySecret()
	}
	if err := s.Validate(); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_site", err.Error()}
	}
	if err := h.store.PutSite(ctx, s); err != nil {
		return httpapi.Response{}, err
	}
	// The secret is shown once, to the caller who set or generated it.
	return httpapi.JSON(status, viewOf(s, in.GenerateIdentitySecret || in.IdentitySecret != nil), nil), nil
}

// siteView is a site as the admin API shows it: whether identity
// verification is on, and the secret only in the answer that set it.
type siteView struct {
	site.Site
	IdentityVerification bool `json:"identity_verification"`
}

func viewOf(s site.Site, showSecret bool) siteView {
	v := siteView{Site: s, IdentityVerification: s.IdentitySecret != ""}
	if !showSecret {
		v.IdentitySecret = ""
	}
	return v
}

func (h *Handler) fail(ctx context.Context, req httpapi.Request, err error) httpapi.Response {
	var bad errBadRequest
	var conflict errConflict
	var missing errNotFound
	var unavailable errUnavailable
	switch {
	case errors.As(err, &bad):
		return httpapi.Fail(http.StatusBadRequest, bad.code, bad.msg, nil)
	case errors.As(err, &missing):
		return httpapi.Fail(http.StatusNotFound, "not_found", missing.msg, nil)
	case errors.As(err, &unavailable):
		return httpapi.Fail(http.StatusServiceUnavailable, "unavailable", unavailable.msg, nil)
	case errors.As(err, &conflict):
		return httpapi.Fail(http.StatusConflict, "conflict", conflict.msg, nil)
	case errors.Is(err, contact.ErrNotFound):
		return httpapi.Fail(http.StatusNotFound, "not_found", "no contact "+req.PathParameters["id"], nil)
	default:
		h.log.ErrorContext(ctx, "admin request", "route", req.RouteKey, "error", err)
		return httpapi.Fail(http.StatusInternalServerError, "internal", "internal error", nil)
	}
}

// normalize makes empty collections encode as [] and {} rather than null.
func normalize(p *contact.Profile) *contact.Profile {
	if p.AnonymousIDs == nil {
		p.AnonymousIDs = []string{}
	}
	if p.Segments == nil {
		p.Segments = []string{}
	}
	if p.Lists == nil {
		p.Lists = []string{}
	}
	if p.Traits == nil {
		p.Traits = map[string]any{}
	}
	return p
}

func intParam(q map[string]string, name string, def, lo, hi int) (int, error) {
	v, ok := q[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errBadRequest{"invalid_parameter", fmt.Sprintf("%s must be a whole number from %d to %d", name, lo, hi)}
	}
	return n, nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
