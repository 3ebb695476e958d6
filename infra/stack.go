package main

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/sesevent"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/webhook"
)

// LeadflowStackProps configures the Leadflow stack.
type LeadflowStackProps struct {
	awscdk.StackProps
	// AssetDir holds one folder per catalog function, each with a `bootstrap`
	// binary (what `make build` writes to .build/functions/<name>/bootstrap).
	AssetDir string
	// Catalog replaces catalog.Load(). The app leaves it nil; tests set it to
	// cover access kinds (email, events) no current function uses yet.
	Catalog *catalog.Catalog
	// ConsoleDir is the built console (console/dist); "" deploys none.
	ConsoleDir string
	// Campaigns replaces the repo's campaigns (definitions/campaigns), whose
	// schedules the stack creates; Now is the synth time they are compared
	// with (zero: time.Now). Tests set both.
	Campaigns *[]campaign.Campaign
	Now       time.Time
}

// Context keys read by the stack (cdk.json "context" or `cdk -c key=value`).
const (
	ctxDeletionProtection = "deletionProtection"
	ctxSESIdentity        = "sesIdentity"
	ctxAlarmEmail         = "alarmEmail"
	ctxLogRetentionDays   = "logRetentionDays"
	ctxAssetDir           = "assetDir"
	ctxWebhookURLs        = "webhookUrls"
	// ctxPublicBaseURL is where email links point (a custom domain for the
	// API); the API's own endpoint when unset.
	ctxPublicBaseURL = "publicBaseUrl"
	// ctxSESMaxSendRate caps the sender below the account's SES maximum
	// send rate (messages per second), e.g. to leave room for another
	// application on the same account. Unset: the account's rate, read
	// from SES at each cold start.
	ctxSESMaxSendRate = "sesMaxSendRate"
	// ctxTableBilling is "on-demand" (the default) or "provisioned":
	// provisioned capacity with target-tracking auto-scaling, cheaper than
	// on-demand above about 29% average utilisation (BENCHMARKS.md,
	// "Provisioned capacity").
	ctxTableBilling = "tableBilling"
)

// Provisioned capacity (-c tableBilling=provisioned): the table and its
// index each scale reads and writes between these bounds, keeping
// utilisation near the target; the headroom absorbs bursts while scaling
// catches up (it reacts in minutes).
const (
	provisionedMinCapacity       = 5
	provisionedMaxCapacity       = 4000
	provisionedTargetUtilization = 70
)

// Names shared with the functions and the tests.
const (
	adminTokenParameter = "AdminTokenSha256"
	gsi1Name            = dynamo.GSI1Name
	ttlAttribute        = dynamo.TTLAttribute
	dlqRetentionDays    = 14
	// The whole API is capped here so a runaway client cannot run up a bill;
	// raise it for sites with more traffic (clients batch events, so one
	// request usually carries many).
	apiRateLimit  = 500
	apiBurstLimit = 1000
)

// webhookSecretParameter holds the key that signs webhooks. It reaches the
// function as an environment variable: Secrets Manager would cost $0.40 a
// month and a call per cold start for one static value.
const (
	webhookSecretParameter = "WebhookSigningSecret"
	webhookSecretMinLength = 32
)

// linkSecretsParameter holds the secrets that sign email links
// (unsubscribe, preferences, open, click, confirm), newest first. Like the
// webhook key it reaches the functions as an environment variable.
const linkSecretsParameter = "LinkSigningSecrets"

// rateLimitSecretID is the construct id of the generated rate-limit key.
const rateLimitSecretID = "RateLimitSecret"

// settings are the context values, parsed once.
type settings struct {
	deletionProtection bool
	sesIdentity        string
	alarmEmail         string
	logRetention       awslogs.RetentionDays
	// webhookURLs is the comma-separated endpoint list, checked at synth.
	webhookURLs string
	// publicBaseURL is where email links point; "" uses the API endpoint.
	publicBaseURL string
	// sesMaxSendRate is SES_MAX_SEND_RATE for functions that send email
	// ("" leaves it unset).
	sesMaxSendRate string
	// provisionedTable bills the table by provisioned, auto-scaled capacity.
	provisionedTable bool
}

// repoCampaigns are the campaigns kept in the repo (validated by main).
func repoCampaigns(props *LeadflowStackProps) []campaign.Campaign {
	if props.Campaigns != nil {
		return *props.Campaigns
	}
	cs, err := definitions.RepoCampaigns()
	if err != nil {
		panic(fmt.Sprintf("leadflow stack: repo campaigns: %v", err))
	}
	return cs
}

func synthTime(props *LeadflowStackProps) time.Time {
	if !props.Now.IsZero() {
		return props.Now
	}
	return time.Now()
}

// NewLeadflowStack builds every resource from catalog.Load(): one Lambda per
// catalog function with its routes, queue, schedules and event rules, and the
// IAM grants its Access asks for.
func NewLeadflowStack(scope constructs.Construct, id string, props *LeadflowStackProps) awscdk.Stack {
	if props == nil {
		props = &LeadflowStackProps{}
	}
	sprops := props.StackProps
	stack := awscdk.NewStack(scope, jsii.String(id), &sprops)

	cat := catalog.Load()
	if props.Catalog != nil {
		cat = *props.Catalog
	}
	if err := cat.Validate(); err != nil {
		panic(err)
	}
	if err := checkAssets(props.AssetDir, cat); err != nil {
		panic(err)
	}
	cfg, err := readSettings(stack.Node())
	if err != nil {
		panic(err)
	}

	b := &builder{stack: stack, cat: cat, cfg: cfg, assetDir: props.AssetDir,
		functions: map[string]awslambda.Function{}, queues: map[string]awssqs.Queue{}, dlqs: map[string]awssqs.Queue{}}
	b.removal = awscdk.RemovalPolicy_RETAIN
	if !cfg.deletionProtection {
		b.removal = awscdk.RemovalPolicy_DESTROY
	}

	b.addTable()
	b.addQueues()
	b.addCampaignScheduling()
	b.addRepoCampaignSchedules(repoCampaigns(props), synthTime(props))
	b.addEventBus()
	b.addEmail()
	b.addAdminToken()
	b.addUserPool()
	b.addWebhookSecret()
	b.addLinkSecrets()
	b.addRateLimitSecret()
	b.addAlarmTopic()
	b.addFilesBucket()
	// The API exists before the functions: those that sign email links
	// point them at its endpoint.
	b.newAPI()
	for _, f := range cat.Functions {
		b.addFunction(f)
	}
	b.addAPI()
	b.addConsole(props.ConsoleDir)
	b.addAlarms()
	b.addOutputs()
	return stack
}

