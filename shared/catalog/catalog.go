// Package catalog is the single list of Leadflow's functions and what triggers
// each. The CDK stack (infra/) and the local runner (cmd/leadflow-local) both
// read it, so a route, queue or schedule cannot exist in one and not the other.
package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Auth says who may call an HTTP route.
type Auth string

const (
	// Public routes are called by websites; they carry a site (write) key.
	Public Auth = "public"
	// Admin routes need the admin bearer token.
	Admin Auth = "admin"
)

// Route is one HTTP API route. Path uses API Gateway syntax: {id} for a
// path parameter, {proxy+} for a greedy one.
type Route struct {
	Method string
	Path   string
	Auth   Auth
	// Action is an admin route's class (read, write, ...), which decides
	// the least role that may call it (roles.go); public routes have none.
	Action Action
}

// DefaultRoute is API Gateway's catch-all route: it takes every request no
// other route matches, so unmatched paths answer in the API's own error
// shape instead of API Gateway's {"message":"Not Found"}.
var DefaultRoute = Route{Method: "ANY", Path: "$default", Auth: Public}

// Key is the API Gateway route key, "POST /v1/batch" ("$default" for the
// catch-all).
func (r Route) Key() string {
	if r.Path == DefaultRoute.Path {
		return DefaultRoute.Path
	}
	return r.Method + " " + r.Path
}

// Queue is an SQS queue with its dead-letter queue.
type Queue struct {
	Name string
	// VisibilityTimeoutSeconds must be at least six times the consumer's
	// timeout (AWS's advice for Lambda event source mappings).
	VisibilityTimeoutSeconds int
	// MaxReceiveCount is how many receives before a message moves to the DLQ.
	MaxReceiveCount int
	// RetentionDays for messages in the main queue; the DLQ keeps 14 days.
	RetentionDays int
}

// DLQName is the name of the queue's dead-letter queue.
func (q Queue) DLQName() string { return q.Name + "-dlq" }

// QueueTrigger makes a function consume a queue.
type QueueTrigger struct {
	Queue string
	// BatchSize is the maximum number of messages per invocation.
	BatchSize int
	// MaxBatchingWindowSeconds lets Lambda wait to fill a batch, which
	// coalesces more events per profile write.
	MaxBatchingWindowSeconds int
}

// Schedule fires a function periodically (EventBridge Scheduler).
type Schedule struct {
	Name string
	// Expression is an EventBridge Scheduler expression, e.g. "rate(1 minute)".
	Expression string
	// EverySeconds is the same period, for the local runner.
	EverySeconds int
}

// EventRule fires a function on events from the default EventBridge bus.
type EventRule struct {
	Name       string
	Source     string
	DetailType []string
}

// Access lists what a function may touch; the stack turns it into IAM grants.
type Access struct {
	// Items are the kinds of table items the function touches and the
	// actions it runs on each (data.go); none: no table access at all.
	Items      []ItemAccess
	SendsTo    []string // queue names
	SendsEmail bool
	PutsEvents bool // EventBridge PutEvents on the Leadflow bus
	// WebhookTargets: the function reads where webhooks go (WEBHOOK_URLS).
	WebhookTargets bool
	// SignsWebhooks: the function holds the webhook signing secret.
	SignsWebhooks bool
	// SignsLinks: the function signs or verifies email links (unsubscribe,
	// preferences, open, click, confirm) and knows the public base URL.
	SignsLinks bool
	// ManagesSuppression: the function may add addresses to SES's account
	// suppression list.
	ManagesSuppression bool
	// KeysRateLimits: the function counts rate limits and holds the secret
	// that keys the counters' hashes of addresses and emails.
	KeysRateLimits bool
	// ManagesUsers: the function lists, invites, re-roles and disables the
	// console's users in the user pool.
	ManagesUsers bool
	// UsesBucket: the function reads and writes the imports/exports bucket
	// (BUCKET_NAME) and presigns its URLs.
	UsesBucket bool
	// ManagesSchedules: the function creates and deletes campaign schedules
	// in the stack's EventBridge Scheduler group (and passes its role).
	ManagesSchedules bool
}

// Function is one Lambda function.
type Function struct {
	// Name is the folder under functions/ and the base of the Lambda name.
	Name        string
	Description string
	MemoryMB    int
	TimeoutSec  int
	Routes      []Route
	Queue       *QueueTrigger
	Schedules   []Schedule
	Events      []EventRule
	Access      Access
}

// Catalog is every function and queue.
type Catalog struct {
	Functions []Function
	Queues    []Queue
}

