package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// workDir holds the test assets and every app's output. It outlives single
// tests because the shared default stack re-synthesizes into its outdir.
var workDir, assetDir, consoleDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leadflow-infra-test-")
	if err != nil {
		panic(err)
	}
	workDir = dir
	// An empty bootstrap per function: template assertions need the files
	// to exist, not to run.
	assetDir = filepath.Join(dir, "functions")
	for _, f := range append(catalog.Load().Functions, mailerFunction()) {
		if err := os.MkdirAll(filepath.Join(assetDir, f.Name), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(assetDir, f.Name, "bootstrap"), nil, 0o755); err != nil {
			panic(err)
		}
	}
	// A stand-in for the built console: the stack needs an index.html.
	consoleDir = filepath.Join(dir, "console")
	if err := os.MkdirAll(consoleDir, 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(consoleDir, "index.html"), []byte("<!doctype html><title>console</title>"), 0o644); err != nil {
		panic(err)
	}
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func outDir(t *testing.T) *string {
	t.Helper()
	dir, err := os.MkdirTemp(workDir, "cdk.out-")
	if err != nil {
		t.Fatal(err)
	}
	return jsii.String(dir)
}

// synthesized is one synthesized stack, with its template decoded for
// walking and the handles the assertions library needs.
type synthesized struct {
	stack     awscdk.Stack
	resources map[string]resource
	outputs   map[string]any
	params    map[string]map[string]any
}

type resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
}

// synth builds the stack the way the app does: cdk.json's feature flags,
// the given context on top, cdk-nag on the app.
func synth(t *testing.T, context map[string]any, cat *catalog.Catalog) *synthesized {
	t.Helper()
	ctx := cdkJSONContext(t)
	for k, v := range context {
		ctx[k] = v
	}
	out := outDir(t)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: out})
	stack := NewLeadflowStack(app, "Leadflow", &LeadflowStackProps{AssetDir: assetDir, Catalog: cat, ConsoleDir: consoleDir})
	addSecurityChecks(app)

	tpl := templateOf(t, stack, *out)
	raw, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources  map[string]resource       `json:"Resources"`
		Outputs    map[string]any            `json:"Outputs"`
		Parameters map[string]map[string]any `json:"Parameters"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return &synthesized{stack: stack, resources: doc.Resources, outputs: doc.Outputs, params: doc.Parameters}
}

// templateOf synthesizes the stack. When synthesis fails (an unsuppressed
// cdk-nag error fails validation), it reports the violations, not a panic.
func templateOf(t *testing.T, stack awscdk.Stack, outdir string) assertions.Template {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("synth failed: %v%s", r, violations(filepath.Join(outdir, "validation-report.json")))
		}
	}()
	return assertions.Template_FromStack(stack, nil)
}

func violations(reportPath string) string {
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		return ""
	}
	var report struct {
		PluginReports []struct {
			Violations []struct {
				Description         string `json:"description"`
				Severity            string `json:"severity"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if json.Unmarshal(raw, &report) != nil {
		return ""
	}
	var sb strings.Builder
	for _, p := range report.PluginReports {
		for _, v := range p.Violations {
			first, _, _ := strings.Cut(v.Description, ".")
			for _, c := range v.ViolatingConstructs {
				fmt.Fprintf(&sb, "\n  %s %s: %s", v.Severity, c.ConstructPath, first)
			}
		}
	}
	return sb.String()
}

func cdkJSONContext(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../cdk.json")
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	if len(cfg.Context) == 0 {
		t.Fatal("cdk.json has no feature flags in context")
	}
	return cfg.Context
}

var (
	defaultOnce  sync.Once
	defaultSynth *synthesized
)

// defaultStack is the stack as `cdk deploy` builds it with no context set,
// synthesized once for the tests that only read it.
func defaultStack(t *testing.T) *synthesized {
	t.Helper()
	defaultOnce.Do(func() { defaultSynth = synth(t, nil, nil) })
	if defaultSynth == nil {
		t.Fatal("default synth failed earlier")
	}
	return defaultSynth
}

func (s *synthesized) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range s.resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// functionsByName finds each catalog function's Lambda by its description.
func (s *synthesized) functionsByName(t *testing.T, cat catalog.Catalog) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for id, r := range s.ofType("AWS::Lambda::Function") {
		for _, f := range cat.Functions {
			if r.Properties["Description"] == f.Description {
				if _, dup := ids[f.Name]; dup {
					t.Fatalf("two Lambdas carry %s's description", f.Name)
				}
				ids[f.Name] = id
			}
		}
	}
	for _, f := range cat.Functions {
		if ids[f.Name] == "" {
			t.Fatalf("no Lambda for catalog function %s", f.Name)
		}
	}
	return ids
}

// queuesByName finds each catalog queue and its DLQ by logical id: the
// construct ids are camel(name)+"Queue" and camel(name)+"DeadLetterQueue",
// and CDK appends an 8-character hash. Properties cannot tell them apart:
// two queues may share every setting.
func (s *synthesized) queuesByName(t *testing.T, cat catalog.Catalog) (main, dlq map[string]string) {
	t.Helper()
	main, dlq = map[string]string{}, map[string]string{}
	for _, q := range cat.Queues {
		mainID := regexp.MustCompile("^" + camel(q.Name) + "Queue[0-9A-F]{8}$")
		dlqID := regexp.MustCompile("^" + camel(q.Name) + "DeadLetterQueue[0-9A-F]{8}$")
		for id := range s.ofType("AWS::SQS::Queue") {
			switch {
			case mainID.MatchString(id):
				main[q.Name] = id
			case dlqID.MatchString(id):
				dlq[q.Name] = id
			}
		}
		if main[q.Name] == "" || dlq[q.Name] == "" {
			t.Fatalf("queue %s: main %q, DLQ %q; want both", q.Name, main[q.Name], dlq[q.Name])
		}
	}
	return main, dlq
}