// builder carries what the parts of the stack share while it is built.
type builder struct {
	stack    awscdk.Stack
	cat      catalog.Catalog
	cfg      settings
	assetDir string
	removal  awscdk.RemovalPolicy

	table  awsdynamodb.Table
	queues map[string]awssqs.Queue
	dlqs   map[string]awssqs.Queue
	// ruleDLQs catch events a rule could not deliver to its function.
	ruleDLQs   map[string]awssqs.Queue
	bus        awsevents.EventBus
	configSet  awsses.ConfigurationSet
	identity   awsses.EmailIdentity
	adminToken awscdk.CfnParameter
	// userPool and userPoolClient sign console users in (nil without
	// admin routes).
	userPool       awscognito.UserPool
	userPoolClient awscognito.UserPoolClient
	topic          awssns.Topic
	functions      map[string]awslambda.Function
	stage          awsapigatewayv2.HttpStage
	api            awsapigatewayv2.HttpApi

	// webhookSecret is nil when no function signs webhooks.
	webhookSecret awscdk.CfnParameter
	// linkSecrets is nil when no function signs email links.
	linkSecrets awscdk.CfnParameter
	// rateLimitSecret is nil when no function counts rate limits.
	rateLimitSecret awssecretsmanager.Secret
	// files holds CSV imports and exports (nil when no function uses it).
	files awss3.Bucket
	// campaignSchedules is nil when no function manages campaign schedules.
	campaignSchedules *campaignScheduling
}

func (b *builder) addTable() {
	billing, capacity := awsdynamodb.BillingMode_PAY_PER_REQUEST, (*float64)(nil)
	if b.cfg.provisionedTable {
		billing, capacity = awsdynamodb.BillingMode_PROVISIONED, jsii.Number(provisionedMinCapacity)
	}
	b.table = awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(dynamo.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(dynamo.SortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         billing,
		ReadCapacity:        capacity,
		WriteCapacity:       capacity,
		TimeToLiveAttribute: jsii.String(ttlAttribute),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(b.cfg.deletionProtection),
		RemovalPolicy:      b.removal,
		Encryption:         awsdynamodb.TableEncryption_DEFAULT, // AWS-owned key: no KMS requests billed
	})
	b.table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:    jsii.String(gsi1Name),
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(dynamo.GSI1PK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(dynamo.GSI1SK), Type: awsdynamodb.AttributeType_STRING},
		// Keys only: profiles are rewritten on every batch, and a projected
		// copy would double each write; readers fetch items by key instead.
		ProjectionType: awsdynamodb.ProjectionType_KEYS_ONLY,
		ReadCapacity:   capacity,
		WriteCapacity:  capacity,
	})
	if b.cfg.provisionedTable {
		limits := &awsdynamodb.EnableScalingProps{MinCapacity: jsii.Number(provisionedMinCapacity), MaxCapacity: jsii.Number(provisionedMaxCapacity)}
		target := &awsdynamodb.UtilizationScalingProps{TargetUtilizationPercent: jsii.Number(provisionedTargetUtilization)}
		b.table.AutoScaleReadCapacity(limits).ScaleOnUtilization(target)
		b.table.AutoScaleWriteCapacity(limits).ScaleOnUtilization(target)
		b.table.AutoScaleGlobalSecondaryIndexReadCapacity(jsii.String(gsi1Name), limits).ScaleOnUtilization(target)
		b.table.AutoScaleGlobalSecondaryIndexWriteCapacity(jsii.String(gsi1Name), limits).ScaleOnUtilization(target)
	}
}

func (b *builder) addQueues() {
	for _, q := range b.cat.Queues {
		id := camel(q.Name) + "Queue"
		dlq := awssqs.NewQueue(b.stack, jsii.String(camel(q.Name)+"DeadLetterQueue"), &awssqs.QueueProps{
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
			Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:      jsii.Bool(true),
			RemovalPolicy:   b.removal,
		})
		cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("Serverless-SQSRedrivePolicy"),
			Reason: jsii.String("This is the dead-letter queue of the " + q.Name + " queue: a DLQ of a DLQ would only move failed messages again; " +
				"they stay here 14 days for a redrive, and an alarm fires on the first one."),
		}}, jsii.Bool(true))
		queue := awssqs.NewQueue(b.stack, jsii.String(id), &awssqs.QueueProps{
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(q.VisibilityTimeoutSeconds)),
			RetentionPeriod:   awscdk.Duration_Days(jsii.Number(q.RetentionDays)),
			Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(q.MaxReceiveCount)},
			RemovalPolicy:     b.removal,
		})
		b.queues[q.Name] = queue
		b.dlqs[q.Name] = dlq
	}
}

func (b *builder) addEventBus() {
	// Named after the stack ("Leadflow" gives "leadflow") so two stacks can
	// share an account.
	b.bus = awsevents.NewEventBus(b.stack, jsii.String("EventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(strings.ToLower(*b.stack.StackName())),
		Description:  jsii.String("Leadflow domain events"),
	})
}

