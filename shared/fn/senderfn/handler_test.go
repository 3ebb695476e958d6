package senderfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/definition/memstore"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/token"
)

type sends struct {
	mu   sync.Mutex
	recs map[string]mail.SendState
}

func (s *sends) GetSend(_ context.Context, id string) (mail.SendState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.recs[id]; ok {
		return r, nil
	}
	return mail.SendState{}, mail.ErrSendNotFound
}

func (s *sends) SaveSend(_ context.Context, st mail.SendState, prev int64) (mail.SendState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.recs[st.SendID]; (prev == 0 && ok) || (prev != 0 && cur.Version != prev) {
		return cur, mail.ErrSendConflict
	}
	st.Version = prev + 1
	s.recs[st.SendID] = st
	return st, nil
}

func (s *sends) ReleaseSend(context.Context, string, int64) error { return nil }

type nothingStored struct{}

func (nothingStored) IsSuppressed(context.Context, string) (bool, error) { return false, nil }
func (nothingStored) MarketingSends(context.Context, string) (mail.CapRecord, error) {
	return mail.CapRecord{}, nil
}
func (nothingStored) SaveMarketingSends(context.Context, string, mail.CapRecord, int64) error {
	return nil
}
func (nothingStored) TakeRate(_ context.Context, _ int64, want, limit int) (int, error) {
	return min(want, limit), nil
}
func (nothingStored) EnqueueDelayed(context.Context, string, time.Duration) error { return nil }

type recipients map[string]mail.Recipient

func (r recipients) Recipient(_ context.Context, id string) (mail.Recipient, error) {
	if x, ok := r[id]; ok {
		return x, nil
	}
	return mail.Recipient{}, mail.ErrContactNotFound
}

type mailer struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (m *mailer) Send(_ context.Context, msg mail.Message) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return "0100018f-ses-" + msg.Tags[mail.TagSendID], nil
}

// TestHandlerOnTheFixture feeds the sends queue's SQS event to the real
// handler: two copies of one send go out once, the double opt-in mail goes
// to a pending contact, and the invalid request is a batch item failure.
// One log line covers the batch and carries no message content.
func TestHandlerOnTheFixture(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "sends-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	settings, err := definitions.Sending()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := definitions.Registry(memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := token.NewSigner(strings.Repeat("k", 32))
	st := &sends{recs: map[string]mail.SendState{}}
	m := &mailer{}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	h := senderfn.NewWith(&mail.Pipeline{
		Settings: settings, Links: mail.Links{Signer: signer, BaseURL: "https://api.leadflow.example"}, ConfigSet: "leadflow",
		Sends: st, Suppressions: nothingStored{}, Caps: nothingStored{},
		Recipients: recipients{
			"c_01JDXK7Q3M8V2N4P6R8T0W2Y4A": {Email: "ada@acme-widgets.com", Status: "subscribed", Timezone: "Pacific/Kiritimati"},
			"c_01JDXM2B5C7D9F1G3H5J7K9L1M": {Email: "bo@example.org", Status: "pending"},
		},
		Templates: definitions.CompiledTemplates(reg),
		Mailer:    m, Requeue: nothingStored{}, Pacer: mail.NewPacer(nothingStored{}, 14),
		ConfirmTemplate: "double-opt-in", Log: log,
		// 12:00 in Kiritimati (UTC+14): no quiet hours for Ada.
		Now: func() time.Time { return time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC) },
	}, log)

	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[3].MessageId {
		t.Errorf("batch item failures %+v, want only the invalid request", resp.BatchItemFailures)
	}
	if len(m.sent) != 2 {
		t.Fatalf("%d messages sent, want the welcome once and the confirmation", len(m.sent))
	}
	for _, id := range []string{"a-5f2c1d9e8b7a6f5e4d3c2b1a", "d-0a1b2c3d4e5f60718293a4b5"} {
		if r := st.recs[id]; r.State != mail.Sent || r.MessageID != "0100018f-ses-"+id {
			t.Errorf("record %s: %+v", id, r)
		}
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var x map[string]any
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, x)
	}
	batch := 0
	for _, l := range lines {
		if l["msg"] == "sends" {
			batch++
			if l["sent"] != float64(2) || l["messages"] != float64(4) {
				t.Errorf("batch line %v", l)
			}
		}
	}
	if batch != 1 {
		t.Errorf("%d batch lines", batch)
	}
	if strings.Contains(logs.String(), "Welcome") || strings.Contains(logs.String(), "ada@acme-widgets.com") {
		t.Errorf("logs carry message content or addresses:\n%s", logs.String())
	}
}