// refID is the logical id in {"Ref": id} or {"Fn::GetAtt": [id, attr]}.
func refID(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestLambdaPerCatalogFunction(t *testing.T) {
	// Given the catalog, when the stack is synthesized,
	s := defaultStack(t)
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)

	// then there is exactly one Lambda per catalog function (besides CDK's
	// deploy-time handler that copies the console's files),
	got := 0
	for id := range s.ofType("AWS::Lambda::Function") {
		if !strings.HasPrefix(id, "CustomCDKBucketDeployment") {
			got++
		}
	}
	if got != len(cat.Functions) {
		t.Errorf("Lambda functions: got %d, want %d (one per catalog function)", got, len(cat.Functions))
	}
	queueIDs, _ := s.queuesByName(t, cat)
	tableID := onlyID(t, s.ofType("AWS::DynamoDB::Table"))
	for _, f := range cat.Functions {
		p := s.resources[fns[f.Name]].Properties
		// each on Graviton with the OS-only runtime and its catalog sizing,
		if got := p["Architectures"]; fmt.Sprint(got) != "[arm64]" {
			t.Errorf("%s: architectures %v, want [arm64]", f.Name, got)
		}
		if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
			t.Errorf("%s: runtime %v handler %v, want provided.al2023 / bootstrap", f.Name, p["Runtime"], p["Handler"])
		}
		if p["MemorySize"] != float64(f.MemoryMB) || p["Timeout"] != float64(f.TimeoutSec) {
			t.Errorf("%s: memory %v timeout %v, want %d / %d", f.Name, p["MemorySize"], p["Timeout"], f.MemoryMB, f.TimeoutSec)
		}
		// SystemLogLevel WARN drops Lambda's START/END/REPORT lines, which
		// bench/pipeline therefore does not price.
		if path(p, "LoggingConfig", "LogFormat") != "JSON" || path(p, "LoggingConfig", "ApplicationLogLevel") != "INFO" ||
			path(p, "LoggingConfig", "SystemLogLevel") != "WARN" {
			t.Errorf("%s: logging config %v, want JSON at INFO, system WARN", f.Name, p["LoggingConfig"])
		}
		// and exactly the environment its Access asks for.
		vars, _ := path(p, "Environment", "Variables").(map[string]any)
		want := []string{catalog.EnvLogLevel}
		if f.Access.UsesTable() {
			want = append(want, catalog.EnvTableName)
			if refID(vars[catalog.EnvTableName]) != tableID {
				t.Errorf("%s: %s = %v, want a Ref to the table", f.Name, catalog.EnvTableName, vars[catalog.EnvTableName])
			}
		}
		for _, q := range f.Access.SendsTo {
			want = append(want, catalog.QueueURLEnv(q))
			if refID(vars[catalog.QueueURLEnv(q)]) != queueIDs[q] || queueIDs[q] == "" {
				t.Errorf("%s: %s = %v, want a Ref to queue %s", f.Name, catalog.QueueURLEnv(q), vars[catalog.QueueURLEnv(q)], q)
			}
		}
		if servesRoute(f, catalog.Admin) {
			// Console users' tokens are checked against the stack's pool.
			want = append(want, catalog.EnvAdminTokenSHA256, catalog.EnvUserPoolIssuer, catalog.EnvUserPoolClientID)
			if refID(vars[catalog.EnvAdminTokenSHA256]) != adminTokenParameter {
				t.Errorf("%s: admin token env = %v, want a Ref to the %s parameter", f.Name, vars[catalog.EnvAdminTokenSHA256], adminTokenParameter)
			}
		}
		if f.Access.PutsEvents {
			want = append(want, catalog.EnvEventBusName)
		}
		if f.Access.ManagesUsers {
			want = append(want, catalog.EnvUserPoolID)
		}
		if f.Access.SendsEmail {
			want = append(want, catalog.EnvSESConfigSet)
		}
		if f.Access.WebhookTargets {
			// No webhookUrls context: no endpoints, and the router still
			// publishes on the bus.
			want = append(want, catalog.EnvWebhookURLs)
			if vars[catalog.EnvWebhookURLs] != "" {
				t.Errorf("%s: %s = %v, want empty without the %s context", f.Name, catalog.EnvWebhookURLs, vars[catalog.EnvWebhookURLs], ctxWebhookURLs)
			}
		}
		if f.Access.SignsWebhooks {
			want = append(want, catalog.EnvWebhookSecret)
			if refID(vars[catalog.EnvWebhookSecret]) != webhookSecretParameter {
				t.Errorf("%s: %s = %v, want a Ref to the %s parameter", f.Name, catalog.EnvWebhookSecret, vars[catalog.EnvWebhookSecret], webhookSecretParameter)
			}
		}
		if f.Access.SignsLinks {
			want = append(want, catalog.EnvSigningSecrets, catalog.EnvPublicBaseURL)
			if refID(vars[catalog.EnvSigningSecrets]) != linkSecretsParameter {
				t.Errorf("%s: %s = %v, want a Ref to the %s parameter", f.Name, catalog.EnvSigningSecrets, vars[catalog.EnvSigningSecrets], linkSecretsParameter)
			}
		}
		if f.Access.KeysRateLimits {
			want = append(want, catalog.EnvRateLimitSecret)
			// A dynamic reference CloudFormation resolves at deploy: the
			// value is never in the template.
			if v := mustJSON(vars[catalog.EnvRateLimitSecret]); !strings.Contains(v, "{{resolve:secretsmanager:") || !strings.Contains(v, rateLimitSecretID) {
				t.Errorf("%s: %s = %s, want a secretsmanager dynamic reference to %s", f.Name, catalog.EnvRateLimitSecret, v, rateLimitSecretID)
			}
		}
		if f.Access.UsesBucket {
			want = append(want, catalog.EnvBucketName)
		}
		if f.Access.ManagesSchedules {
			want = append(want, catalog.EnvScheduleGroup, catalog.EnvSchedulerRoleARN, catalog.EnvCampaignsQueueARN, catalog.EnvSchedulerDLQARN)
		}
		if vars[catalog.EnvLogLevel] != "INFO" {
			t.Errorf("%s: LOG_LEVEL = %v, want INFO", f.Name, vars[catalog.EnvLogLevel])
		}
		var got []string
		for k := range vars {
			got = append(got, k)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: environment keys %v, want %v", f.Name, got, want)
		}
	}
}

func TestAdminTokenParameter(t *testing.T) {
	// Given a catalog with admin routes, when synthesized, then the admin
	// token hash is a NoEcho parameter that only accepts 64 hex characters.
	s := defaultStack(t)
	p := s.params[adminTokenParameter]
	if p == nil {
		t.Fatalf("no %s parameter; have %v", adminTokenParameter, s.params)
	}
	if p["NoEcho"] != true || p["AllowedPattern"] != "^[0-9a-f]{64}$" {
		t.Errorf("%s = %v, want NoEcho and ^[0-9a-f]{64}$", adminTokenParameter, p)
	}
}

func TestWebhookSigningSecretParameter(t *testing.T) {
	// Given a function that signs webhooks, when synthesized, then the
	// signing key is a NoEcho parameter of at least 32 characters, with
	// the way to make one in its description.
	s := defaultStack(t)
	p := s.params[webhookSecretParameter]
	if p == nil {
		t.Fatalf("no %s parameter; have %v", webhookSecretParameter, keys(s.params))
	}
	if p["NoEcho"] != true || p["MinLength"] != float64(32) || p["Default"] != nil ||
		!strings.Contains(fmt.Sprint(p["Description"]), "openssl rand -hex 32") {
		t.Errorf("%s = %v, want NoEcho, MinLength 32, no default, and how to generate it", webhookSecretParameter, p)
	}
	// Only the functions that sign get it.
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	for _, f := range cat.Functions {
		vars, _ := path(s.resources[fns[f.Name]].Properties, "Environment", "Variables").(map[string]any)
		if _, has := vars[catalog.EnvWebhookSecret]; has != f.Access.SignsWebhooks {
			t.Errorf("%s: has %s = %v, SignsWebhooks = %v", f.Name, catalog.EnvWebhookSecret, has, f.Access.SignsWebhooks)
		}
	}
}

func TestLinkSigningSecretsParameter(t *testing.T) {
	// Given functions that sign email links, when synthesized, then the
	// secrets are a NoEcho parameter,
	s := defaultStack(t)
	p := s.params[linkSecretsParameter]
	if p == nil {
		t.Fatalf("no %s parameter; have %v", linkSecretsParameter, keys(s.params))
	}
	if p["NoEcho"] != true || p["MinLength"] != float64(32) || p["Default"] != nil ||
		!strings.Contains(fmt.Sprint(p["Description"]), "openssl rand -hex 32") {
		t.Errorf("%s = %v, want NoEcho, MinLength 32, no default, and how to generate it", linkSecretsParameter, p)
	}
	pattern := regexp.MustCompile(fmt.Sprint(p["AllowedPattern"]))
	for v, ok := range map[string]bool{
		strings.Repeat("a", 32): true, strings.Repeat("a", 32) + "," + strings.Repeat("b", 40): true,
		strings.Repeat("a", 31): false, strings.Repeat("a", 32) + ",short": false, strings.Repeat("a", 20) + " " + strings.Repeat("b", 20): false,
	} {
		if pattern.MatchString(v) != ok {
			t.Errorf("pattern on %q: %v, want %v", v, !ok, ok)
		}
	}
	// only the signing functions get them, with links pointing at the API.
	api := onlyID(t, s.ofType("AWS::ApiGatewayV2::Api"))
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	for _, f := range cat.Functions {
		vars, _ := path(s.resources[fns[f.Name]].Properties, "Environment", "Variables").(map[string]any)
		_, secret := vars[catalog.EnvSigningSecrets]
		base, hasBase := vars[catalog.EnvPublicBaseURL]
		if secret != f.Access.SignsLinks || hasBase != f.Access.SignsLinks {
			t.Errorf("%s: %s %v, %s %v; SignsLinks %v", f.Name, catalog.EnvSigningSecrets, secret, catalog.EnvPublicBaseURL, hasBase, f.Access.SignsLinks)
		}
		if hasBase && mustJSON(base) != `{"Fn::GetAtt":["`+api+`","ApiEndpoint"]}` {
			t.Errorf("%s: %s = %s, want the API endpoint", f.Name, catalog.EnvPublicBaseURL, mustJSON(base))
		}
	}
	// A custom domain replaces the endpoint.
	custom := synth(t, map[string]any{ctxPublicBaseURL: "https://links.example.com/"}, nil)
	links := custom.functionsByName(t, cat)["links"]
	if v := path(custom.resources[links].Properties, "Environment", "Variables", catalog.EnvPublicBaseURL); v != "https://links.example.com" {
		t.Errorf("%s with the context = %v", catalog.EnvPublicBaseURL, v)
	}
}

func TestNoWebhookSecretWithoutASigner(t *testing.T) {
	// Given a catalog where nothing signs webhooks, when synthesized, then
	// the deploy asks for no signing key.
	cat := catalog.Load()
	for i := range cat.Functions {
		cat.Functions[i].Access.SignsWebhooks = false
	}
	s := synth(t, nil, &cat)
	if s.params[webhookSecretParameter] != nil {
		t.Errorf("%s parameter without a function that signs", webhookSecretParameter)
	}
}