func (b *builder) addEmail() {
	b.configSet = awsses.NewConfigurationSet(b.stack, jsii.String("EmailConfigurationSet"), &awsses.ConfigurationSetProps{
		ReputationMetrics:  jsii.Bool(true),
		SuppressionReasons: awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
	})
	// SES only publishes to the default bus; the send/delivery events carry the
	// message tags (send id) that settle a send left in doubt by a crash.
	defaultBus := awsevents.EventBus_FromEventBusName(b.stack, jsii.String("DefaultBus"), jsii.String("default"))
	awsses.NewConfigurationSetEventDestination(b.stack, jsii.String("SesEventsToEventBridge"), &awsses.ConfigurationSetEventDestinationProps{
		ConfigurationSet: b.configSet,
		Destination:      awsses.EventDestination_EventBus(defaultBus),
		// No OPEN or CLICK: publishing them makes SES add its own pixel and
		// rewrite links, doubling Leadflow's own signed tracking.
		Events: &[]awsses.EmailSendingEvent{
			awsses.EmailSendingEvent_SEND,
			awsses.EmailSendingEvent_DELIVERY,
			awsses.EmailSendingEvent_BOUNCE,
			awsses.EmailSendingEvent_COMPLAINT,
			awsses.EmailSendingEvent_REJECT,
			awsses.EmailSendingEvent_DELIVERY_DELAY,
			awsses.EmailSendingEvent_RENDERING_FAILURE,
		},
	})
	if b.cfg.sesIdentity == "" {
		return
	}
	identity := awsses.Identity_Domain(jsii.String(b.cfg.sesIdentity))
	if strings.Contains(b.cfg.sesIdentity, "@") {
		identity = awsses.Identity_Email(jsii.String(b.cfg.sesIdentity))
	}
	b.identity = awsses.NewEmailIdentity(b.stack, jsii.String("SesIdentity"), &awsses.EmailIdentityProps{
		Identity:         identity,
		ConfigurationSet: b.configSet,
	})
	b.identity.ApplyRemovalPolicy(b.removal)
}

func (b *builder) addAdminToken() {
	if !b.anyRoute(catalog.Admin) {
		return
	}
	b.adminToken = awscdk.NewCfnParameter(b.stack, jsii.String(adminTokenParameter), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		NoEcho:                jsii.Bool(true),
		MinLength:             jsii.Number(64),
		MaxLength:             jsii.Number(64),
		AllowedPattern:        jsii.String("^[0-9a-f]{64}$"),
		ConstraintDescription: jsii.String("64 lowercase hex characters: the SHA-256 of the admin token"),
		Description:           jsii.String("SHA-256 (lowercase hex) of the admin bearer token, e.g. printf %s \"$TOKEN\" | sha256sum"),
	})
}

// addUserPool makes the console's user pool: invited users only (no
// self sign-up), email as the user name, one group per role, and the
// console's app client (a browser app: no secret).
func (b *builder) addUserPool() {
	if !b.anyRoute(catalog.Admin) {
		return
	}
	b.userPool = awscognito.NewUserPool(b.stack, jsii.String("ConsoleUsers"), &awscognito.UserPoolProps{
		SelfSignUpEnabled: jsii.Bool(false),
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		AccountRecovery:   awscognito.AccountRecovery_EMAIL_ONLY,
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(7)),
		},
		Mfa:             awscognito.Mfa_OPTIONAL,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		UserInvitation: &awscognito.UserInvitationConfig{
			EmailSubject: jsii.String("Your Leadflow console account"),
			EmailBody:    jsii.String("You have been invited to the Leadflow console. Sign in with {username} and the temporary password {####}; you will choose your own password."),
		},
		DeletionProtection: jsii.Bool(b.cfg.deletionProtection),
		RemovalPolicy:      b.removal,
	})
	b.userPoolClient = b.userPool.AddClient(jsii.String("ConsoleClient"), &awscognito.UserPoolClientOptions{
		UserPoolClientName:         jsii.String("console"),
		GenerateSecret:             jsii.Bool(false),
		AuthFlows:                  &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true)},
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Hours(jsii.Number(12)),
		DisableOAuth:               jsii.Bool(true),
	})
	for i, r := range catalog.Roles() {
		awscognito.NewUserPoolGroup(b.stack, jsii.String("Role"+camel(string(r))), &awscognito.UserPoolGroupProps{
			UserPool: b.userPool, GroupName: jsii.String(string(r)),
			Description: jsii.String("Console role " + string(r) + " (see shared/catalog/roles.go)"),
			// Lower precedence wins in Cognito: admin is the most allowed.
			Precedence: jsii.Number(float64(len(catalog.Roles()) - i)),
		})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(b.userPool, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-COG2"), Reason: jsii.String("MFA is optional (TOTP) rather than required: accounts are invited by an admin, " +
			"the password policy is 12+ characters with all classes, and tokens last an hour. Set Mfa to REQUIRED for teams that must.")},
		{Id: jsii.String("AwsSolutions-COG3"), Reason: jsii.String("Threat protection (advanced security) needs the Plus feature plan, billed per active user; " +
			"a small invited team gets the optional MFA and strict password policy instead.")},
		{Id: jsii.String("AwsSolutions-COG8"), Reason: jsii.String("Plus feature plan not used: its threat protection is priced per user for an invite-only console; see COG3.")},
	}, jsii.Bool(true))
}

func (b *builder) addWebhookSecret() {
	signs := false
	for _, f := range b.cat.Functions {
		signs = signs || f.Access.SignsWebhooks
	}
	if !signs {
		return
	}
	b.webhookSecret = awscdk.NewCfnParameter(b.stack, jsii.String(webhookSecretParameter), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		NoEcho:                jsii.Bool(true),
		MinLength:             jsii.Number(webhookSecretMinLength),
		MaxLength:             jsii.Number(256),
		AllowedPattern:        jsii.String("^[\\x21-\\x7e]+$"),
		ConstraintDescription: jsii.String("at least 32 printable characters without spaces, e.g. openssl rand -hex 32"),
		Description:           jsii.String("Key that signs webhooks (HMAC-SHA256, Leadflow-Signature header); receivers verify with the same value. Generate with: openssl rand -hex 32"),
	})
}

func (b *builder) addLinkSecrets() {
	signs := false
	for _, f := range b.cat.Functions {
		signs = signs || f.Access.SignsLinks
	}
	if !signs {
		return
	}
	b.linkSecrets = awscdk.NewCfnParameter(b.stack, jsii.String(linkSecretsParameter), &awscdk.CfnParameterProps{
		Type:   jsii.String("String"),
		NoEcho: jsii.Bool(true),
		// Each secret at least 32 printable characters (no spaces or
		// commas); several are comma-separated.
		MinLength:             jsii.Number(32),
		MaxLength:             jsii.Number(1024),
		AllowedPattern:        jsii.String("^[\\x21-\\x2b\\x2d-\\x7e]{32,}(,[\\x21-\\x2b\\x2d-\\x7e]{32,})*$"),
		ConstraintDescription: jsii.String("one or more comma-separated secrets of at least 32 printable characters, e.g. openssl rand -hex 32"),
		Description: jsii.String("Secrets that sign email links (unsubscribe, preferences, tracking, confirmation), newest first, comma-separated. " +
			"To rotate, put a new one first and keep the old ones: unsubscribe links in old mail must keep working. Generate with: openssl rand -hex 32"),
	})
}

