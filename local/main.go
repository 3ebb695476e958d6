// Command local runs the whole Leadflow platform on this machine: DynamoDB
// Local, an SQS server and an SES server with a mail viewer, and every
// catalog function behind a local HTTP API. `make dev` runs it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/webhook"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "leadflow local:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port", name, v)
	}
	return n, nil
}

func run() error {
	root, err := localaws.RepoRoot()
	if err != nil {
		return err
	}
	// LEADFLOW_STATE_DIR moves the data (DynamoDB, the SQS journal, keys,
	// logs) elsewhere: the restart bench runs its own platform beside yours.
	state := filepath.Join(root, ".local")
	if v := os.Getenv("LEADFLOW_STATE_DIR"); v != "" {
		if state, err = filepath.Abs(v); err != nil {
			return err
		}
	}
	logDir := filepath.Join(state, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	port, err := envInt("PORT", 3000)
	if err != nil {
		return err
	}
	ddbPort, err := envInt("LEADFLOW_DYNAMODB_PORT", 8000)
	if err != nil {
		return err
	}
	sqsPort, err := envInt("LEADFLOW_SQS_PORT", 9324)
	if err != nil {
		return err
	}
	sesPort, err := envInt("LEADFLOW_SES_PORT", 8005)
	if err != nil {
		return err
	}
	cognitoPort, err := envInt("LEADFLOW_COGNITO_PORT", 9229)
	if err != nil {
		return err
	}
	s3Port, err := envInt("LEADFLOW_S3_PORT", 9000)
	if err != nil {
		return err
	}
	consoleEmail := strings.TrimSpace(os.Getenv("LEADFLOW_CONSOLE_EMAIL"))
	if consoleEmail == "" {
		consoleEmail = "admin@leadflow.local"
	}
	// The prefix gives the password the upper case letter and symbol
	// Cognito's default policy asks for; the hex gives digits and lower case.
	consolePasswordFile := filepath.Join(state, "console-password")
	consolePassword, err := secret("LEADFLOW_CONSOLE_PASSWORD", consolePasswordFile, "Lf!")
	if err != nil {
		return err
	}
	adminToken, err := secret("LEADFLOW_ADMIN_TOKEN", filepath.Join(state, "admin-token"), "lf_admin_")
	if err != nil {
		return err
	}
	siteKey, err := secret("LEADFLOW_SITE_KEY", filepath.Join(state, "site-key"), "lf_site_")
	if err != nil {
		return err
	}
	webhookSecretFile := filepath.Join(state, "webhook-secret")
	webhookSecret, err := secret("LEADFLOW_WEBHOOK_SECRET", webhookSecretFile, "whsec_")
	if err != nil {
		return err
	}
	// Email links (unsubscribe, preferences, tracking) are signed with it.
	linkSecret, err := secret("LEADFLOW_LINK_SECRET", filepath.Join(state, "link-secret"), "lnk_")
	if err != nil {
		return err
	}
	// Form rate-limit counters key their hashes of addresses with it.
	rateLimitSecret, err := secret("LEADFLOW_RATE_LIMIT_SECRET", filepath.Join(state, "rate-limit-secret"), "rl_")
	if err != nil {
		return err
	}
	// Bind the API first, so a busy port fails before the slow servers start.
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return fmt.Errorf("listen on port %d (set PORT to use another): %w", port, err)
	}

	log := slog.New(runner.NewLogHandler(mustOpen(filepath.Join(logDir, "functions.log"))))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The servers and pollers live on life, which outlives the signal: the
	// API stops accepting first, then what can be processed now is (bounded
	// by 30 s); the rest stays in the SQS server's journal for next time.
	life, endLife := context.WithCancel(context.Background())
	defer endLife()
	fmt.Println("Starting DynamoDB Local, the SQS server, the SES server, the Cognito server and the S3 server...")
	srv, err := runner.StartServers(life, runner.ServerOptions{
		Root: root, DynamoDBPort: ddbPort, SQSPort: sqsPort, SESPort: sesPort,
		Cognito: true, CognitoPort: cognitoPort, S3Port: s3Port,
		DataDir: state, LogDir: logDir,
	})
	if err != nil {
		return err
	}
	defer srv.Stop()
	pool, err := runner.ProvisionUserPool(life, srv.Cognito.Endpoint)
	if err != nil {
		return err
	}
	if err := runner.EnsureUser(life, pool, consoleEmail, consolePassword, catalog.RoleAdmin); err != nil {
		return fmt.Errorf("console admin: %w", err)
	}
	consoleDir := filepath.Join(root, "console", "dist")
	if _, err := os.Stat(filepath.Join(consoleDir, "index.html")); err != nil {
		fmt.Fprintln(os.Stderr, "leadflow local: console/dist is not built (make dev builds it); /console/ will say so")
		consoleDir = ""
	}

	platform, err := runner.New(life, runner.Options{
		Endpoints:  srv.Endpoints(),
		Table:      "leadflow",
		AdminToken: adminToken,
		Site: site.Site{
			Key: siteKey, Name: "Local demo site",
			// Any origin may post with the local key, so a page opened from
			// any local server or file works; deployed sites list theirs.
			AllowedOrigins: []string{"*"},
		},
		Log: log,
		// Receivers (a local request bin, a CRM's test endpoint) verify
		// the signature with the secret kept in .local/webhook-secret.
		WebhookURLs:     os.Getenv("LEADFLOW_WEBHOOK_URLS"),
		WebhookSecret:   webhookSecret,
		SigningSecret:   linkSecret,
		RateLimitSecret: rateLimitSecret,
		PublicBaseURL:   fmt.Sprintf("http://localhost:%d", port),
		UserPool:        &pool,
		ConsoleDir:      consoleDir,
	})
	if err != nil {
		return err
	}
	pollCtx, stopPolling := context.WithCancel(life)
	defer stopPolling()
	platform.Start(pollCtx)

	api := &http.Server{Handler: platform, ReadHeaderTimeout: 10 * time.Second}
	shutDown := make(chan struct{})
	go func() {
		defer close(shutDown)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		api.Shutdown(shutdown)
	}()

	base := fmt.Sprintf("http://localhost:%d", port)
	fmt.Printf(`
Leadflow is running locally.

Console: %s/console/
  email          %s
  password       %s (kept in %s; set LEADFLOW_CONSOLE_PASSWORD to choose it)

  API            %s
  Demo site      %s/demo
  Mail viewer    %s
  DynamoDB Local %s
  SQS (goaws)    %s
  Cognito        %s (user pool %s)
  S3 (gofakes3)  %s (bucket %s; imports and exports)
  Admin token    %s
  Site key       %s
  Webhooks       %s (signing secret in %s)
  Logs           %s

Try it:
  open %s/demo in a browser, then:
  curl -s -H 'Authorization: Bearer %s' '%s/v1/contacts?anonymous_id=<the id shown on the page>'
  or post events yourself:
  curl -s -u '%s:' %s/v1/batch -H 'Content-Type: application/json' \
    -d '{"batch":[{"type":"page","anonymousId":"visitor-1","name":"Pricing","context":{"page":{"url":"https://example.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=launch","title":"Pricing"}}}]}'
  curl -s -H 'Authorization: Bearer %s' '%s/v1/contacts?anonymous_id=visitor-1'

Press Ctrl-C to stop. Contacts and events (DynamoDB) and queued messages (the
SQS server's journal) are kept in .local/ across restarts. Ctrl-C loses nothing
accepted; so far a kill -9 lost nothing accepted either (README, "Local data").
`, base, consoleEmail, consolePassword, consolePasswordFile, base, base, srv.SES.Endpoint, srv.DynamoDB.Endpoint, srv.SQS.Endpoint, pool.Endpoint, pool.ID, srv.S3.Endpoint, platform.Bucket(), adminToken, siteKey, webhooksLine(), webhookSecretFile, logDir,
		base, adminToken, base, siteKey, base, adminToken, base)

	err = api.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-shutDown // in-flight requests have been answered (or given up)
	}
	fmt.Println("\nStopped accepting; processing what is ready (up to 30 s; the rest stays queued in .local/sqs)...")
	drain, cancelDrain := context.WithTimeout(context.Background(), 30*time.Second)
	if derr := platform.Drain(drain); derr != nil {
		fmt.Fprintln(os.Stderr, "leadflow local:", derr)
	}
	cancelDrain()
	stopPolling()
	platform.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		fmt.Println("\nStopped.")
		return nil
	}
	return err
}

// secret returns the variable's value, else one kept in file, else a new
// random one written there, so the token stays the same across restarts.
func secret(env, file, prefix string) (string, error) {
	if v := strings.TrimSpace(os.Getenv(env)); v != "" {
		return v, nil
	}
	if b, err := os.ReadFile(file); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	v := prefix + hex.EncodeToString(b[:])
	if err := os.WriteFile(file, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep %s in %s: %w", env, file, err)
	}
	return v, nil
}

// webhooksLine says where lead.qualified webhooks go, by host only: hook
// URLs often carry a token in their path.
func webhooksLine() string {
	var hosts []string
	for u := range strings.SplitSeq(os.Getenv("LEADFLOW_WEBHOOK_URLS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			hosts = append(hosts, webhook.Redact(u))
		}
	}
	if len(hosts) == 0 {
		return "none (set LEADFLOW_WEBHOOK_URLS=http://localhost:PORT/path,...)"
	}
	return strings.Join(hosts, ", ")
}

func mustOpen(path string) *os.File {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return os.Stderr
	}
	return f
}