// Queue names used across the code.
const (
	EventsQueue   = "events"
	RoutingQueue  = "routing"
	WebhooksQueue = "webhooks"
	JobsQueue     = "jobs"
	SendsQueue    = "sends"
	// CampaignsQueue carries campaign firings (from the Scheduler) and
	// fan-out pages.
	CampaignsQueue = "campaigns"
)

// PublicRoutes are the tracking endpoints that speak the Segment HTTP API.
// The one-letter paths are what analytics.js (analytics-next) posts to.
var publicTrackingPaths = []string{
	"/v1/batch", "/v1/import", "/v1/track", "/v1/page", "/v1/identify", "/v1/screen", "/v1/group", "/v1/alias",
	"/v1/t", "/v1/p", "/v1/i", "/v1/s", "/v1/g", "/v1/a",
}

// Environment variables the stack sets and the functions read once at start.
const (
	EnvTableName        = "TABLE_NAME"
	EnvAdminTokenSHA256 = "ADMIN_TOKEN_SHA256"
	EnvLogLevel         = "LOG_LEVEL"
	EnvEventBusName     = "EVENT_BUS_NAME"
	EnvSESConfigSet     = "SES_CONFIGURATION_SET"
	EnvWebhookURLs      = "WEBHOOK_URLS"
	EnvWebhookSecret    = "WEBHOOK_SECRET"
	// EnvSigningSecrets holds the link signing secrets, newest first,
	// comma-separated (rotation keeps old links valid).
	EnvSigningSecrets = "LINK_SIGNING_SECRETS"
	// EnvPublicBaseURL is the API's public URL, for links in email.
	EnvPublicBaseURL = "PUBLIC_BASE_URL"
	// EnvRateLimitSecret keys the HMACs that name rate-limit counters (an
	// IP address or an email never appears in a key in clear).
	EnvRateLimitSecret = "RATE_LIMIT_SECRET"
	// EnvUserPoolID, EnvUserPoolIssuer and EnvUserPoolClientID name the
	// console's Cognito user pool: the admin API accepts its tokens (issued
	// by the issuer to the client) and manages its users.
	EnvUserPoolID       = "USER_POOL_ID"
	EnvUserPoolIssuer   = "USER_POOL_ISSUER"
	EnvUserPoolClientID = "USER_POOL_CLIENT_ID"
	// EnvBucketName is the bucket for imported files, error reports and
	// exports.
	EnvBucketName = "BUCKET_NAME"
	// Campaign schedules: the Scheduler group, the role it sends to the
	// campaigns queue with, the queue's ARN and the group's dead-letter
	// queue's ARN.
	EnvScheduleGroup     = "SCHEDULE_GROUP"
	EnvSchedulerRoleARN  = "SCHEDULER_ROLE_ARN"
	EnvCampaignsQueueARN = "CAMPAIGNS_QUEUE_ARN"
	EnvSchedulerDLQARN   = "SCHEDULER_DLQ_ARN"
)

// QueueURLEnv is the variable holding a queue's URL, e.g. QUEUE_URL_EVENTS.
func QueueURLEnv(queue string) string {
	return "QUEUE_URL_" + strings.ToUpper(strings.ReplaceAll(queue, "-", "_"))
}