// addRateLimitSecret generates the key of the rate-limit counters' HMACs
// (RATE_LIMIT_SECRET). Unlike the other secrets nobody outside needs its
// value, so the stack makes it: Secrets Manager generates it at the first
// deploy and CloudFormation resolves it into the function's environment (a
// dynamic reference), so the function reads it once at cold start with no
// Secrets Manager call and no SDK client for it. It never appears in the
// template. Losing or changing it only restarts the counters, which live an
// hour or a day, so it is destroyed with the stack.
func (b *builder) addRateLimitSecret() {
	keys := false
	for _, f := range b.cat.Functions {
		keys = keys || f.Access.KeysRateLimits
	}
	if !keys {
		return
	}
	b.rateLimitSecret = awssecretsmanager.NewSecret(b.stack, jsii.String(rateLimitSecretID), &awssecretsmanager.SecretProps{
		Description: jsii.String("Leadflow: key of the HMACs that name form rate-limit counters (IP addresses, emails). Generated; nobody needs to read it."),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(b.rateLimitSecret, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("Keys only the HMACs of rate-limit counters that expire within a day; rotating it would only restart the counters, " +
			"and CloudFormation resolves it into the function's environment at deploy, so a rotation Lambda would change nothing until the next deploy."),
	}}, jsii.Bool(true))
}

func (b *builder) addAlarmTopic() {
	b.topic = awssns.NewTopic(b.stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Leadflow alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	if b.cfg.alarmEmail != "" {
		b.topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.cfg.alarmEmail), nil))
	}
}

func (b *builder) addFunction(f catalog.Function) {
	id := camel(f.Name)
	logGroup := awslogs.NewLogGroup(b.stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     b.cfg.logRetention,
		RemovalPolicy: b.removal,
	})
	// An explicit role instead of the default one keeps the AWS-managed
	// AWSLambdaBasicExecutionRole (logs on every log group) off the function.
	role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Leadflow " + f.Name + " function"),
	})
	logGroup.GrantWrite(role)

	fprops := &awslambda.FunctionProps{
		Description:  jsii.String(f.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(b.assetDir, f.Name)), nil),
		MemorySize:   jsii.Number(f.MemoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(f.TimeoutSec)),
		Environment:  b.environment(f),
		Role:         role,
		LogGroup:     logGroup,
		// The functions log JSON through log/slog; Lambda filters by its
		// "level". System logs at WARN drop the START/END/REPORT lines
		// (about 600 bytes per invocation, $0.30 per million requests);
		// duration and memory are in the free Lambda metrics.
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
	}
	var eventsDLQ awssqs.Queue
	if len(f.Events) > 0 {
		// EventBridge invokes the function asynchronously: once Lambda has
		// the event, a function error is retried twice by Lambda, then the
		// event would be dropped. This queue keeps it, and also takes what
		// the rules could not deliver (a lost bounce or complaint would
		// mean mailing a suppressed address).
		eventsDLQ = b.addEventsDLQ(f)
		fprops.DeadLetterQueue = eventsDLQ
	}
	if len(f.Schedules) > 0 {
		// A failed tick is redone by the next one; an async retry would
		// only overlap it.
		fprops.RetryAttempts = jsii.Number(0)
		fprops.MaxEventAge = awscdk.Duration_Seconds(jsii.Number(clamp(minSchedulePeriod(f), 60, 6*3600)))
	}
	fn := awslambda.NewFunction(b.stack, jsii.String(id+"Function"), fprops)
	b.functions[f.Name] = fn

	b.grant(f, fn, role)
	b.addQueueTrigger(f, fn)
	b.addSchedules(f, fn)
	b.addEventRules(f, fn, eventsDLQ)
	b.suppressServerlessFindings(f, fn)
}

// suppressServerlessFindings answers cdk-nag's Serverless pack for one
// function, with reasons that hold for this function's trigger.
func (b *builder) suppressServerlessFindings(f catalog.Function, fn awslambda.Function) {
	s := []*cdknag.NagPackSuppression{{
		Id: jsii.String("Serverless-LambdaTracing"),
		Reason: jsii.String("X-Ray is off on purpose: it bills $5 per million traces, more than the whole pipeline's $0.40 per million events budget; " +
			"the functions log JSON with the request id, and Lambda's free metrics give duration and errors."),
	}}
	switch {
	case len(f.Routes) > 0:
		s = append(s, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("Invoked only synchronously, by the HTTP API: a failure answers the caller (5xx, alarmed); a dead-letter queue applies to asynchronous invocations only."),
		})
	case f.Queue != nil:
		s = append(s, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("Invoked only by its SQS event source mapping (synchronously): a failed message returns to the " + f.Queue.Queue + " queue and moves to that queue's dead-letter queue (redrive policy, alarmed)."),
		}, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaEventSourceMappingDestination"),
			Reason: jsii.String("SQS mapping: Lambda supports on-failure destinations only for stream and Kafka sources; failed messages go to the " + f.Queue.Queue + " queue's dead-letter queue through its redrive policy (alarmed)."),
		})
	case len(f.Schedules) > 0:
		reason := jsii.String("Scheduled every minute with no retries: a failed tick is redone by the next one, which fires every timer bucket after the cursor " +
			"(shared/timer), so a failed invocation carries nothing to keep.")
		s = append(s, &cdknag.NagPackSuppression{Id: jsii.String("Serverless-LambdaDLQ"), Reason: reason},
			&cdknag.NagPackSuppression{Id: jsii.String("Serverless-LambdaAsyncFailureDestination"), Reason: reason})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(fn, &s, jsii.Bool(true))
}