func TestWebhookURLsContext(t *testing.T) {
	// Given webhook endpoints as a -c string or a cdk.json array, when
	// synthesized, then the functions that send webhooks get them as one
	// comma-separated WEBHOOK_URLS, and no other function does.
	for name, value := range map[string]any{
		"string": " https://crm.example.com/hooks/leadflow , https://hooks.example.net/T1/B2/token",
		"array":  []any{"https://crm.example.com/hooks/leadflow", "https://hooks.example.net/T1/B2/token"},
	} {
		t.Run(name, func(t *testing.T) {
			s := synth(t, map[string]any{ctxWebhookURLs: value}, nil)
			cat := catalog.Load()
			fns := s.functionsByName(t, cat)
			for _, f := range cat.Functions {
				vars, _ := path(s.resources[fns[f.Name]].Properties, "Environment", "Variables").(map[string]any)
				got, has := vars[catalog.EnvWebhookURLs]
				if has != f.Access.WebhookTargets {
					t.Errorf("%s: has %s = %v, WebhookTargets = %v", f.Name, catalog.EnvWebhookURLs, has, f.Access.WebhookTargets)
				}
				if has && got != "https://crm.example.com/hooks/leadflow,https://hooks.example.net/T1/B2/token" {
					t.Errorf("%s: %s = %q", f.Name, catalog.EnvWebhookURLs, got)
				}
			}
		})
	}
}

func TestOneHTTPRoutePerCatalogRoute(t *testing.T) {
	// Given the catalog's routes, when synthesized,
	s := defaultStack(t)
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	fnByID := map[string]string{}
	for name, id := range fns {
		fnByID[id] = name
	}
	integrationFn := map[string]string{}
	for id, r := range s.ofType("AWS::ApiGatewayV2::Integration") {
		if r.Properties["PayloadFormatVersion"] != "2.0" || r.Properties["IntegrationType"] != "AWS_PROXY" {
			t.Errorf("integration %s: %v, want AWS_PROXY with payload 2.0", id, r.Properties)
		}
		integrationFn[id] = fnByID[refID(r.Properties["IntegrationUri"])]
	}
	routes := map[string]string{}
	for _, r := range s.ofType("AWS::ApiGatewayV2::Route") {
		key, _ := r.Properties["RouteKey"].(string)
		// Target is {"Fn::Join": ["", ["integrations/", {"Ref": id}]]}.
		parts, _ := path(r.Properties, "Target", "Fn::Join").([]any)
		var integ string
		if len(parts) == 2 {
			if items, ok := parts[1].([]any); ok && len(items) == 2 {
				integ = refID(items[1])
			}
		}
		if _, dup := routes[key]; dup {
			t.Errorf("route %s defined twice", key)
		}
		routes[key] = integrationFn[integ]
	}
	// then every catalog route exists once and reaches its own function,
	want := 0
	for _, f := range cat.Functions {
		for _, r := range f.Routes {
			want++
			if got, ok := routes[r.Key()]; !ok {
				t.Errorf("route %s missing", r.Key())
			} else if got != f.Name {
				t.Errorf("route %s goes to %q, want %s", r.Key(), got, f.Name)
			}
		}
	}
	if len(routes) != want {
		t.Errorf("HTTP routes: got %d, want %d", len(routes), want)
	}
	// with no API Gateway CORS (the ingest function answers OPTIONS) and a
	// throttled, access-logged default stage.
	for id, api := range s.ofType("AWS::ApiGatewayV2::Api") {
		if api.Properties["CorsConfiguration"] != nil {
			t.Errorf("API %s has CorsConfiguration; OPTIONS must reach the function", id)
		}
	}
	stage := s.resources[onlyID(t, s.ofType("AWS::ApiGatewayV2::Stage"))].Properties
	if stage["StageName"] != "$default" || path(stage, "DefaultRouteSettings", "ThrottlingRateLimit") == nil ||
		path(stage, "DefaultRouteSettings", "ThrottlingBurstLimit") == nil {
		t.Errorf("stage %v: want $default with throttling", stage)
	}
	if f, _ := path(stage, "AccessLogSettings", "Format").(string); !strings.Contains(f, "$context.requestId") || strings.Contains(f, "sourceIp") {
		t.Errorf("access log format %q: want requestId and no source IP", f)
	}
}

func TestTable(t *testing.T) {
	cases := []struct {
		name           string
		context        map[string]any
		wantProtection bool
		wantPolicy     string
	}{
		{"given no context, deletion protection is on and the table is retained", nil, true, "Retain"},
		{"given deletionProtection=false, it is off and the data goes with the stack", map[string]any{ctxDeletionProtection: "false"}, false, "Delete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultStack(t)
			if tc.context != nil {
				s = synth(t, tc.context, nil)
			}
			r := s.resources[onlyID(t, s.ofType("AWS::DynamoDB::Table"))]
			p := r.Properties
			if p["BillingMode"] != "PAY_PER_REQUEST" {
				t.Errorf("billing %v, want on-demand", p["BillingMode"])
			}
			if path(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
				t.Errorf("PITR %v, want enabled", p["PointInTimeRecoverySpecification"])
			}
			if path(p, "TimeToLiveSpecification", "AttributeName") != "ttl" || path(p, "TimeToLiveSpecification", "Enabled") != true {
				t.Errorf("TTL %v, want ttl enabled", p["TimeToLiveSpecification"])
			}
			if got := keySchema(p["KeySchema"]); got != "pk:HASH sk:RANGE" {
				t.Errorf("key schema %q", got)
			}
			gsis, _ := p["GlobalSecondaryIndexes"].([]any)
			if len(gsis) != 1 || path(gsis[0], "IndexName") != gsi1Name ||
				keySchema(path(gsis[0], "KeySchema")) != "gsi1pk:HASH gsi1sk:RANGE" || path(gsis[0], "Projection", "ProjectionType") != "KEYS_ONLY" {
				t.Errorf("GSIs %v, want one gsi1 (gsi1pk, gsi1sk, KEYS_ONLY)", gsis)
			}
			if p["DeletionProtectionEnabled"] != tc.wantProtection {
				t.Errorf("DeletionProtectionEnabled %v, want %v", p["DeletionProtectionEnabled"], tc.wantProtection)
			}
			if r.DeletionPolicy != tc.wantPolicy {
				t.Errorf("DeletionPolicy %q, want %q", r.DeletionPolicy, tc.wantPolicy)
			}
			// Queues and log groups follow the same switch.
			for _, typ := range []string{"AWS::SQS::Queue", "AWS::Logs::LogGroup"} {
				for id, other := range s.ofType(typ) {
					if other.DeletionPolicy != tc.wantPolicy {
						t.Errorf("%s %s DeletionPolicy %q, want %q", typ, id, other.DeletionPolicy, tc.wantPolicy)
					}
				}
			}
		})
	}
}

func keySchema(v any) string {
	items, _ := v.([]any)
	var parts []string
	for _, it := range items {
		parts = append(parts, fmt.Sprint(path(it, "AttributeName"), ":", path(it, "KeyType")))
	}
	return strings.Join(parts, " ")
}

func TestQueuesHaveDeadLetterQueues(t *testing.T) {
	// Given the catalog's queues, when synthesized,
	s := defaultStack(t)
	cat := catalog.Load()
	queues := s.ofType("AWS::SQS::Queue")
	if want := 2*len(cat.Queues) + eventRuleCount(cat) + campaignScheduleDLQs(cat); len(queues) != want {
		t.Errorf("SQS queues: got %d, want %d (each catalog queue and its DLQ, a DLQ per event rule target, and the campaign schedules' DLQ)", len(queues), want)
	}
	mainIDs, dlqIDs := s.queuesByName(t, cat)
	for _, q := range cat.Queues {
		// then each queue redrives to its own DLQ after the catalog's
		// receive count, keeps the catalog's timings, and is encrypted;
		p := queues[mainIDs[q.Name]].Properties
		if path(p, "RedrivePolicy", "maxReceiveCount") != float64(q.MaxReceiveCount) ||
			p["VisibilityTimeout"] != float64(q.VisibilityTimeoutSeconds) {
			t.Errorf("queue %s: maxReceiveCount %v visibility %v, want %d / %ds", q.Name,
				path(p, "RedrivePolicy", "maxReceiveCount"), p["VisibilityTimeout"], q.MaxReceiveCount, q.VisibilityTimeoutSeconds)
		}
		if p["MessageRetentionPeriod"] != float64(q.RetentionDays*86400) || p["SqsManagedSseEnabled"] != true {
			t.Errorf("queue %s: %v, want %d days retention and SQS-managed SSE", q.Name, p, q.RetentionDays)
		}
		if target := refID(path(p, "RedrivePolicy", "deadLetterTargetArn")); target != dlqIDs[q.Name] {
			t.Errorf("queue %s: dead-letter target %s, want its own DLQ %s", q.Name, target, dlqIDs[q.Name])
		}
		dlq := queues[dlqIDs[q.Name]].Properties
		if dlq["MessageRetentionPeriod"] != float64(14*86400) || dlq["SqsManagedSseEnabled"] != true || dlq["RedrivePolicy"] != nil {
			t.Errorf("DLQ of %s: %v, want 14 days retention, SSE and no redrive of its own", q.Name, dlq)
		}
	}
	// and every queue refuses non-TLS access.
	sslOnly := 0
	for _, r := range s.ofType("AWS::SQS::QueuePolicy") {
		if strings.Contains(mustJSON(r.Properties), `"aws:SecureTransport":"false"`) {
			sslOnly++
		}
	}
	if sslOnly != len(queues) {
		t.Errorf("queue policies enforcing TLS: %d, want %d", sslOnly, len(queues))
	}
}

