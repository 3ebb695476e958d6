package catalog

// Resources are the names and addresses of what a deployment (or a local
// run) created; Env turns them into a function's environment.
type Resources struct {
	Table          string
	QueueURLs      map[string]string
	AdminTokenHash string
	EventBusName   string
	SESConfigSet   string
	LogLevel       string
	// WebhookURLs is a comma-separated list of endpoints for lead.qualified.
	WebhookURLs   string
	WebhookSecret string
	// SigningSecrets sign email links; PublicBaseURL is where they point.
	SigningSecrets string
	PublicBaseURL  string
	// RateLimitSecret keys the rate-limit counters' hashes.
	RateLimitSecret string
	// UserPoolID, UserPoolIssuer and UserPoolClientID: the console's user
	// pool; empty means only the machine admin token is accepted.
	UserPoolID, UserPoolIssuer, UserPoolClientID string
	// Bucket holds imported files, error reports and exports.
	Bucket string
	// Campaign schedules (EventBridge Scheduler).
	ScheduleGroup, SchedulerRoleARN, CampaignsQueueARN, SchedulerDLQARN string
}

// Env is the environment a function gets, in the stack and locally alike:
// each function sees only the resources its Access names.
func (f Function) Env(r Resources) map[string]string {
	env := map[string]string{}
	if r.LogLevel != "" {
		env[EnvLogLevel] = r.LogLevel
	}
	if f.Access.UsesTable() {
		env[EnvTableName] = r.Table
	}
	for _, q := range f.Access.SendsTo {
		env[QueueURLEnv(q)] = r.QueueURLs[q]
	}
	if f.Access.PutsEvents {
		env[EnvEventBusName] = r.EventBusName
	}
	if f.Access.SendsEmail {
		env[EnvSESConfigSet] = r.SESConfigSet
	}
	if f.Access.WebhookTargets {
		env[EnvWebhookURLs] = r.WebhookURLs
	}
	if f.Access.SignsLinks {
		env[EnvSigningSecrets] = r.SigningSecrets
		env[EnvPublicBaseURL] = r.PublicBaseURL
	}
	if f.Access.SignsWebhooks {
		env[EnvWebhookSecret] = r.WebhookSecret
	}
	if f.Access.KeysRateLimits {
		env[EnvRateLimitSecret] = r.RateLimitSecret
	}
	if f.ServesAdmin() {
		env[EnvAdminTokenSHA256] = r.AdminTokenHash
		env[EnvUserPoolIssuer] = r.UserPoolIssuer
		env[EnvUserPoolClientID] = r.UserPoolClientID
	}
	if f.Access.ManagesUsers {
		env[EnvUserPoolID] = r.UserPoolID
	}
	if f.Access.UsesBucket {
		env[EnvBucketName] = r.Bucket
	}
	if f.Access.ManagesSchedules {
		env[EnvScheduleGroup] = r.ScheduleGroup
		env[EnvSchedulerRoleARN] = r.SchedulerRoleARN
		env[EnvCampaignsQueueARN] = r.CampaignsQueueARN
		env[EnvSchedulerDLQARN] = r.SchedulerDLQARN
	}
	return env
}

// ServesAdmin reports whether any of the function's routes is an admin route.
func (f Function) ServesAdmin() bool {
	for _, r := range f.Routes {
		if r.Auth == Admin {
			return true
		}
	}
	return false
}