// addEventsDLQ is the dead-letter queue of an event-triggered function: its
// rules' targets and its own asynchronous invocations fail into it.
func (b *builder) addEventsDLQ(f catalog.Function) awssqs.Queue {
	dlq := awssqs.NewQueue(b.stack, jsii.String(camel(f.Name)+"EventsDeadLetterQueue"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   b.removal,
	})
	if b.ruleDLQs == nil {
		b.ruleDLQs = map[string]awssqs.Queue{}
	}
	b.ruleDLQs[f.Name] = dlq
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue of the " + f.Name + " function and of its EventBridge rule targets (cdk-nag only recognises SQS redrive DLQs); it has its own alarm."),
	}, {
		Id:     jsii.String("Serverless-SQSRedrivePolicy"),
		Reason: jsii.String("This queue is itself a dead-letter queue (of the " + f.Name + " function and its rules): its messages stay 14 days for a replay, and an alarm fires on the first one."),
	}}, jsii.Bool(true))
	return dlq
}

// environment is what a function reads once at cold start.
func (b *builder) environment(f catalog.Function) *map[string]*string {
	env := map[string]*string{catalog.EnvLogLevel: jsii.String("INFO")}
	if f.Access.UsesTable() {
		env[catalog.EnvTableName] = b.table.TableName()
	}
	for _, q := range f.Access.SendsTo {
		env[catalog.QueueURLEnv(q)] = b.queues[q].QueueUrl()
	}
	if f.Access.PutsEvents {
		env[catalog.EnvEventBusName] = b.bus.EventBusName()
	}
	if f.Access.SendsEmail {
		env[catalog.EnvSESConfigSet] = b.configSet.ConfigurationSetName()
		if b.cfg.sesMaxSendRate != "" {
			env[senderfn.EnvMaxSendRate] = jsii.String(b.cfg.sesMaxSendRate)
		}
	}
	if servesRoute(f, catalog.Admin) {
		env[catalog.EnvAdminTokenSHA256] = b.adminToken.ValueAsString()
		env[catalog.EnvUserPoolIssuer] = b.userPool.UserPoolProviderUrl()
		env[catalog.EnvUserPoolClientID] = b.userPoolClient.UserPoolClientId()
	}
	if f.Access.ManagesUsers && b.userPool != nil {
		env[catalog.EnvUserPoolID] = b.userPool.UserPoolId()
	}
	if f.Access.WebhookTargets {
		env[catalog.EnvWebhookURLs] = jsii.String(b.cfg.webhookURLs)
	}
	if f.Access.SignsWebhooks {
		env[catalog.EnvWebhookSecret] = b.webhookSecret.ValueAsString()
	}
	if f.Access.SignsLinks {
		env[catalog.EnvSigningSecrets] = b.linkSecrets.ValueAsString()
		env[catalog.EnvPublicBaseURL] = b.publicBaseURL()
	}
	if f.Access.UsesBucket && b.files != nil {
		env[catalog.EnvBucketName] = b.files.BucketName()
	}
	if f.Access.KeysRateLimits {
		// A {{resolve:secretsmanager:...}} reference: CloudFormation puts
		// the value in at deploy; the template holds only the reference.
		env[catalog.EnvRateLimitSecret] = b.rateLimitSecret.SecretValue().UnsafeUnwrap()
	}
	b.campaignScheduleEnv(f, env)
	return &env
}

// publicBaseURL is where email links point: the publicBaseUrl context (a
// custom domain), else the HTTP API's endpoint (its $default stage has no
// path prefix). The function only references the API, and the API's routes
// reference the function through their integrations: no cycle.
func (b *builder) publicBaseURL() *string {
	if b.cfg.publicBaseURL != "" {
		return jsii.String(b.cfg.publicBaseURL)
	}
	if b.api == nil {
		panic("leadflow stack: a function signs email links but there is no HTTP API to serve them; set context " + ctxPublicBaseURL)
	}
	return b.api.ApiEndpoint()
}

func (b *builder) grant(f catalog.Function, fn awslambda.Function, role awsiam.Role) {
	b.grantItems(f, role)
	b.grantFiles(f, fn, role)
	b.grantCampaignSchedules(f, role)
	for _, q := range f.Access.SendsTo {
		b.queues[q].GrantSendMessages(fn)
	}
	if f.Access.PutsEvents {
		b.bus.GrantPutEventsTo(fn, nil)
	}
	if f.Access.ManagesUsers && b.userPool != nil {
		// Exactly what the users API calls, on this pool only.
		b.userPool.Grant(fn, *jsii.Strings("cognito-idp:ListUsers", "cognito-idp:ListUsersInGroup", "cognito-idp:AdminCreateUser",
			"cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser", "cognito-idp:AdminAddUserToGroup",
			"cognito-idp:AdminRemoveUserFromGroup", "cognito-idp:AdminDisableUser")...)
	}
	if f.Access.ManagesSuppression && b.identity != nil {
		// Like sending, only once the stack sends mail (an SES identity).
		// SES's account-level suppression list has no ARN: the action takes
		// no resource-level permission, so "*" is its only resource.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ses:PutSuppressedDestination"),
			Resources: jsii.Strings("*"),
		}))
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("ses:PutSuppressedDestination only: the account-level suppression list has no ARN and the action supports no resource-level permission."),
			AppliesTo: &[]interface{}{"Resource::*"},
		}}, jsii.Bool(true))
	}
	if f.Access.SendsEmail {
		if b.identity == nil {
			awscdk.Annotations_Of(fn).AddWarningV2(jsii.String("leadflow:sesIdentity"), jsii.String(
				"function "+f.Name+" sends email but context sesIdentity is not set: it gets no ses:SendEmail permission"))
			return
		}
		configSetArn := b.stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("ses"),
			Resource:     jsii.String("configuration-set"),
			ResourceName: b.configSet.ConfigurationSetName(),
		})
		// SES authorizes a send against both the identity and the
		// configuration set it names.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ses:SendEmail", "ses:SendRawEmail"),
			Resources: &[]*string{b.identity.EmailIdentityArn(), configSetArn},
		}))
		// The sender paces to the account's maximum send rate, which it
		// reads from the sending quota at cold start.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ses:GetAccount"),
			Resources: jsii.Strings("*"),
		}))
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("ses:GetAccount only (read the sending quota): the account has no ARN and the action supports no resource-level permission."),
			AppliesTo: &[]interface{}{"Resource::*"},
		}}, jsii.Bool(true))
	}
}