// Load returns the catalog. It is a function rather than a package variable so
// that no caller can mutate shared state.
func Load() Catalog {
	var ingestRoutes []Route
	for _, p := range publicTrackingPaths {
		ingestRoutes = append(ingestRoutes, Route{Method: "POST", Path: p, Auth: Public})
		ingestRoutes = append(ingestRoutes, Route{Method: "OPTIONS", Path: p, Auth: Public})
	}
	ingestRoutes = append(ingestRoutes,
		Route{Method: "GET", Path: "/v1/sdk.js", Auth: Public},
		Route{Method: "POST", Path: "/v1/forms/{formId}", Auth: Public},
		Route{Method: "OPTIONS", Path: "/v1/forms/{formId}", Auth: Public},
		DefaultRoute,
	)
	return Catalog{
		Queues: []Queue{
			{Name: EventsQueue, VisibilityTimeoutSeconds: 180, MaxReceiveCount: 5, RetentionDays: 4},
			{Name: RoutingQueue, VisibilityTimeoutSeconds: 180, MaxReceiveCount: 5, RetentionDays: 4},
			// Webhook retries are scheduled by the function itself (delayed
			// re-sends with backoff); maxReceiveCount only catches crashes and
			// the final failure, which then sits in the DLQ with an alarm.
			{Name: WebhooksQueue, VisibilityTimeoutSeconds: 120, MaxReceiveCount: 3, RetentionDays: 4},
			{Name: JobsQueue, VisibilityTimeoutSeconds: 900, MaxReceiveCount: 5, RetentionDays: 4},
			// Sends retry throttling themselves with delayed re-sends; a
			// message that keeps failing lands in the DLQ with an alarm and
			// its send record says why: mail is never dropped silently.
			{Name: SendsQueue, VisibilityTimeoutSeconds: 180, MaxReceiveCount: 5, RetentionDays: 14},
			// Campaign pages: a page that arrives before its checkpoint comes
			// back after the visibility timeout, hence more receives.
			{Name: CampaignsQueue, VisibilityTimeoutSeconds: 180, MaxReceiveCount: 10, RetentionDays: 4},
		},
		Functions: []Function{
			{
				Name:        "ingest",
				Description: "Validates Segment-spec tracking batches and form fills, enqueues each request as one SQS message, serves the snippet.",
				MemoryMB:    256,
				TimeoutSec:  10,
				Routes:      ingestRoutes,
				Access: Access{
					Items: []ItemAccess{
						Items(ItemSite, GetItem),       // the write key's site (cached)
						Items(ItemDefinition, GetItem), // forms (cached)
						Items(ItemForm, GetItem),       // forms saved before the registry
						// Form fills count against rate limits (counter items).
						Items(ItemRateLimit, UpdateItem),
					},
					SendsTo: []string{EventsQueue}, KeysRateLimits: true,
				},
			},
			{
				// 256 MB: an invocation mostly waits on DynamoDB, and below
				// 1,769 MB Lambda's CPU share is proportional to memory, so
				// the CPU-bound part costs the same GB-s at any size while
				// the waiting costs half of 512 MB (BENCHMARKS.md, issue 10).
				Name:        "processor",
				Description: "Consumes tracking batches: stores events once and updates contact profiles.",
				MemoryMB:    256,
				TimeoutSec:  30,
				Queue:       &QueueTrigger{Queue: EventsQueue, BatchSize: 10, MaxBatchingWindowSeconds: 2},
				Access: Access{
					Items: []ItemAccess{
						// Resolve, link and re-link identities (a Get after a lost link race).
						Items(ItemIdentity, BatchGetItem, GetItem, PutItem),
						// Profiles (batch read, conditional put), timeline chunks
						// (put, or batch writes shared by the contacts written at
						// once), recent history for scoring (query).
						Items(ItemContact, BatchGetItem, PutItem, Query, UpdateItem, BatchWriteItem, GetItem, DeleteItem),
						// Scoring model, interest rules, segments, journeys (cached;
						// segments and journeys are listed: gsi1 query and batch get).
						Items(ItemDefinition, GetItem, BatchGetItem),
						Items(ItemConfig, GetItem), // the same, saved before the registry
						// Segments: the live set (listed once a minute), the
						// member index and its exact counts (transactions of
						// a conditional put or delete and a counter update),
						// and recheck timers for time-based exits.
						Items(IndexDefinitions, Query),
						Items(ItemMember, PutItem, DeleteItem, BatchWriteItem), // batch: group writes
						Items(ItemMemberCount, UpdateItem),
						// The anonymous contacts an invocation created, one
						// item per invocation, for segment rebuilds.
						Items(ItemArrivals, PutItem),
						// Timers: segment rechecks and journey waits; a
						// wait left early has its wake-up cancelled (batch
						// deletes after the batch's profiles committed).
						Items(ItemTimer, PutItem, BatchWriteItem),
						// The dashboard's counters: one ADD per day and batch.
						Items(ItemReport, UpdateItem),
						// Journeys: run records (C# items, UpdateItem above) and
						// step counters.
						Items(ItemJourneyStats, UpdateItem),
						// Runs held while their journey is paused (listed; a
						// merge moves them to the survivor).
						Items(ItemJourneyHeld, PutItem, DeleteItem),
						// A merge moves the merged-away contact's run records
						// (read, then a transaction putting the survivor's and
						// deleting the old; C# is granted above).
						// A send's first open and click (conditional update);
						// campaign conversions read the touched send's record,
						// then write its mark and the counter in a transaction.
						Items(ItemSend, UpdateItem, GetItem),
						Items(ItemCampaignStats, UpdateItem),
					},
					PutsEvents: true, SendsTo: []string{RoutingQueue, SendsQueue, WebhooksQueue}, WebhookTargets: true,
				},
			},
			{
				Name:        "sesevents",
				Description: "Applies SES events: delivery, bounces and complaints (suppression), opens and clicks, and resolves in-doubt sends.",
				MemoryMB:    256,
				TimeoutSec:  30,
				Events: []EventRule{{Name: "ses-events", Source: "aws.ses", DetailType: []string{
					"Email Sent", "Email Delivered", "Email Bounced", "Email Complaint Received", "Email Rejected",
					"Email Delivery Delayed", "Email Opened", "Email Clicked", "Email Rendering Failed",
				}}},
				Access: Access{
					Items: []ItemAccess{
						// Settle sends: read, then conditional updates.
						Items(ItemSend, GetItem, UpdateItem),
						Items(ItemSuppression, PutItem),
						Items(ItemSoftBounce, UpdateItem),
						// A bounce or complaint is counted once: a transaction of a
						// marker put and the hour's counter update.
						Items(ItemSESEvent, PutItem),
						Items(ItemMailStats, UpdateItem),
						// A complaint unsubscribes the contact (read, conditional put).
						Items(ItemContact, GetItem, PutItem),
						// The dashboard's delivered count.
						Items(ItemReport, UpdateItem),
						// Campaign results: delivered, bounced, complained.
						Items(ItemCampaignStats, UpdateItem),
					},
					SendsTo: []string{EventsQueue}, ManagesSuppression: true,
				},
			},
			{
				Name:        "links",
				Description: "Public email links: open pixel, click redirect, one-click unsubscribe, preference centre, double opt-in confirmation.",
				MemoryMB:    256,
				TimeoutSec:  10,
				Routes: []Route{
					{Method: "GET", Path: "/v1/t/o/{token}", Auth: Public},
					{Method: "GET", Path: "/v1/t/c/{token}", Auth: Public},
					{Method: "GET", Path: "/v1/unsubscribe/{token}", Auth: Public},
					{Method: "POST", Path: "/v1/unsubscribe/{token}", Auth: Public},
					{Method: "GET", Path: "/v1/preferences/{token}", Auth: Public},
					{Method: "POST", Path: "/v1/preferences/{token}", Auth: Public},
					{Method: "GET", Path: "/v1/confirm/{token}", Auth: Public},
					{Method: "POST", Path: "/v1/confirm/{token}", Auth: Public},
				},
				Access: Access{
					Items: []ItemAccess{
						// Unsubscribe, preferences and confirmation: read the
						// contact (following merges), conditional put.
						Items(ItemContact, GetItem, PutItem),
						// When a linked mail was sent, and which template it
						// came from: a click's host is re-checked against it.
						// A campaign send's first open and click are marked on
						// it (conditional update) and counted.
						Items(ItemSend, GetItem, UpdateItem),
						Items(ItemCampaignStats, UpdateItem),
						// Templates, topics, sending settings (cached), and
						// templates saved before the registry.
						Items(ItemDefinition, GetItem),
						Items(ItemTemplate, GetItem),
					},
					SendsTo: []string{EventsQueue}, SignsLinks: true,
				},
			},
			{
				Name:        "sender",
				Description: "Sends mail through SES: claims the send id, checks suppression, caps and quiet hours, paces to the account's rate, renders, sends, records.",
				MemoryMB:    512,
				TimeoutSec:  30,
				Queue:       &QueueTrigger{Queue: SendsQueue, BatchSize: 10, MaxBatchingWindowSeconds: 1},
				Access: Access{
					Items: []ItemAccess{
						// Claim (PutItem), record (UpdateItem: a rewrite
						// keeps the count marks) and, when throttled, give
						// back a send id.
						// A batch's records, recipients, caps and
						// suppressions are read with BatchGetItem (single
						// reads when that fails, or for a batch of one).
						Items(ItemSend, GetItem, BatchGetItem, PutItem, UpdateItem, DeleteItem),
						Items(ItemSuppression, GetItem, BatchGetItem),
						Items(ItemCap, GetItem, BatchGetItem, PutItem),
						Items(ItemContact, GetItem, BatchGetItem), // the recipient
						// Templates and sending settings (cached), and
						// templates saved before the registry.
						Items(ItemDefinition, GetItem),
						Items(ItemTemplate, GetItem),
						Items(ItemSendRate, UpdateItem),
						// The circuit breaker: count sends, read the window.
						Items(ItemMailStats, UpdateItem, BatchGetItem),
						// The dashboard's sent count, once per batch.
						Items(ItemReport, UpdateItem),
						// Campaigns: a paused campaign's sends wait; sent counters.
						Items(ItemCampaign, GetItem),
						Items(ItemCampaignStats, UpdateItem),
					},
					SendsEmail: true, SendsTo: []string{SendsQueue}, SignsLinks: true,
				},
			},
			{
				Name:        "router",
				Description: "Routes qualified leads: assigns an owner, publishes lead.qualified, queues webhook deliveries.",
				MemoryMB:    256,
				TimeoutSec:  30,
				Queue:       &QueueTrigger{Queue: RoutingQueue, BatchSize: 10},
				Access: Access{
					Items: []ItemAccess{
						Items(ItemRoute, PutItem, UpdateItem),
						Items(ItemRoundRobin, UpdateItem),
						Items(ItemContact, BatchGetItem, PutItem), // the lead and its owner
						Items(ItemDefinition, GetItem),            // the scoring model's stages
						Items(ItemConfig, GetItem),                // the same, saved before the registry
					},
					PutsEvents: true, SendsTo: []string{WebhooksQueue}, WebhookTargets: true,
				},
			},
			{
				Name:        "webhooks",
				Description: "Delivers signed webhooks, retrying with backoff; the final failure goes to the dead-letter queue.",
				MemoryMB:    256,
				TimeoutSec:  20,
				Queue:       &QueueTrigger{Queue: WebhooksQueue, BatchSize: 5},
				Access:      Access{SendsTo: []string{WebhooksQueue}, SignsWebhooks: true},
			},
			{
				Name:        "jobs",
				Description: "Background jobs in pages that re-queue themselves: re-scoring contacts after a scoring model change, CSV imports, segment and list exports.",
				MemoryMB:    512,
				TimeoutSec:  120,
				Queue:       &QueueTrigger{Queue: JobsQueue, BatchSize: 1},
				Access: Access{
					Items: []ItemAccess{
						Items(IndexContacts, Query), // page through the contacts
						// Re-score: read the profile and its timeline, conditional put.
						Items(ItemContact, BatchGetItem, Query, PutItem),
						// The scoring model; segments (listed: gsi1 query, batch get).
						Items(ItemDefinition, GetItem, BatchGetItem),
						Items(ItemConfig, GetItem),
						Items(ItemJobRun, UpdateItem), // each page's checkpoint and counts
						// Segment rebuilds and re-scoring: the member index and
						// its counts and build state, recheck timers.
						Items(IndexDefinitions, Query),
						Items(ItemMember, PutItem, DeleteItem, Query), // Query: exports page through members
						Items(ItemMemberCount, UpdateItem, Query),
						Items(ItemArrivals, Query), // rebuilds visit anonymous contacts too
						Items(ItemTimer, PutItem),
						// Imports: read the checkpoint, commit it (conditional
						// put), claim each email once per import.
						Items(ItemImport, GetItem, PutItem),
						// Imports: find each row's contact by its email, link
						// a new contact (conditional put).
						Items(ItemIdentity, BatchGetItem, GetItem, PutItem),
						// Exports: read the checkpoint, commit it (conditional put).
						Items(ItemExport, GetItem, PutItem),
						// Suppression backfill: look a page's addresses up on
						// the suppression list.
						Items(ItemSuppression, BatchGetItem),
					},
					// Imported rows go to the processor as identify calls.
					SendsTo: []string{JobsQueue, EventsQueue}, PutsEvents: true, UsesBucket: true,
				},
			},
			{
				Name:        "admin",
				Description: "Admin API: contacts, definitions, sends, users and the audit log, for the admin token and console users by role.",
				MemoryMB:    256,
				TimeoutSec:  15,
				Routes: append([]Route{
					{Method: "GET", Path: "/v1/contacts", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/contacts/{id}", Auth: Admin, Action: ActRead},
					{Method: "PATCH", Path: "/v1/contacts/{id}", Auth: Admin, Action: ActWrite},
					{Method: "DELETE", Path: "/v1/contacts/{id}", Auth: Admin, Action: ActWrite},
					{Method: "GET", Path: "/v1/contacts/{id}/timeline", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/contacts/{id}/messages", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/contacts/{id}/export", Auth: Admin, Action: ActReadPersonalData},
					{Method: "POST", Path: "/v1/contacts/{id}/tags", Auth: Admin, Action: ActWrite},
					{Method: "DELETE", Path: "/v1/contacts/{id}/tags/{tag}", Auth: Admin, Action: ActWrite},
					{Method: "GET", Path: "/v1/sites", Auth: Admin, Action: ActRead},
					{Method: "PUT", Path: "/v1/sites/{key}", Auth: Admin, Action: ActWrite},
					{Method: "GET", Path: "/v1/contacts/{id}/score", Auth: Admin, Action: ActRead},
					{Method: "PUT", Path: "/v1/contacts/{id}/stage", Auth: Admin, Action: ActWrite},
					{Method: "POST", Path: "/v1/templates/{id}/preview", Auth: Admin, Action: ActRead},
					{Method: "POST", Path: "/v1/templates/{id}/test", Auth: Admin, Action: ActWrite},
					{Method: "POST", Path: "/v1/messages", Auth: Admin, Action: ActWrite},
					{Method: "GET", Path: "/v1/messages/{sendId}", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/users", Auth: Admin, Action: ActAdminOnly},
					{Method: "POST", Path: "/v1/users", Auth: Admin, Action: ActAdminOnly},
					{Method: "PATCH", Path: "/v1/users/{id}", Auth: Admin, Action: ActAdminOnly},
					{Method: "DELETE", Path: "/v1/users/{id}", Auth: Admin, Action: ActAdminOnly},
					{Method: "GET", Path: "/v1/audit", Auth: Admin, Action: ActRead},
					{Method: "POST", Path: "/v1/imports", Auth: Admin, Action: ActWrite},
					{Method: "GET", Path: "/v1/imports", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/imports/{id}", Auth: Admin, Action: ActRead},
					{Method: "POST", Path: "/v1/imports/{id}/start", Auth: Admin, Action: ActWrite},
					// The error report repeats the file's emails: personal data.
					{Method: "GET", Path: "/v1/imports/{id}/errors", Auth: Admin, Action: ActReadPersonalData},
					// Exports carry members' personal data: starting one and
					// fetching its link are personal-data reads (audited).
					{Method: "POST", Path: "/v1/exports", Auth: Admin, Action: ActReadPersonalData},
					{Method: "GET", Path: "/v1/exports/{id}", Auth: Admin, Action: ActReadPersonalData},
					// The list shows definitions and counts, no download links.
					{Method: "GET", Path: "/v1/exports", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/scoring/rescore", Auth: Admin, Action: ActRead},
					// Segments and lists (their definitions are DefinitionRoutes).
					{Method: "GET", Path: "/v1/segments/{id}/members", Auth: Admin, Action: ActRead},
					{Method: "POST", Path: "/v1/segments/preview", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/lists/{id}/members", Auth: Admin, Action: ActRead},
					{Method: "POST", Path: "/v1/lists/{id}/members", Auth: Admin, Action: ActWrite},
					{Method: "DELETE", Path: "/v1/lists/{id}/members", Auth: Admin, Action: ActWrite},
					{Method: "GET", Path: "/v1/reports/overview", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/reports/funnel", Auth: Admin, Action: ActRead},
					// Journeys beyond the registry's own routes (shared/fn/adminfn/journeys.go).
					{Method: "POST", Path: "/v1/journeys/{id}/publish", Auth: Admin, Action: ActWrite},
					{Method: "POST", Path: "/v1/journeys/{id}/pause", Auth: Admin, Action: ActWrite},
					{Method: "POST", Path: "/v1/journeys/{id}/resume", Auth: Admin, Action: ActWrite},
					{Method: "POST", Path: "/v1/journeys/{id}/simulate", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/journeys/{id}/steps", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/journeys/{id}/steps/{step}/contacts", Auth: Admin, Action: ActRead},
					// The one-off backfill of Profile.Suppressed (shared/suppression).
					{Method: "POST", Path: "/v1/suppressions/backfill", Auth: Admin, Action: ActAdminOnly},
					{Method: "GET", Path: "/v1/suppressions/backfill", Auth: Admin, Action: ActRead},
					{Method: "GET", Path: "/v1/contacts/{id}/journeys", Auth: Admin, Action: ActRead},
					{Method: "POST", Path: "/v1/contacts/{id}/journeys/{runId}/stop", Auth: Admin, Action: ActWrite},
				}, append(DefinitionRoutes(), CampaignRoutes()...)...),
				Access: Access{
					Items: []ItemAccess{
						// Contacts: read, edit, timeline; erase deletes in batches;
						// an operator's stop records the run (its C# run record).
						Items(ItemContact, GetItem, BatchGetItem, Query, PutItem, BatchWriteItem, UpdateItem),
						// Look up by email, link a changed email, erase the links.
						Items(ItemIdentity, GetItem, BatchGetItem, PutItem, BatchWriteItem),
						Items(ItemSite, GetItem, BatchGetItem, PutItem),
						// Definitions: read, save (a transaction of two puts), history.
						Items(ItemDefinition, GetItem, BatchGetItem, PutItem, Query),
						// Overrides saved before the registry: read, then migrated.
						Items(ItemForm, GetItem, DeleteItem),
						Items(ItemTemplate, GetItem, DeleteItem),
						Items(ItemConfig, GetItem, DeleteItem),
						// A send; a contact's sends (the messages index, then a batch read).
						Items(ItemSend, GetItem, BatchGetItem),
						Items(IndexMessages, Query),
						Items(ItemIdemKey, PutItem),
						// The audit log: each change is written under three partitions.
						Items(ItemAudit, BatchWriteItem, Query),
						// A re-score's progress: started here, read by the console.
						Items(ItemJobRun, GetItem, PutItem),
						// Reports: read the daily counters and the circuit
						// breaker's window; count stage moves made by hand.
						Items(ItemReport, BatchGetItem, UpdateItem),
						Items(ItemMailStats, BatchGetItem),
						Items(IndexContacts, Query), Items(IndexSites, Query),
						Items(IndexDefinitions, Query), Items(IndexForms, Query), Items(IndexTemplates, Query),
						// Imports: create, start (conditional put), read, list.
						Items(ItemImport, GetItem, PutItem), Items(IndexImports, Query),
						// Exports: create, read, list (newest first by the index).
						Items(ItemExport, GetItem, PutItem, BatchGetItem), Items(IndexExports, Query),
						// Segments and lists: members (transactions of a conditional
						// put or delete and a counter update), counts, build state,
						// recheck timers after an edit; journeys: resume
						// timers, and a stopped run's wake-up cancelled.
						Items(ItemMember, PutItem, DeleteItem, Query, GetItem),
						Items(ItemMemberCount, UpdateItem, Query, PutItem),
						Items(ItemTimer, PutItem, BatchWriteItem),
						// Journeys: step counts (runs are C# items; an operator's
						// stop counts its run and takes it off its planned day),
						// and the runs at a step (the index, then their profiles).
						Items(ItemJourneyStats, Query, UpdateItem), Items(IndexJourneySteps, Query),
						// Resume: the held runs, each unlisted once its wake-up is stored.
						Items(ItemJourneyHeld, Query, DeleteItem),
						// Campaigns: state (read, compare-and-set), runs, results.
						Items(ItemCampaign, GetItem, BatchGetItem, PutItem, Query),
						Items(ItemCampaignStats, Query),
					},
					SendsTo: []string{JobsQueue, RoutingQueue, SendsQueue, CampaignsQueue}, SignsLinks: true, ManagesUsers: true, PutsEvents: true, UsesBucket: true,
					ManagesSchedules: true,
				},
			},
			{
				Name:        "campaigns",
				Description: "Campaign firings and fan-out: one page of the audience per message, queued as sends from a checkpoint; A/B decisions; recipient-time waves.",
				MemoryMB:    256,
				TimeoutSec:  30,
				Queue:       &QueueTrigger{Queue: CampaignsQueue, BatchSize: 1},
				Access: Access{
					Items: []ItemAccess{
						// State and checkpoints: read, compare-and-set;
						// recipient-time waves: chunks put at fan-out,
						// queried when the zone's wave fires.
						Items(ItemCampaign, GetItem, PutItem, Query),
						// One wave timer per zone of a recipient-time send.
						Items(ItemTimer, PutItem),
						Items(ItemCampaignStats, UpdateItem, Query),
						Items(ItemDefinition, GetItem), // the campaign (cached)
						// The audience, page by page from each segment's and
						// list's member index; exclusions are keyed reads of
						// the page's member items; recipient-time sends read
						// the page's profiles for their zones.
						Items(ItemMember, Query, BatchGetItem),
						Items(ItemContact, BatchGetItem),
					},
					SendsTo:          []string{CampaignsQueue, SendsQueue},
					ManagesSchedules: true,
				},
			},
			{
				Name:        "timers",
				Description: "Every minute: fires the timers whose due-time bucket has come (journey waits, scheduled sends, recipient-time campaign waves).",
				MemoryMB:    256,
				TimeoutSec:  50,
				Schedules:   []Schedule{{Name: "timers-tick", Expression: "rate(1 minute)", EverySeconds: 60}},
				Access: Access{
					Items: []ItemAccess{
						// Read due buckets, mark how far each shard fired
						// (late shards: delete fired timers).
						Items(ItemTimer, Query, BatchWriteItem),
						Items(ItemTimerMark, Query, PutItem),
						Items(ItemTimerCursor, GetItem, PutItem),
					},
					// Contacts' timers to the events queue, campaign
					// waves to the campaigns queue.
					SendsTo: []string{EventsQueue, CampaignsQueue},
				},
			},
		},
	}
}

// Function returns the named function.
func (c Catalog) Function(name string) (Function, bool) {
	for _, f := range c.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// QueueByName returns the named queue.
func (c Catalog) QueueByName(name string) (Queue, bool) {
	for _, q := range c.Queues {
		if q.Name == name {
			return q, true
		}
	}
	return Queue{}, false
}

// Validate checks the catalog is self-consistent: unique names and routes,
// every referenced queue exists, visibility timeouts cover consumer timeouts.
func (c Catalog) Validate() error {
	var problems []string
	names := map[string]bool{}
	routes := map[string]string{}
	for _, f := range c.Functions {
		if f.Name == "" || strings.ContainsAny(f.Name, " /") {
			problems = append(problems, fmt.Sprintf("function name %q is not a folder name", f.Name))
		}
		if names[f.Name] {
			problems = append(problems, fmt.Sprintf("function %q listed twice", f.Name))
		}
		names[f.Name] = true
		triggers := 0
		if len(f.Routes) > 0 {
			triggers++
		}
		if f.Queue != nil {
			triggers++
		}
		if len(f.Schedules) > 0 || len(f.Events) > 0 {
			triggers++
		}
		if triggers != 1 {
			// One trigger kind per function keeps each handler's event type single.
			problems = append(problems, fmt.Sprintf("function %q must have exactly one kind of trigger, has %d", f.Name, triggers))
		}
		for _, r := range f.Routes {
			if other, dup := routes[r.Key()]; dup {
				problems = append(problems, fmt.Sprintf("route %q served by both %s and %s", r.Key(), other, f.Name))
			}
			routes[r.Key()] = f.Name
			if r.Auth != Public && r.Auth != Admin {
				problems = append(problems, fmt.Sprintf("route %q has unknown auth %q", r.Key(), r.Auth))
			}
			if _, ok := r.Action.MinRole(); r.Auth == Admin && !ok {
				// An admin route without a class would be callable by no
				// one, or (worse, in a careless check) by anyone signed in.
				problems = append(problems, fmt.Sprintf("admin route %q has no known action class (%q)", r.Key(), r.Action))
			}
		}
		if f.Queue != nil {
			q, ok := c.QueueByName(f.Queue.Queue)
			if !ok {
				problems = append(problems, fmt.Sprintf("function %q consumes unknown queue %q", f.Name, f.Queue.Queue))
			} else if q.VisibilityTimeoutSeconds < 6*f.TimeoutSec {
				problems = append(problems, fmt.Sprintf("queue %q visibility %ds is under 6x %s's timeout %ds", q.Name, q.VisibilityTimeoutSeconds, f.Name, f.TimeoutSec))
			}
			if f.Queue.BatchSize < 1 || f.Queue.BatchSize > 10000 {
				problems = append(problems, fmt.Sprintf("function %q batch size %d out of range", f.Name, f.Queue.BatchSize))
			}
		}
		problems = append(problems, f.Access.validateItems(f.Name)...)
		for _, q := range f.Access.SendsTo {
			if _, ok := c.QueueByName(q); !ok {
				problems = append(problems, fmt.Sprintf("function %q sends to unknown queue %q", f.Name, q))
			}
		}
		for _, s := range f.Schedules {
			if s.EverySeconds <= 0 || !strings.HasPrefix(s.Expression, "rate(") && !strings.HasPrefix(s.Expression, "cron(") {
				problems = append(problems, fmt.Sprintf("schedule %q needs an expression and a local period", s.Name))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("catalog: %s", strings.Join(problems, "; "))
	}
	return nil
}

// RouteMatch finds the function and route for a request method and path,
// returning the path parameters, the way API Gateway matches route keys.
func (c Catalog) RouteMatch(method, path string) (Function, Route, map[string]string, bool) {
	var fallback *Function
	for i, f := range c.Functions {
		for _, r := range f.Routes {
			if r == DefaultRoute {
				fallback = &c.Functions[i]
				continue
			}
			if r.Method != method {
				continue
			}
			if params, ok := matchPath(r.Path, path); ok {
				return f, r, params, true
			}
		}
	}
	if fallback != nil {
		return *fallback, DefaultRoute, nil, true
	}
	return Function{}, Route{}, nil, false
}

func matchPath(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			if i >= len(xs) {
				return nil, false
			}
			params[strings.TrimSuffix(strings.TrimPrefix(p, "{"), "+}")] = strings.Join(xs[i:], "/")
			return params, true
		}
		if i >= len(xs) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return nil, false
			}
			params[strings.Trim(p, "{}")] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	if len(xs) != len(ps) {
		return nil, false
	}
	return params, true
}