func TestQueueConsumersReportBatchItemFailures(t *testing.T) {
	// Given the catalog's queue consumers, when synthesized, then each has
	// one event source mapping with partial batch responses and its batching.
	s := defaultStack(t)
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	mappings := s.ofType("AWS::Lambda::EventSourceMapping")
	consumers := 0
	for _, f := range cat.Functions {
		if f.Queue == nil {
			continue
		}
		consumers++
		var found bool
		for _, m := range mappings {
			p := m.Properties
			if refID(p["FunctionName"]) != fns[f.Name] {
				continue
			}
			found = true
			if fmt.Sprint(p["FunctionResponseTypes"]) != "[ReportBatchItemFailures]" {
				t.Errorf("%s: FunctionResponseTypes %v", f.Name, p["FunctionResponseTypes"])
			}
			// No batching window is no property at all (Lambda's default, 0).
			window, _ := p["MaximumBatchingWindowInSeconds"].(float64)
			if p["BatchSize"] != float64(f.Queue.BatchSize) || window != float64(f.Queue.MaxBatchingWindowSeconds) {
				t.Errorf("%s: batch %v window %v, want %d / %d", f.Name, p["BatchSize"], p["MaximumBatchingWindowInSeconds"],
					f.Queue.BatchSize, f.Queue.MaxBatchingWindowSeconds)
			}
		}
		if !found {
			t.Errorf("%s consumes %s but has no event source mapping", f.Name, f.Queue.Queue)
		}
	}
	if len(mappings) != consumers {
		t.Errorf("event source mappings: got %d, want %d", len(mappings), consumers)
	}
}

func TestSchedulePerCatalogSchedule(t *testing.T) {
	// Given the catalog's schedules, when synthesized, then each is one
	// EventBridge Scheduler schedule with its expression, invoking its function.
	s := defaultStack(t)
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	schedules := s.ofType("AWS::Scheduler::Schedule")
	for id, r := range schedules {
		if r.Properties["GroupName"] != nil {
			delete(schedules, id) // a repo campaign's (TestRepoCampaignSchedules)
		}
	}
	want := 0
	for _, f := range cat.Functions {
		for _, sc := range f.Schedules {
			want++
			var found bool
			for _, r := range schedules {
				if r.Properties["ScheduleExpression"] == sc.Expression && refID(path(r.Properties, "Target", "Arn")) == fns[f.Name] {
					found = true
				}
			}
			if !found {
				t.Errorf("no schedule %s (%s) targeting %s", sc.Name, sc.Expression, f.Name)
			}
		}
	}
	if len(schedules) != want {
		t.Errorf("schedules: got %d, want %d", len(schedules), want)
	}
}

func TestSESConfigurationSetPublishesToDefaultBus(t *testing.T) {
	// Given no SES identity, when synthesized, then there is a configuration
	// set whose events go to the default EventBridge bus, and no identity.
	s := defaultStack(t)
	if n := len(s.ofType("AWS::SES::ConfigurationSet")); n != 1 {
		t.Fatalf("configuration sets: %d, want 1", n)
	}
	dest := s.resources[onlyID(t, s.ofType("AWS::SES::ConfigurationSetEventDestination"))].Properties
	types, _ := path(dest, "EventDestination", "MatchingEventTypes").([]any)
	for _, want := range []string{"send", "delivery", "bounce", "complaint", "reject", "deliveryDelay", "renderingFailure"} {
		if !slices.Contains(types, any(want)) {
			t.Errorf("event destination misses %q: %v", want, types)
		}
	}
	// SES's own open and click tracking would add a second pixel and rewrite
	// Leadflow's signed links; Leadflow tracks those itself.
	for _, unwanted := range []string{"open", "click"} {
		if slices.Contains(types, any(unwanted)) {
			t.Errorf("event destination publishes %q: SES would add its own tracking", unwanted)
		}
	}
	if arn := mustJSON(path(dest, "EventDestination", "EventBridgeDestination", "EventBusArn")); !strings.Contains(arn, ":event-bus/default") {
		t.Errorf("event bus %s, want the default bus", arn)
	}
	if n := len(s.ofType("AWS::SES::EmailIdentity")); n != 0 {
		t.Errorf("email identities without sesIdentity: %d, want 0", n)
	}
	if s.outputs["SesConfigurationSet"] == nil {
		t.Error("no SesConfigurationSet output")
	}
}

func TestLogGroupsHaveRetention(t *testing.T) {
	cases := []struct {
		name    string
		context map[string]any
		want    float64
	}{
		{"given no context, logs are kept 30 days", nil, 30},
		{"given logRetentionDays=7, logs are kept 7 days", map[string]any{ctxLogRetentionDays: "7"}, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultStack(t)
			if tc.context != nil {
				s = synth(t, tc.context, nil)
			}
			groups := s.ofType("AWS::Logs::LogGroup")
			for id, g := range groups {
				if g.Properties["RetentionInDays"] != tc.want {
					t.Errorf("log group %s retention %v, want %v", id, g.Properties["RetentionInDays"], tc.want)
				}
			}
			// Every function logs to its own explicit group.
			for id, fn := range s.ofType("AWS::Lambda::Function") {
				if _, ok := groups[refID(path(fn.Properties, "LoggingConfig", "LogGroup"))]; !ok {
					t.Errorf("function %s logs to %v, not a log group of this stack", id, path(fn.Properties, "LoggingConfig", "LogGroup"))
				}
			}
		})
	}
}

func TestBadContextIsRejected(t *testing.T) {
	for key, value := range map[string]string{ctxLogRetentionDays: "8", ctxDeletionProtection: "maybe",
		ctxWebhookURLs: "https://crm.example.com/a,http://crm.example.com/clear-text", ctxPublicBaseURL: "http://links.example.com",
		ctxSESMaxSendRate: "fast"} {
		t.Run(key+"="+value, func(t *testing.T) {
			// Given a context value CDK cannot use, when the stack is built,
			// then it stops with a message naming the key.
			msg := panicMessage(func() { synth(t, map[string]any{key: value}, nil) })
			if !strings.Contains(msg, key) {
				t.Errorf("panic %q, want one naming %s", msg, key)
			}
		})
	}
}

func TestMissingBinaryIsReported(t *testing.T) {
	// Given an asset dir without the function binaries, when the stack is
	// built, then it says which are missing and how to build them.
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: outDir(t)})
	msg := panicMessage(func() {
		NewLeadflowStack(app, "Leadflow", &LeadflowStackProps{AssetDir: t.TempDir()})
	})
	if !strings.Contains(msg, "make build") || !strings.Contains(msg, "ingest") {
		t.Errorf("panic %q, want the missing functions and `make build`", msg)
	}
}

func panicMessage(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return "<no panic>"
}

func TestAlarms(t *testing.T) {
	// Given the catalog, when synthesized,
	s := defaultStack(t)
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	topic := onlyID(t, s.ofType("AWS::SNS::Topic"))
	alarms := s.ofType("AWS::CloudWatch::Alarm")
	find := func(metric string, dimension string) (map[string]any, bool) {
		for _, a := range alarms {
			dims := listOf(a.Properties["Dimensions"])
			if a.Properties["MetricName"] == metric && len(dims) == 1 && refID(path(dims[0], "Value")) == dimension {
				return a.Properties, true
			}
		}
		return nil, false
	}
	// then every DLQ alarms on its first visible message,
	for id, q := range s.ofType("AWS::SQS::Queue") {
		if q.Properties["RedrivePolicy"] != nil {
			continue
		}
		a, ok := find("ApproximateNumberOfMessagesVisible", id)
		if !ok {
			t.Errorf("no alarm on DLQ %s", id)
			continue
		}
		if a["Threshold"] != float64(1) || a["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
			t.Errorf("DLQ alarm %v, want >= 1", a)
		}
	}
	// every function on any error in 5 minutes,
	for name, id := range fns {
		a, ok := find("Errors", id)
		if !ok {
			t.Errorf("no Errors alarm for %s", name)
			continue
		}
		if a["Threshold"] != float64(0) || a["ComparisonOperator"] != "GreaterThanThreshold" || a["Period"] != float64(300) {
			t.Errorf("%s errors alarm %v, want > 0 over 300 s", name, a)
		}
	}
	// the API on 5xx,
	if _, ok := find("5xx", onlyID(t, s.ofType("AWS::ApiGatewayV2::Api"))); !ok {
		t.Error("no 5xx alarm on the HTTP API")
	}
	// and all of them notify the alarm topic.
	for id, a := range alarms {
		actions, _ := a.Properties["AlarmActions"].([]any)
		if len(actions) != 1 || refID(actions[0]) != topic {
			t.Errorf("alarm %s actions %v, want the alarm topic", id, actions)
		}
	}
	// (plus the bounce and complaint rate alarms, TestEmailRateAlarms, and
	// one per event rule's dead-letter queue)
	if want := len(cat.Queues) + len(cat.Functions) + 1 + 2 + eventRuleCount(cat) + campaignScheduleDLQs(cat); len(alarms) != want {
		t.Errorf("alarms: %d, want %d", len(alarms), want)
	}
}