// grantItems gives the function the DynamoDB actions its catalog entry
// declares, each limited to the partition keys of the item kinds it names
// (dynamodb:LeadingKeys): the public ingest function cannot read a contact,
// the links function cannot delete one, and nothing may Scan. Index queries
// get their own statement on gsi1, whose partition keys the condition then
// names. No wildcard resource: the table's ARN, and the one index's.
func (b *builder) grantItems(f catalog.Function, role awsiam.Role) {
	policy, err := dynamo.PolicyFor(f.Access.Items)
	if err != nil {
		panic(fmt.Errorf("function %s: %w", f.Name, err))
	}
	for _, st := range policy.Statements() {
		resource := b.table.TableArn()
		if st.Index {
			resource = awscdk.Fn_Join(jsii.String(""), &[]*string{b.table.TableArn(), jsii.String("/index/" + gsi1Name)})
		}
		actions := make([]*string, len(st.Actions))
		for i, a := range st.Actions {
			actions[i] = jsii.String("dynamodb:" + string(a))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   &actions,
			Resources: &[]*string{resource},
			Conditions: &map[string]interface{}{
				"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": st.Patterns},
			},
		}))
	}
}

func (b *builder) addQueueTrigger(f catalog.Function, fn awslambda.Function) {
	if f.Queue == nil {
		return
	}
	props := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(f.Queue.BatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if f.Queue.MaxBatchingWindowSeconds > 0 {
		props.MaxBatchingWindow = awscdk.Duration_Seconds(jsii.Number(f.Queue.MaxBatchingWindowSeconds))
	}
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(b.queues[f.Queue.Queue], props))
}

func (b *builder) addSchedules(f catalog.Function, fn awslambda.Function) {
	for _, s := range f.Schedules {
		id := camel(s.Name) + "Schedule"
		// One role per schedule, so the suppression below names exactly
		// what it covers.
		role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil),
			Description: jsii.String("EventBridge Scheduler invokes " + f.Name + " for " + s.Name),
		})
		awsscheduler.NewSchedule(b.stack, jsii.String(id), &awsscheduler.ScheduleProps{
			Description: jsii.String(s.Name + ": " + f.Name),
			Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(s.Expression), nil),
			Target: awsschedulertargets.NewLambdaInvoke(fn, &awsschedulertargets.ScheduleTargetBaseProps{
				Role:          role,
				RetryAttempts: jsii.Number(2),
				MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(clamp(s.EverySeconds, 60, 86400))),
			}),
		})
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("lambda:InvokeFunction on this one function and its versions/aliases (<fn>:*), as the CDK invoke grant writes it."),
			AppliesTo: &[]interface{}{"Resource::<" + b.logicalID(fn) + ".Arn>:*"},
		}}, jsii.Bool(true))
	}
}

func (b *builder) addEventRules(f catalog.Function, fn awslambda.Function, dlq awssqs.Queue) {
	for _, r := range f.Events {
		pattern := &awsevents.EventPattern{Source: jsii.Strings(r.Source)}
		if len(r.DetailType) > 0 {
			pattern.DetailType = jsii.Strings(r.DetailType...)
		}
		// An event the rule cannot deliver to the function (after
		// EventBridge's retries for up to a day) lands in the function's
		// dead-letter queue, as do invocations the function failed.
		awsevents.NewRule(b.stack, jsii.String(camel(f.Name)+camel(r.Name)+"Rule"), &awsevents.RuleProps{
			Description:  jsii.String(r.Name + ": " + f.Name),
			EventPattern: pattern, // no EventBus: the default bus, where SES and AWS services publish
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: dlq,
				RetryAttempts:   jsii.Number(8),
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
			})},
		})
	}
}

// accessLogSettings implements awsapigatewayv2.IAccessLogSettings.
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

func (s *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return s.destination }
func (s *accessLogSettings) Format() awsapigateway.AccessLogFormat              { return s.format }

// accessLogFormat is one short JSON line per request. No source IP: we do not
// log full IP addresses.
const accessLogFormat = `{"requestId":"$context.requestId","time":"$context.requestTimeEpoch",` +
	`"route":"$context.routeKey","status":"$context.status","bytes":"$context.responseLength",` +
	`"latency":"$context.responseLatency","integrationError":"$context.integrationErrorMessage"}`

func (b *builder) newAPI() {
	if !b.anyRoute(catalog.Public) && !b.anyRoute(catalog.Admin) {
		return
	}
	// No CORS here: the ingest function answers OPTIONS itself, because the
	// allowed origins depend on the site key.
	b.api = awsapigatewayv2.NewHttpApi(b.stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("Leadflow tracking and admin API"),
		CreateDefaultStage: jsii.Bool(false),
	})
}

func (b *builder) addAPI() {
	if b.api == nil {
		return
	}
	accessLogs := awslogs.NewLogGroup(b.stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     b.cfg.logRetention,
		RemovalPolicy: b.removal,
	})
	b.stage = awsapigatewayv2.NewHttpStage(b.stack, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    b.api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(apiRateLimit),
			BurstLimit: jsii.Number(apiBurstLimit),
		},
		AccessLogSettings: &accessLogSettings{
			destination: awsapigatewayv2.NewLogGroupLogDestination(accessLogs),
			format:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		},
	})

	for _, f := range b.cat.Functions {
		if len(f.Routes) == 0 {
			continue
		}
		// One integration per function, and one invoke permission scoped to
		// this API rather than one per route: the function's resource policy
		// stays small however many routes the catalog lists.
		integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(camel(f.Name)+"Integration"), b.functions[f.Name],
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				PayloadFormatVersion:   awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				ScopePermissionToRoute: jsii.Bool(false),
			})
		for _, r := range f.Routes {
			if r == catalog.DefaultRoute {
				// Unmatched requests reach the function, which answers 404 in
				// the API's error shape (and is public, like the tracking routes).
				route := awsapigatewayv2.NewHttpRoute(b.stack, jsii.String("DefaultRoute"), &awsapigatewayv2.HttpRouteProps{
					HttpApi: b.api, RouteKey: awsapigatewayv2.HttpRouteKey_DEFAULT(), Integration: integration,
				})
				cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{
					{Id: jsii.String("AwsSolutions-APIG4"), Reason: jsii.String("Catch-all route: it only answers 404 in the API's error shape; no data is read or written.")},
				}, jsii.Bool(true))
				continue
			}
			routes := b.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
				Path:        jsii.String(r.Path),
				Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
				Integration: integration,
			})
			reason := "Public tracking route: called by websites with a site write key, which the function checks; " +
				"an authorizer would add a call and cost per event."
			if r.Auth == catalog.Admin {
				reason = "Admin route: the function checks the bearer token itself, either the machine admin token against " +
					"ADMIN_TOKEN_SHA256 (constant-time) or a console user's Cognito token (RS256 against the pool's JWKS, issuer, " +
					"client, token_use, expiry), then the route's role from the catalog. A JWT authorizer would refuse the machine token."
			}
			for _, route := range *routes {
				cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{
					{Id: jsii.String("AwsSolutions-APIG4"), Reason: jsii.String(reason)},
				}, jsii.Bool(true))
			}
		}
	}
}