func TestSendRate(t *testing.T) {
	down := errors.New("GetAccount: 400")
	tests := []struct {
		name                string
		account             float64
		accountErr          error
		env, settings, want float64
		sourceHas           string
	}{
		{"the account's rate", 14, nil, 0, 0, 14, "GetAccount"},
		{"an override lowers it", 14, nil, 5, 0, 5, "env"},
		{"an override never raises it", 14, nil, 50, 0, 14, "GetAccount"},
		{"settings when no env", 14, nil, 0, 10, 10, "sending.json"},
		{"env before settings", 14, nil, 3, 10, 3, "env"},
		{"no account: the override", 0, down, 20, 0, 20, "unavailable"},
		{"no account, no override: the sandbox rate", 0, down, 0, 0, senderfn.DefaultSendRate, "default"},
	}
	for _, tc := range tests {
		got, source := senderfn.SendRate(tc.account, tc.accountErr, tc.env, tc.settings)
		if got != tc.want || !strings.Contains(source, tc.sourceHas) {
			t.Errorf("%s: %v (%s), want %v (%s)", tc.name, got, source, tc.want, tc.sourceHas)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		catalog.EnvTableName: "leadflow", catalog.QueueURLEnv(catalog.SendsQueue): "https://sqs/sends",
		catalog.EnvPublicBaseURL: "https://api.example.com/", catalog.EnvSigningSecrets: strings.Repeat("a", 32) + "," + strings.Repeat("b", 40),
		catalog.EnvSESConfigSet: "leadflow-cs", senderfn.EnvMaxSendRate: "12.5",
	}
	cfg, err := senderfn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://api.example.com" || len(cfg.Secrets) != 2 || cfg.MaxSendRate != 12.5 || cfg.ConfigSet != "leadflow-cs" {
		t.Errorf("config %+v", cfg)
	}
	for k, bad := range map[string]string{
		catalog.EnvSigningSecrets: "short", senderfn.EnvMaxSendRate: "-1", senderfn.EnvInDoubtAfter: "1h", catalog.EnvPublicBaseURL: "",
	} {
		old := env[k]
		env[k] = bad
		if _, err := senderfn.ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("%s=%q accepted", k, bad)
		} else if strings.Contains(err.Error(), strings.Repeat("a", 32)) {
			t.Errorf("error echoes a secret: %v", err)
		}
		env[k] = old
	}
}

type stats struct {
	got dynamo.MailStats
	err error
	add int64
}

func (s *stats) CountMail(_ context.Context, _ time.Time, add dynamo.MailStats) error {
	s.add += add.Sent
	return nil
}

func (s *stats) MailStatsSince(context.Context, time.Time, time.Time) (dynamo.MailStats, error) {
	return s.got, s.err
}

func TestCircuitOpensOnBouncesAndSurvivesAFailedRead(t *testing.T) {
	settings, _ := definitions.Sending()
	st := &stats{got: dynamo.MailStats{Sent: 1000, Bounces: 45}}
	c := senderfn.NewCircuit(st, settings.CircuitBreaker, 0, slog.New(slog.DiscardHandler))
	open, why, err := c.Open(context.Background())
	if !open || err != nil || !strings.Contains(why, "bounce rate 4.50%") {
		t.Fatalf("Open = %v %q %v", open, why, err)
	}
	st.err = errors.New("DynamoDB unavailable")
	if open, _, err := c.Open(context.Background()); !open || err != nil {
		t.Errorf("after a failed read: %v %v, want the last decision", open, err)
	}
	healthy := senderfn.NewCircuit(&stats{got: dynamo.MailStats{Sent: 1000, Bounces: 10, Complaints: 0}}, settings.CircuitBreaker, 0, nil)
	if open, _, _ := healthy.Open(context.Background()); open {
		t.Error("open at a 1% bounce rate")
	}
	if err := c.CountSent(context.Background(), 7); err != nil || st.add != 7 {
		t.Errorf("CountSent: %v, added %d", err, st.add)
	}
}

type reportWrites struct{ sum report.Tally }

func (r *reportWrites) AddReportCounts(_ context.Context, day string, _ int, c report.Counts) error {
	for k, n := range c {
		r.sum.Add(day, k, n)
	}
	return nil
}

func TestSendsCountOnTheDashboardOncePerBatch(t *testing.T) {
	settings, _ := definitions.Sending()
	st := &stats{}
	w := &reportWrites{sum: report.Tally{}}
	c := senderfn.NewCircuit(st, settings.CircuitBreaker, 0, nil).WithReports(w)
	for _, n := range []int{7, 0, 3} {
		if err := c.CountSent(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	today := report.DayOf(time.Now())
	if got := w.sum[today][report.Sent]; got != 10 || len(w.sum) != 1 || st.add != 10 {
		t.Fatalf("dashboard %v, breaker %d; want 10 sent today on both", w.sum, st.add)
	}
}