func TestEmailRateAlarms(t *testing.T) {
	// Given the catalog, whose sesevents function writes the email metrics,
	s := defaultStack(t)
	sesevents := s.functionsByName(t, catalog.Load())["sesevents"]
	topic := onlyID(t, s.ofType("AWS::SNS::Topic"))
	// when synthesized, then a bounce and a complaint rate alarm watch its
	// metrics at the circuit breaker's thresholds,
	want := map[string]float64{"Bounces": 0.04, "Complaints": 0.0008}
	for id, a := range s.ofType("AWS::CloudWatch::Alarm") {
		metrics := listOf(a.Properties["Metrics"])
		if len(metrics) == 0 {
			continue
		}
		var expr, rate string
		for _, m := range metrics {
			if e, ok := path(m, "Expression").(string); ok {
				expr = e
				continue
			}
			stat := path(m, "MetricStat")
			if path(stat, "Metric", "Namespace") != "Leadflow/Email" || path(stat, "Stat") != "Sum" || path(stat, "Period") != float64(6*3600) {
				t.Errorf("alarm %s metric %v", id, m)
			}
			dims := listOf(path(stat, "Metric", "Dimensions"))
			if len(dims) != 1 || path(dims[0], "Name") != "Function" || refID(path(dims[0], "Value")) != sesevents {
				t.Errorf("alarm %s dimensions %v, want the sesevents function", id, dims)
			}
			if name := path(stat, "Metric", "MetricName"); name != "Sends" {
				rate = fmt.Sprint(name)
			}
		}
		if !strings.Contains(expr, "/ s") || !strings.Contains(expr, "IF(s >= 125") {
			t.Errorf("alarm %s expression %q, want the rate over at least 125 sends", id, expr)
		}
		if a.Properties["Threshold"] != want[rate] || a.Properties["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" ||
			a.Properties["TreatMissingData"] != "notBreaching" {
			t.Errorf("alarm %s on %s: %v", id, rate, a.Properties)
		}
		if actions := listOf(a.Properties["AlarmActions"]); len(actions) != 1 || refID(actions[0]) != topic {
			t.Errorf("alarm %s actions %v", id, actions)
		}
		delete(want, rate)
	}
	if len(want) != 0 {
		t.Errorf("no rate alarm on %v", want)
	}
}

func TestOnlyTheSESEventsFunctionManagesSuppression(t *testing.T) {
	// Given the catalog and an SES identity, when synthesized, then exactly
	// the function that applies SES's events may add to the account's
	// suppression list.
	s := synth(t, map[string]any{ctxSESIdentity: "example.com"}, nil)
	fns := s.functionsByName(t, catalog.Load())
	for name, id := range fns {
		role := refID(s.resources[id].Properties["Role"])
		if got := policyOfRoleContains(s, role, "ses:PutSuppressedDestination"); got != (name == "sesevents") {
			t.Errorf("%s: ses:PutSuppressedDestination %v", name, got)
		}
	}
	walkStatements(s.ofType("AWS::IAM::Policy"), func(where string, st map[string]any) {
		if strings.Contains(mustJSON(st["Action"]), "ses:PutSuppressedDestination") && mustJSON(st["Action"]) != `"ses:PutSuppressedDestination"` {
			t.Errorf("%s: the suppression statement carries other actions: %s", where, mustJSON(st))
		}
	})
	assertNagClean(t, s)
}

func TestOutputs(t *testing.T) {
	s := defaultStack(t)
	want := []string{"ApiUrl", "TableName", "SesConfigurationSet", "EventBusName", "AlarmTopicArn"}
	for _, q := range catalog.Load().Queues {
		want = append(want, "QueueUrl"+camel(q.Name))
	}
	for _, id := range want {
		if s.outputs[id] == nil {
			t.Errorf("output %s missing; have %v", id, keys(s.outputs))
		}
	}
}

// TestNoWildcardPermissions walks every policy statement in the template.
func TestNoWildcardPermissions(t *testing.T) {
	for name, s := range map[string]*synthesized{
		"default":                   defaultStack(t),
		"email and events function": synth(t, map[string]any{ctxSESIdentity: "example.com"}, mailerCatalog()),
	} {
		t.Run(name, func(t *testing.T) {
			statements, problems := wildcardProblems(s.resources)
			if statements == 0 {
				t.Fatal("found no policy statements: the walk is broken")
			}
			for _, p := range problems {
				t.Error(p)
			}
			if n := len(s.ofType("AWS::IAM::ManagedPolicy")); n != 0 {
				t.Errorf("managed policies: %d, want 0", n)
			}
			for id, r := range s.ofType("AWS::IAM::Role") {
				if r.Properties["ManagedPolicyArns"] != nil {
					t.Errorf("role %s uses managed policies %v", id, r.Properties["ManagedPolicyArns"])
				}
			}
		})
	}
}

// wildcardProblems lists statements with Action "*", or a wildcard action
// on Resource "*", anywhere in the template (identity and resource policies).
func wildcardProblems(resources map[string]resource) (statements int, problems []string) {
	walkStatements(resources, func(where string, st map[string]any) {
		statements++
		var actions []string
		for _, a := range listOf(st["Action"]) {
			actions = append(actions, fmt.Sprint(a))
		}
		if slices.Contains(actions, "*") {
			problems = append(problems, fmt.Sprintf("%s: Action \"*\" in %s", where, mustJSON(st)))
		}
		wildAction := slices.ContainsFunc(actions, func(a string) bool { return strings.Contains(a, "*") })
		if slices.Contains(listOf(st["Resource"]), any("*")) && wildAction {
			problems = append(problems, fmt.Sprintf("%s: wildcard action on Resource \"*\" in %s", where, mustJSON(st)))
		}
	})
	return statements, problems
}

func TestWildcardCheckCatchesWildcards(t *testing.T) {
	// Given policies the check must refuse and one it must accept,
	doc := func(action, res any) map[string]any {
		return map[string]any{"PolicyDocument": map[string]any{"Statement": []any{
			map[string]any{"Effect": "Allow", "Action": action, "Resource": res},
		}}}
	}
	resources := map[string]resource{
		"StarAction":       {Type: "AWS::IAM::Policy", Properties: doc("*", "arn:aws:sqs:eu-west-1:1:q")},
		"StarInList":       {Type: "AWS::IAM::Policy", Properties: doc([]any{"sqs:SendMessage", "*"}, "arn:aws:sqs:eu-west-1:1:q")},
		"ServiceStarOnAll": {Type: "AWS::IAM::Policy", Properties: doc("ses:*", []any{"*"})},
		"Scoped":           {Type: "AWS::IAM::Policy", Properties: doc("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/t")},
	}
	// when checked, then exactly the three bad statements are reported.
	statements, problems := wildcardProblems(resources)
	if statements != 4 || len(problems) != 3 {
		t.Errorf("statements %d, problems %v: want 4 statements and 3 problems", statements, problems)
	}
	for _, p := range problems {
		if strings.HasPrefix(p, "Scoped") {
			t.Errorf("scoped statement reported: %s", p)
		}
	}
}

func walkStatements(resources map[string]resource, visit func(where string, st map[string]any)) {
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				if k == "Statement" {
					for _, st := range listOf(child) {
						if m, ok := st.(map[string]any); ok {
							visit(where, m)
						}
					}
					continue
				}
				walk(where, child)
			}
		case []any:
			for _, child := range x {
				walk(where, child)
			}
		}
	}
	for id, r := range resources {
		walk(id+" ("+r.Type+")", r.Properties)
	}
}