func (b *builder) addAlarms() {
	action := awscloudwatchactions.NewSnsAction(b.topic)
	for _, q := range b.cat.Queues {
		alarm := awscloudwatch.NewAlarm(b.stack, jsii.String(camel(q.Name)+"DeadLetterAlarm"), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("Messages in the " + q.DLQName() + " queue: batches that failed " +
				strconv.Itoa(q.MaxReceiveCount) + " times. Inspect, fix, then redrive."),
			Metric: b.dlqs[q.Name].MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
				Period:    awscdk.Duration_Minutes(jsii.Number(5)),
				Statistic: jsii.String("Maximum"),
			}),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
	}
	b.addCampaignScheduleAlarm(action)
	for name, dlq := range b.ruleDLQs {
		alarm := awscloudwatch.NewAlarm(b.stack, jsii.String(camel(name)+"EventsDeadLetterAlarm"), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("Events for the " + name + " function that its rules could not deliver after a day of retries, " +
				"or that it failed on three times. Inspect, fix, then replay."),
			Metric: dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
				Period:    awscdk.Duration_Minutes(jsii.Number(5)),
				Statistic: jsii.String("Maximum"),
			}),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
	}
	for _, f := range b.cat.Functions {
		alarm := awscloudwatch.NewAlarm(b.stack, jsii.String(camel(f.Name)+"ErrorsAlarm"), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("The " + f.Name + " function failed (error or timeout) in the last 5 minutes."),
			Metric: b.functions[f.Name].MetricErrors(&awscloudwatch.MetricOptions{
				Period:    awscdk.Duration_Minutes(jsii.Number(5)),
				Statistic: jsii.String("Sum"),
			}),
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
	}
	if b.api != nil {
		alarm := awscloudwatch.NewAlarm(b.stack, jsii.String("Api5xxAlarm"), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("The HTTP API answered 5xx in the last 5 minutes."),
			Metric: b.api.MetricServerError(&awscloudwatch.MetricOptions{
				Period:    awscdk.Duration_Minutes(jsii.Number(5)),
				Statistic: jsii.String("Sum"),
			}),
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
	}
	b.addEmailAlarms(action)
}

// emailAlarmHours is the period the bounce and complaint rate alarms
// look at: long enough for a representative volume, short enough to fire
// the same day.
const emailAlarmHours = 6

// addEmailAlarms alarms when hard bounces or complaints near the rates at
// which SES reviews an account, with the circuit breaker's thresholds
// (definitions/sending.json), so an alarm says bulk mail is pausing or
// about to. The metrics come from the SES events function's log lines (embedded metric
// format), so they cost no PutMetricData call.
func (b *builder) addEmailAlarms(action awscloudwatch.IAlarmAction) {
	var fn awslambda.Function
	for _, f := range b.cat.Functions {
		if f.Access.ManagesSuppression {
			fn = b.functions[f.Name]
		}
	}
	if fn == nil {
		return
	}
	sending, err := definitions.Sending()
	if err != nil {
		panic(err)
	}
	cb := sending.CircuitBreaker
	// The breaker's minimum volume, scaled from its window to the alarm's.
	minSends := max(1, cb.MinSends*emailAlarmHours/max(cb.WindowHours, 1))
	period := awscdk.Duration_Hours(jsii.Number(emailAlarmHours))
	metric := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(sesevent.MetricsNamespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &map[string]*string{"Function": fn.FunctionName()},
			Statistic:     jsii.String("Sum"),
			Period:        period,
		})
	}
	for _, a := range []struct {
		id, metric, what string
		threshold        float64
	}{
		{"EmailBounceRateAlarm", "Bounces", "hard bounce", cb.BounceRate},
		{"EmailComplaintRateAlarm", "Complaints", "complaint", cb.ComplaintRate},
	} {
		rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			// Below the minimum volume the rate says nothing (one bounce in
			// ten mails is not a 10% problem); no bounces is no datapoint.
			Expression:   jsii.String(fmt.Sprintf("IF(s >= %d, FILL(x, 0) / s, 0)", minSends)),
			UsingMetrics: &map[string]awscloudwatch.IMetric{"s": metric("Sends"), "x": metric(a.metric)},
			Period:       period,
			Label:        jsii.String(a.what + " rate"),
		})
		alarm := awscloudwatch.NewAlarm(b.stack, jsii.String(a.id), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String(fmt.Sprintf("The %s rate reached %.2f%% over %d hours (at least %d sends), the circuit breaker's threshold for pausing bulk mail. "+
				"Find the list or campaign that caused it before SES reviews the account.", a.what, 100*a.threshold, emailAlarmHours, minSends)),
			Metric:             rate,
			Threshold:          jsii.Number(a.threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
	}
}

func (b *builder) addOutputs() {
	output := func(id string, value *string, description string) {
		awscdk.NewCfnOutput(b.stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	if b.stage != nil {
		output("ApiUrl", b.stage.Url(), "HTTP API base URL (tracking and admin routes)")
	}
	output("TableName", b.table.TableName(), "DynamoDB table")
	if b.userPool != nil {
		output("UserPoolId", b.userPool.UserPoolId(), "Cognito user pool of the console's users (groups admin, marketer, viewer)")
		output("UserPoolClientId", b.userPoolClient.UserPoolClientId(), "App client the console signs in with")
	}
	for _, q := range b.cat.Queues {
		output("QueueUrl"+camel(q.Name), b.queues[q.Name].QueueUrl(), "SQS queue "+q.Name)
	}
	output("SesConfigurationSet", b.configSet.ConfigurationSetName(), "SES configuration set to name on every send")
	output("EventBusName", b.bus.EventBusName(), "EventBridge bus for Leadflow events")
	output("AlarmTopicArn", b.topic.TopicArn(), "SNS topic the alarms notify")
	if b.identity != nil && !strings.Contains(b.cfg.sesIdentity, "@") {
		// Easy DKIM: these three CNAMEs verify the domain.
		for i, rec := range [][2]*string{
			{b.identity.DkimDnsTokenName1(), b.identity.DkimDnsTokenValue1()},
			{b.identity.DkimDnsTokenName2(), b.identity.DkimDnsTokenValue2()},
			{b.identity.DkimDnsTokenName3(), b.identity.DkimDnsTokenValue3()},
		} {
			output(fmt.Sprintf("SesDkimCname%d", i+1), awscdk.Fn_Join(jsii.String(" CNAME "), &[]*string{rec[0], rec[1]}),
				"DNS record that verifies "+b.cfg.sesIdentity)
		}
	}
}

// logicalID is the CloudFormation logical id of a construct's main resource,
// as cdk-nag names it in appliesTo ("Resource::<Id.Arn>/index/*").
func (b *builder) logicalID(c constructs.IConstruct) string {
	return *b.stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

func (b *builder) anyRoute(auth catalog.Auth) bool {
	for _, f := range b.cat.Functions {
		if servesRoute(f, auth) {
			return true
		}
	}
	return false
}

func servesRoute(f catalog.Function, auth catalog.Auth) bool {
	for _, r := range f.Routes {
		if r.Auth == auth {
			return true
		}
	}
	return false
}

func minSchedulePeriod(f catalog.Function) int {
	period := 0
	for _, s := range f.Schedules {
		if period == 0 || s.EverySeconds < period {
			period = s.EverySeconds
		}
	}
	return period
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}

// camel turns a catalog name ("timers-tick") into a construct id part
// ("TimersTick").
func camel(name string) string {
	var sb strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == ' ' || r == '.' }) {
		sb.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return sb.String()
}

// checkAssets fails early, with the fix, when a function binary is missing:
// otherwise the asset error names a temp path and not the cause.
func checkAssets(dir string, cat catalog.Catalog) error {
	if dir == "" {
		return fmt.Errorf("leadflow stack: AssetDir is empty")
	}
	var missing []string
	for _, f := range cat.Functions {
		if _, err := os.Stat(filepath.Join(dir, f.Name, "bootstrap")); err != nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("leadflow stack: no bootstrap binary for %s under %s: run `make build`, or pass -c %s=DIR",
			strings.Join(missing, ", "), dir, ctxAssetDir)
	}
	return nil
}

// retentionDays maps the day counts CloudWatch Logs accepts to the CDK enum.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

func readSettings(node constructs.Node) (settings, error) {
	cfg := settings{
		sesIdentity: contextString(node, ctxSESIdentity, ""),
		alarmEmail:  contextString(node, ctxAlarmEmail, ""),
	}
	// The router refuses a bad list at cold start; refusing it at synth
	// keeps a typo from reaching a deployed function.
	urls, err := webhook.ParseURLs(contextList(node, ctxWebhookURLs))
	if err != nil {
		return cfg, fmt.Errorf("context %s: %w", ctxWebhookURLs, err)
	}
	cfg.webhookURLs = strings.Join(urls, ",")
	if v := contextString(node, ctxPublicBaseURL, ""); v != "" {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return cfg, fmt.Errorf("context %s: want the https URL email links point to, got %q", ctxPublicBaseURL, v)
		}
		cfg.publicBaseURL = strings.TrimRight(v, "/")
	}
	if v := contextString(node, ctxSESMaxSendRate, ""); v != "" {
		// The sender refuses a bad value at cold start; refusing it at synth
		// keeps it from stopping every send.
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || math.IsInf(r, 0) {
			return cfg, fmt.Errorf("context %s: want a positive number of messages per second, got %q", ctxSESMaxSendRate, v)
		}
		cfg.sesMaxSendRate = strconv.FormatFloat(r, 'f', -1, 64)
	}
	switch v := contextString(node, ctxTableBilling, "on-demand"); v {
	case "on-demand":
	case "provisioned":
		cfg.provisionedTable = true
	default:
		return cfg, fmt.Errorf("context %s: want on-demand or provisioned, got %q", ctxTableBilling, v)
	}
	dp, err := strconv.ParseBool(contextString(node, ctxDeletionProtection, "true"))
	if err != nil {
		return cfg, fmt.Errorf("context %s: want true or false: %w", ctxDeletionProtection, err)
	}
	cfg.deletionProtection = dp
	days, err := strconv.Atoi(contextString(node, ctxLogRetentionDays, "30"))
	if err != nil || retentionDays[days] == "" {
		return cfg, fmt.Errorf("context %s: want one of CloudWatch Logs' retention periods in days (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, ...)", ctxLogRetentionDays)
	}
	cfg.logRetention = retentionDays[days]
	return cfg, nil
}

// contextList reads a list given as a JSON array in cdk.json or as a
// comma-separated string (`-c key=a,b`), as one comma-separated string.
func contextList(node constructs.Node, key string) string {
	if xs, ok := node.TryGetContext(jsii.String(key)).([]interface{}); ok {
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	}
	return contextString(node, key, "")
}

// contextString reads a context value whether it came from cdk.json (any
// JSON type) or from `-c key=value` (a string).
func contextString(node constructs.Node, key, def string) string {
	v := node.TryGetContext(jsii.String(key))
	if v == nil {
		return def
	}
	s := strings.TrimSpace(fmt.Sprint(v))
	if s == "" {
		return def
	}
	return s
}