func listOf(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func TestEmailAndEventAccess(t *testing.T) {
	// Given a function that sends email, puts events and reacts to SES
	// events, and an SES identity,
	cat := mailerCatalog()
	s := synth(t, map[string]any{ctxSESIdentity: "example.com"}, cat)
	fns := s.functionsByName(t, *cat)
	mailer := fns[mailerFunction().Name]

	// then the identity exists and uses the configuration set,
	identity := s.resources[onlyID(t, s.ofType("AWS::SES::EmailIdentity"))]
	if identity.Properties["EmailIdentity"] != "example.com" || path(identity.Properties, "ConfigurationSetAttributes", "ConfigurationSetName") == nil {
		t.Errorf("email identity %v, want example.com with the configuration set", identity.Properties)
	}
	// the function may send only as that identity through that set,
	role := refID(s.resources[mailer].Properties["Role"])
	var sesStatement map[string]any
	walkStatements(s.ofType("AWS::IAM::Policy"), func(_ string, st map[string]any) {
		if strings.Contains(mustJSON(st), "ses:SendEmail") {
			sesStatement = st
		}
	})
	if sesStatement == nil {
		t.Fatal("no ses:SendEmail statement")
	}
	res := mustJSON(sesStatement["Resource"])
	identityID := onlyID(t, s.ofType("AWS::SES::EmailIdentity"))
	configSetID := onlyID(t, s.ofType("AWS::SES::ConfigurationSet"))
	if len(listOf(sesStatement["Resource"])) != 2 || strings.Contains(res, "*") ||
		!strings.Contains(res, `:identity/",{"Ref":"`+identityID+`"}`) ||
		!strings.Contains(res, `:configuration-set/",{"Ref":"`+configSetID+`"}`) {
		t.Errorf("ses:SendEmail on %s, want the identity and configuration set ARNs only", res)
	}
	if !policyOfRoleContains(s, role, "ses:SendEmail") || !policyOfRoleContains(s, role, "events:PutEvents") {
		t.Errorf("mailer role %s lacks ses:SendEmail or events:PutEvents", role)
	}
	// it gets the bus and configuration set names,
	vars, _ := path(s.resources[mailer].Properties, "Environment", "Variables").(map[string]any)
	if vars[catalog.EnvEventBusName] == nil || vars[catalog.EnvSESConfigSet] == nil {
		t.Errorf("mailer environment %v, want %s and %s", vars, catalog.EnvEventBusName, catalog.EnvSESConfigSet)
	}
	// and a rule on the default bus invokes it (the catalog's sesevents
	// function has its own rule).
	var rule map[string]any
	for _, r := range s.ofType("AWS::Events::Rule") {
		for _, target := range listOf(r.Properties["Targets"]) {
			if refID(path(target, "Arn")) == mailer {
				rule = r.Properties
			}
		}
	}
	if rule == nil || rule["EventBusName"] != nil || fmt.Sprint(path(rule, "EventPattern", "source")) != "[aws.ses]" ||
		len(listOf(rule["Targets"])) != 1 {
		t.Errorf("rule %v, want aws.ses on the default bus targeting the mailer", rule)
	}
	// cdk-nag has nothing to say about it either.
	assertNagClean(t, s)
}

func TestEmailWithoutIdentityWarns(t *testing.T) {
	// Given a function that sends email but no sesIdentity, when synthesized,
	// then it gets no SES permission and the synth warns.
	s := synth(t, nil, mailerCatalog())
	walkStatements(s.ofType("AWS::IAM::Policy"), func(where string, st map[string]any) {
		if strings.Contains(mustJSON(st), "ses:") {
			t.Errorf("%s: SES permission without an identity: %s", where, mustJSON(st))
		}
	})
	warnings := assertions.Annotations_FromStack(s.stack).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("sesIdentity")))
	if len(*warnings) == 0 {
		t.Error("no warning about the missing sesIdentity")
	}
}

func policyOfRoleContains(s *synthesized, role, action string) bool {
	for _, p := range s.ofType("AWS::IAM::Policy") {
		for _, r := range listOf(p.Properties["Roles"]) {
			if refID(r) == role && strings.Contains(mustJSON(p.Properties["PolicyDocument"]), action) {
				return true
			}
		}
	}
	return false
}

func TestCdkNagAwsSolutionsAndServerless(t *testing.T) {
	// Given cdk-nag's AWS Solutions and Serverless packs on the app, when
	// the stack is synthesized, then neither reports an unsuppressed error
	// or warning.
	assertNagClean(t, defaultStack(t))
}

// nagPacks are the rule-id prefixes of the packs addSecurityChecks applies.
var nagPacks = []string{"AwsSolutions", "Serverless"}

func assertNagClean(t *testing.T, s *synthesized) {
	t.Helper()
	annotations := assertions.Annotations_FromStack(s.stack)
	for _, pack := range nagPacks {
		match := assertions.Match_StringLikeRegexp(jsii.String(pack + "-.*"))
		for kind, found := range map[string]*[]*cxapi.SynthesisMessage{
			"error":   annotations.FindError(jsii.String("*"), match),
			"warning": annotations.FindWarning(jsii.String("*"), match),
		} {
			for _, m := range *found {
				t.Errorf("cdk-nag %s at %s: %v", kind, *m.Id, m.Entry.Data)
			}
		}
	}
}

// mailerFunction is a function of a kind the catalog does not have yet, to
// check the email and event grants.
func mailerFunction() catalog.Function {
	return catalog.Function{
		Name:        "mailer-test",
		Description: "Test only: sends email and reacts to SES events.",
		MemoryMB:    128,
		TimeoutSec:  10,
		Events:      []catalog.EventRule{{Name: "ses-events", Source: "aws.ses", DetailType: []string{"Email Bounced"}}},
		Access: catalog.Access{Items: []catalog.ItemAccess{catalog.Items(catalog.ItemSend, catalog.GetItem, catalog.PutItem)},
			SendsEmail: true, PutsEvents: true},
	}
}

func mailerCatalog() *catalog.Catalog {
	c := catalog.Load()
	c.Functions = append(c.Functions, mailerFunction())
	return &c
}

func onlyID(t *testing.T, m map[string]resource) string {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("want exactly one resource, got %v", keys(m))
	}
	for id := range m {
		return id
	}
	return ""
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func eventRuleCount(cat catalog.Catalog) int {
	n := 0
	for _, f := range cat.Functions {
		n += len(f.Events)
	}
	return n
}

func TestEventRuleTargetsDeadLetter(t *testing.T) {
	// Given the catalog's event rules, when synthesized, then each rule's
	// Lambda target retries and sends what it cannot deliver to a DLQ, so a
	// bounce or complaint event is never silently dropped.
	s := defaultStack(t)
	rules := s.ofType("AWS::Events::Rule")
	if len(rules) != eventRuleCount(catalog.Load()) {
		t.Fatalf("rules %d, want %d", len(rules), eventRuleCount(catalog.Load()))
	}
	for id, rule := range rules {
		targets, _ := rule.Properties["Targets"].([]any)
		for _, tg := range targets {
			m := tg.(map[string]any)
			if path(m, "DeadLetterConfig", "Arn") == nil || path(m, "RetryPolicy", "MaximumRetryAttempts") == nil {
				t.Errorf("rule %s target without a dead-letter queue or retry policy: %v", id, m)
			}
		}
	}
	// and the function itself, invoked asynchronously by the rule, fails
	// into the same queue once Lambda's own retries are spent: the rule's
	// dead-letter queue only sees events it could not hand over.
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	for _, f := range cat.Functions {
		if len(f.Events) == 0 {
			continue
		}
		target := refID(path(s.resources[fns[f.Name]].Properties, "DeadLetterConfig", "TargetArn"))
		if target == "" || s.resources[target].Type != "AWS::SQS::Queue" {
			t.Errorf("%s: dead-letter target %q, want its events dead-letter queue", f.Name, target)
		}
		for id, rule := range rules {
			for _, tg := range listOf(rule.Properties["Targets"]) {
				if refID(path(tg, "Arn")) == fns[f.Name] && refID(path(tg, "DeadLetterConfig", "Arn")) != target {
					t.Errorf("rule %s: dead-letter queue %v, want the function's %s", id, path(tg, "DeadLetterConfig", "Arn"), target)
				}
			}
		}
	}
}

func TestSenderPacesToTheAccountsRate(t *testing.T) {
	// Given the catalog's sender and an SES identity,
	cat := catalog.Load()
	s := synth(t, map[string]any{ctxSESIdentity: "example.com"}, nil)
	fns := s.functionsByName(t, cat)
	sender, ok := fns["sender"]
	if !ok {
		t.Fatal("no sender function")
	}
	// when synthesized without a rate, then the sender reads the account's
	// rate from SES (no SES_MAX_SEND_RATE) and may read nothing else of the
	// account: ses:GetAccount alone, in its own statement,
	vars, _ := path(s.resources[sender].Properties, "Environment", "Variables").(map[string]any)
	if _, set := vars[senderfn.EnvMaxSendRate]; set {
		t.Errorf("%s set without the %s context", senderfn.EnvMaxSendRate, ctxSESMaxSendRate)
	}
	for _, v := range []string{catalog.EnvSESConfigSet, catalog.EnvSigningSecrets, catalog.EnvPublicBaseURL, catalog.QueueURLEnv(catalog.SendsQueue), catalog.EnvTableName} {
		if vars[v] == nil {
			t.Errorf("sender environment lacks %s", v)
		}
	}
	for name, id := range fns {
		role := refID(s.resources[id].Properties["Role"])
		if got := policyOfRoleContains(s, role, "ses:GetAccount"); got != (name == "sender") {
			t.Errorf("%s: ses:GetAccount %v", name, got)
		}
		if got := policyOfRoleContains(s, role, "ses:SendEmail"); got != (name == "sender") {
			t.Errorf("%s: ses:SendEmail %v", name, got)
		}
	}
	walkStatements(s.ofType("AWS::IAM::Policy"), func(where string, st map[string]any) {
		if strings.Contains(mustJSON(st["Action"]), "ses:GetAccount") && mustJSON(st["Action"]) != `"ses:GetAccount"` {
			t.Errorf("%s: the quota statement carries other actions: %s", where, mustJSON(st))
		}
	})
	assertNagClean(t, s)
	// and with the sesMaxSendRate context the sender, and only it, is
	// capped.
	capped := synth(t, map[string]any{ctxSESMaxSendRate: 20}, nil)
	for name, id := range capped.functionsByName(t, cat) {
		v := path(capped.resources[id].Properties, "Environment", "Variables", senderfn.EnvMaxSendRate)
		if (v == "20") != (name == "sender") {
			t.Errorf("%s: %s = %v", name, senderfn.EnvMaxSendRate, v)
		}
	}
}

// grant is one DynamoDB action a role may take on partition keys matching
// a pattern, in the table or in gsi1.
type grant struct {
	index   bool
	action  string
	pattern string
}

// dynamoGrants expands every DynamoDB statement in the policies attached to
// a role into grants, failing on a statement without a LeadingKeys
// condition or on a resource other than the table or its gsi1.
func (s *synthesized) dynamoGrants(t *testing.T, roleID, tableID string) map[grant]bool {
	t.Helper()
	out := map[grant]bool{}
	for pid, r := range s.ofType("AWS::IAM::Policy") {
		attached := false
		for _, ref := range listOf(r.Properties["Roles"]) {
			attached = attached || refID(ref) == roleID
		}
		if !attached {
			continue
		}
		for _, raw := range listOf(path(r.Properties, "PolicyDocument", "Statement")) {
			st := raw.(map[string]any)
			var actions []string
			for _, a := range listOf(st["Action"]) {
				if strings.HasPrefix(fmt.Sprint(a), "dynamodb:") {
					actions = append(actions, strings.TrimPrefix(fmt.Sprint(a), "dynamodb:"))
				}
			}
			if len(actions) == 0 {
				continue
			}
			res := listOf(st["Resource"])
			if len(res) != 1 {
				t.Errorf("%s: DynamoDB statement on %d resources, want the table or its index: %s", pid, len(res), mustJSON(st))
				continue
			}
			index := false
			switch {
			case refID(res[0]) == tableID && path(res[0], "Fn::GetAtt") != nil:
			case strings.Contains(mustJSON(res[0]), `"/index/`+gsi1Name+`"`) && strings.Contains(mustJSON(res[0]), tableID):
				index = true
			default:
				t.Errorf("%s: DynamoDB statement on %s, want the table's ARN or its %s", pid, mustJSON(res[0]), gsi1Name)
				continue
			}
			pats := listOf(path(st, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys"))
			if len(pats) == 0 || len(path(st, "Condition").(map[string]any)) != 1 {
				t.Errorf("%s: DynamoDB statement without (only) a ForAllValues:StringLike dynamodb:LeadingKeys condition: %s", pid, mustJSON(st))
				continue
			}
			for _, a := range actions {
				for _, p := range pats {
					out[grant{index, a, fmt.Sprint(p)}] = true
				}
			}
		}
	}
	return out
}

func TestTableAccessIsLimitedToDeclaredItemKinds(t *testing.T) {
	// Given the catalog's item declarations, when the stack is synthesized,
	s := defaultStack(t)
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	tableID := onlyID(t, s.ofType("AWS::DynamoDB::Table"))
	all := map[string]map[grant]bool{}
	for _, f := range cat.Functions {
		roleID := refID(s.resources[fns[f.Name]].Properties["Role"])
		got := s.dynamoGrants(t, roleID, tableID)
		all[f.Name] = got
		// then each function's role may do exactly what it declares, on the
		// partition keys of the kinds it names (LeadingKeys), nothing more,
		want := map[grant]bool{}
		for _, it := range f.Access.Items {
			pats, ok := dynamo.KindPatterns(it.Kind)
			if !ok {
				t.Fatalf("%s: kind %s has no patterns", f.Name, it.Kind)
			}
			for _, op := range it.Ops {
				for _, p := range pats {
					want[grant{it.Kind.IsIndex(), string(op), p}] = true
				}
			}
		}
		for g := range got {
			if !want[g] {
				t.Errorf("%s: granted %+v, not declared", f.Name, g)
			}
			if g.action == string(catalog.Scan) {
				t.Errorf("%s: may Scan (%+v): LeadingKeys cannot limit a scan", f.Name, g)
			}
			if g.pattern == "*" || g.pattern == "" {
				t.Errorf("%s: grant %+v reaches every item", f.Name, g)
			}
		}
		for g := range want {
			if !got[g] {
				t.Errorf("%s: declared %+v, not granted", f.Name, g)
			}
		}
	}
	// and the public functions, which anyone on the internet can call, hold
	// only what they serve: ingest reads sites and forms (definitions, and
	// forms saved before the registry) and counts fills, links reads and
	// updates contacts and reads sends and definitions (templates for the
	// click check, topics, sending settings; templates saved before the
	// registry); webhooks has no table at all, and only admin and jobs read
	// the index (the processor its definitions partitions: the live segments
	// and journeys).
	exact := map[string][]grant{
		"ingest": {{false, "GetItem", "S#*"}, {false, "GetItem", "DEF#*"}, {false, "GetItem", "F#*"}, {false, "UpdateItem", "RL#*"}},
		"links": {{false, "GetItem", "C#*"}, {false, "PutItem", "C#*"}, {false, "GetItem", "SEND#*"},
			{false, "GetItem", "DEF#*"}, {false, "GetItem", "TPL#*"},
			// A campaign send's first open and click: marked on the send,
			// counted in the campaign's results.
			{false, "UpdateItem", "SEND#*"}, {false, "UpdateItem", "CSTAT#*"}},
	}
	for name, gs := range exact {
		if len(all[name]) != len(gs) {
			t.Errorf("%s: %d grants %v, want exactly %v", name, len(all[name]), all[name], gs)
		}
		for _, g := range gs {
			if !all[name][g] {
				t.Errorf("%s: missing %+v", name, g)
			}
		}
	}
	if len(all["webhooks"]) != 0 {
		t.Errorf("webhooks: %v, want no table access", all["webhooks"])
	}
	for name, gs := range all {
		for g := range gs {
			// The processor lists the live segments and journeys (cached)
			// through the definitions index, and no other: campaigns reads
			// its audience from the member index, not an index of contacts.
			defs := name == "processor" && g.pattern == "DEFS#*"
			if g.index && name != "admin" && name != "jobs" && !defs {
				t.Errorf("%s: index access %+v", name, g)
			}
		}
	}
}

// TestConsoleUserPool: invited users only, a group per catalog role, a
// browser client without a secret, and the admin function told the
// issuer and client and allowed exactly the users API's calls on the pool.
func TestConsoleUserPool(t *testing.T) {
	s := defaultStack(t)
	tpl := assertions.Template_FromStack(s.stack, nil)
	tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
		"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true},
		"UsernameAttributes":    []any{"email"},
	})
	tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
		"GenerateSecret":    false,
		"ExplicitAuthFlows": assertions.Match_ArrayWith(&[]any{"ALLOW_USER_PASSWORD_AUTH"}),
	})
	for _, r := range catalog.Roles() {
		tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolGroup"), map[string]any{"GroupName": string(r)})
	}
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
			catalog.EnvUserPoolIssuer:   assertions.Match_AnyValue(),
			catalog.EnvUserPoolClientID: assertions.Match_AnyValue(),
			catalog.EnvUserPoolID:       assertions.Match_AnyValue(),
		})},
	})
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Action": assertions.Match_ArrayWith(&[]any{"cognito-idp:AdminCreateUser", "cognito-idp:AdminDisableUser"}),
		})})},
	})
	for _, id := range []string{"UserPoolId", "UserPoolClientId"} {
		if s.outputs[id] == nil {
			t.Errorf("output %s missing", id)
		}
	}
}

func TestSecurityChecksIncludeTheServerlessPack(t *testing.T) {
	// Given a stack with a bare SQS queue (no dead-letter queue) under the
	// app's security checks,
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: outDir(t)})
	stack := awscdk.NewStack(app, jsii.String("Bare"), nil)
	awssqs.NewQueue(stack, jsii.String("Bare"), &awssqs.QueueProps{EnforceSSL: jsii.Bool(true)})
	addSecurityChecks(app)
	// when it is synthesized, then both packs report it.
	annotations := assertions.Annotations_FromStack(stack)
	for _, rule := range []string{"Serverless-SQSRedrivePolicy", "AwsSolutions-SQS3"} {
		found := annotations.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(rule+":.*")))
		if len(*found) == 0 {
			t.Errorf("no %s finding on a queue without a dead-letter queue", rule)
		}
	}
}

// TestConsoleDistribution: the console's files in a private bucket read
// only through CloudFront's origin access control, HTTPS only, security
// headers, the SPA fallback at the edge, the API on the same origin, and
// the console's URL as an output.
func TestConsoleDistribution(t *testing.T) {
	s := defaultStack(t)
	tpl := assertions.Template_FromStack(s.stack, nil)
	tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
	})
	tpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
		"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
			"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{
				"ViewerProtocolPolicy":    "redirect-to-https",
				"ResponseHeadersPolicyId": assertions.Match_AnyValue(),
				"FunctionAssociations":    assertions.Match_AnyValue(),
			}),
			"CacheBehaviors": []any{assertions.Match_ObjectLike(&map[string]any{
				"PathPattern": "/v1/*", "ViewerProtocolPolicy": "https-only",
			})},
		}),
	})
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Function"), map[string]any{
		"FunctionCode": assertions.Match_StringLikeRegexp(jsii.String("/console/index.html")),
	})
	tpl.HasResourceProperties(jsii.String("Custom::CDKBucketDeployment"), map[string]any{"DestinationBucketKeyPrefix": "console/"})
	if s.outputs["ConsoleUrl"] == nil {
		t.Errorf("output ConsoleUrl missing; have %v", keys(s.outputs))
	}
}

func TestTableBilling(t *testing.T) {
	// Given no context, the table is on-demand with nothing to scale.
	def := defaultStack(t)
	for _, tbl := range def.ofType("AWS::DynamoDB::Table") {
		if tbl.Properties["BillingMode"] != "PAY_PER_REQUEST" {
			t.Errorf("default billing mode %v, want PAY_PER_REQUEST", tbl.Properties["BillingMode"])
		}
	}
	if n := len(def.ofType("AWS::ApplicationAutoScaling::ScalableTarget")); n != 0 {
		t.Errorf("on-demand table with %d scalable targets", n)
	}

	// Given tableBilling=provisioned, the table and its index start at the
	// minimum capacity, and reads and writes of each scale on utilisation.
	s := synth(t, map[string]any{ctxTableBilling: "provisioned"}, nil)
	tables := s.ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables", len(tables))
	}
	for _, tbl := range tables {
		if m := tbl.Properties["BillingMode"]; m != nil && m != "PROVISIONED" {
			t.Errorf("billing mode %v, want PROVISIONED", m)
		}
		want := fmt.Sprintf(`{"ReadCapacityUnits":%d,"WriteCapacityUnits":%d}`, provisionedMinCapacity, provisionedMinCapacity)
		if got := mustJSON(tbl.Properties["ProvisionedThroughput"]); got != want {
			t.Errorf("table throughput %s, want %s", got, want)
		}
		gsis, _ := tbl.Properties["GlobalSecondaryIndexes"].([]any)
		if len(gsis) != 1 || mustJSON(path(gsis[0], "ProvisionedThroughput")) != want {
			t.Errorf("index throughput: %s", mustJSON(gsis))
		}
	}
	dims := map[string]bool{}
	for _, st := range s.ofType("AWS::ApplicationAutoScaling::ScalableTarget") {
		p := st.Properties
		if p["MinCapacity"] != float64(provisionedMinCapacity) || p["MaxCapacity"] != float64(provisionedMaxCapacity) {
			t.Errorf("scalable target %s: min %v max %v", p["ScalableDimension"], p["MinCapacity"], p["MaxCapacity"])
		}
		dims[fmt.Sprint(p["ScalableDimension"])] = true
	}
	for _, d := range []string{"dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits", "dynamodb:index:ReadCapacityUnits", "dynamodb:index:WriteCapacityUnits"} {
		if !dims[d] {
			t.Errorf("no scalable target for %s (have %v)", d, dims)
		}
	}
	policies := s.ofType("AWS::ApplicationAutoScaling::ScalingPolicy")
	if len(policies) != 4 {
		t.Errorf("%d scaling policies, want 4", len(policies))
	}
	for _, p := range policies {
		if v := path(p.Properties, "TargetTrackingScalingPolicyConfiguration", "TargetValue"); v != float64(provisionedTargetUtilization) {
			t.Errorf("target utilisation %v, want %d", v, provisionedTargetUtilization)
		}
	}
}

// TestFilesBucket: the imports/exports bucket is private (presigned URLs
// only), encrypted, TLS only, its objects expire, and only the functions
// the catalog says use it get its name and object access, under its two
// prefixes.
func TestFilesBucket(t *testing.T) {
	s := defaultStack(t)
	tpl := assertions.Template_FromStack(s.stack, nil)
	var files string
	for id, r := range s.ofType("AWS::S3::Bucket") {
		if r.Properties["LifecycleConfiguration"] != nil {
			files = id
		}
	}
	if files == "" {
		t.Fatal("no bucket with lifecycle rules")
	}
	tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}},
		"LifecycleConfiguration": map[string]any{"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
			"ExpirationInDays": filesExpireDays, "Status": "Enabled",
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": filesAbortUploadDays},
		})}},
		"CorsConfiguration": assertions.Match_ObjectLike(&map[string]any{"CorsRules": []any{assertions.Match_ObjectLike(&map[string]any{
			"AllowedMethods": []any{"PUT", "GET"},
		})}}),
	})
	denies := false
	for _, r := range s.ofType("AWS::S3::BucketPolicy") {
		if refID(path(r.Properties, "Bucket")) == files && strings.Contains(mustJSON(r.Properties), `"aws:SecureTransport":"false"`) {
			denies = true
		}
	}
	if !denies {
		t.Error("the files bucket's policy does not deny requests without TLS")
	}
	cat := catalog.Load()
	fns := s.functionsByName(t, cat)
	for _, f := range cat.Functions {
		env, _ := path(s.resources[fns[f.Name]].Properties, "Environment", "Variables").(map[string]any)
		_, has := env[catalog.EnvBucketName]
		if has != f.Access.UsesBucket {
			t.Errorf("function %s: BUCKET_NAME set %v, uses the bucket %v", f.Name, has, f.Access.UsesBucket)
		}
		role := refID(path(s.resources[fns[f.Name]].Properties, "Role"))
		if got := policyOfRoleContains(s, role, "s3:PutObject"); got != f.Access.UsesBucket {
			t.Errorf("function %s: s3:PutObject granted %v, uses the bucket %v", f.Name, got, f.Access.UsesBucket)
		}
	}
}

// TestConsoleSecurityHeaders: the console's responses carry a CSP that
// allows its own origin and Cognito's regional endpoint, nothing inline and
// no framing, and the other security headers, all from the catalog's list
// the local runner also serves.
func TestConsoleSecurityHeaders(t *testing.T) {
	s := defaultStack(t)
	policies := s.ofType("AWS::CloudFront::ResponseHeadersPolicy")
	if len(policies) != 1 {
		t.Fatalf("%d response headers policies, want the console's one", len(policies))
	}
	var props any
	for _, p := range policies {
		props = p.Properties
	}
	raw, err := json.Marshal(props)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	for _, want := range []string{
		`default-src 'none'`, `script-src 'self'`, `style-src 'self'`, `frame-ancestors 'none'`,
		`connect-src 'self' https://cognito-idp.`, `AWS::Region`, `.amazonaws.com`, `upgrade-insecure-requests`,
		// Imports upload straight to the files bucket from the browser.
		`.amazonaws.com https://*.s3.`,
		`"FrameOption":"DENY"`, `"ContentTypeOptions":{"Override":true}`, `"ReferrerPolicy":"strict-origin-when-cross-origin"`,
		`"AccessControlMaxAgeSec":63072000`, `Permissions-Policy`, `Cross-Origin-Opener-Policy`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("console headers policy lacks %s:\n%s", want, cfg)
		}
	}
	for _, banned := range []string{"unsafe-inline", "unsafe-eval", "*"} {
		if strings.Contains(cfg, "src "+banned) || strings.Contains(cfg, "'"+banned+"'") {
			t.Errorf("console CSP allows %s: %s", banned, cfg)
		}
	}
}

// campaignScheduleDLQs is 1 when some function manages campaign schedules:
// the stack then has their dead-letter queue (and its alarm).
func campaignScheduleDLQs(cat catalog.Catalog) int {
	for _, f := range cat.Functions {
		if f.Access.ManagesSchedules {
			return 1
		}
	}
	return 0
}
