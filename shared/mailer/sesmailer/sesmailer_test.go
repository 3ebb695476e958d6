package sesmailer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/mailer/sesmailer"
)

func config(endpoint string) aws.Config {
	return aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
		BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 5, // the mailer must override this
	}
}

var msg = mail.Message{
	From: `"Leadflow" <hello@example.com>`, To: "ada@example.com", ReplyTo: []string{"support@example.com"},
	Subject: "Hi", HTML: "<p>Hi</p>", Text: "Hi",
	Headers:   []mail.Header{{Name: "List-Unsubscribe", Value: "<https://x.example/v1/unsubscribe/t>"}, {Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"}},
	Tags:      map[string]string{mail.TagSendID: "c-1", mail.TagContactID: "c_ada"},
	ConfigSet: "leadflow",
}

// TestClassification answers SendEmail the ways SES can fail and checks
// the mailer made exactly one attempt and said what it means.
func TestClassification(t *testing.T) {
	sesError := func(status int, code string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("X-Amzn-ErrorType", code)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"message":"%s happened"}`, code)
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    mail.Failure
		reason  string
	}{
		{"throttled", sesError(429, "TooManyRequestsException"), mail.Throttled, "TooManyRequestsException"},
		{"daily quota", sesError(400, "LimitExceededException"), mail.Throttled, "LimitExceededException"},
		{"sending paused", sesError(400, "SendingPausedException"), mail.Throttled, "SendingPausedException"},
		{"server error", sesError(500, "InternalFailure"), mail.ServerError, "InternalFailure"},
		{"unavailable", sesError(503, "ServiceUnavailable"), mail.ServerError, "ServiceUnavailable"},
		{"rejected", sesError(400, "MessageRejected"), mail.Refused, "MessageRejected"},
		{"local server's validation error", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(400)
			io.WriteString(w, `{"message":"Bad Request Exception","detail":"bad address"}`)
		}, mail.Refused, ""},
		{"connection dropped after the request was read", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, mail.NoAnswer, "EOF"},
		{"garbled success", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"MessageId": `)
		}, mail.NoAnswer, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tc.handler(w, r)
			}))
			defer srv.Close()
			m := sesmailer.New(sesmailer.NewClient(config(srv.URL)))
			_, err := m.Send(context.Background(), msg)
			got, reason := mail.FailureOf(err)
			if got != tc.want || !strings.Contains(reason, tc.reason) {
				t.Errorf("failure %s (%s), want %s containing %q", got, reason, tc.want, tc.reason)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d attempts: SendEmail must never be retried by the SDK", n)
			}
		})
	}
	t.Run("nothing listening: never sent", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = sesmailer.New(sesmailer.NewClient(config("http://"+addr))).Send(context.Background(), msg)
		if got, reason := mail.FailureOf(err); got != mail.NotSent {
			t.Errorf("failure %s (%s), want not_sent", got, reason)
		}
	})
}

// TestSendsWhatSESNeeds checks the request: Simple content with both
// parts, the custom headers, tags, reply-to and configuration set.
func TestSendsWhatSESNeeds(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		io.WriteString(w, `{"MessageId":"m-1"}`)
	}))
	defer srv.Close()
	id, err := sesmailer.New(sesmailer.NewClient(config(srv.URL))).Send(context.Background(), msg)
	if err != nil || id != "m-1" {
		t.Fatalf("%q %v", id, err)
	}
	raw, _ := json.Marshal(got)
	for _, want := range []string{
		`"ConfigurationSetName":"leadflow"`, `"FromEmailAddress":"\"Leadflow\" \u003chello@example.com\u003e"`,
		`"ReplyToAddresses":["support@example.com"]`, `{"Name":"List-Unsubscribe-Post","Value":"List-Unsubscribe=One-Click"}`,
		`{"Name":"send_id","Value":"c-1"}`, `"Html":{"Charset":"UTF-8","Data":"\u003cp\u003eHi\u003c/p\u003e"}`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("request lacks %s:\n%s", want, raw)
		}
	}
}

// TestAgainstLocalSES sends through aws-ses-v2-local and reads the message
// back from its store.
func TestAgainstLocalSES(t *testing.T) {
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := localaws.StartSES(t.Context(), localaws.Options{Root: root})
	if err != nil {
		t.Fatalf("aws-ses-v2-local: %v", err)
	}
	t.Cleanup(func() { proc.Stop() })
	m := sesmailer.New(sesmailer.NewClient(config(proc.Endpoint)))
	id, err := m.Send(t.Context(), msg)
	if err != nil || id == "" {
		t.Fatalf("%q %v", id, err)
	}
	mails, err := localaws.SentEmails(t.Context(), proc.Endpoint)
	if err != nil || len(mails) != 1 {
		t.Fatalf("%d mails, %v", len(mails), err)
	}
	e := mails[0]
	if e.MessageID != id || e.Destination.To[0] != "ada@example.com" || e.Body.HTML != "<p>Hi</p>" || e.Body.Text != "Hi" {
		t.Errorf("stored %+v", e)
	}
	headers := map[string]string{}
	for _, h := range e.Headers {
		headers[h.Name] = h.Value
	}
	if headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" || headers["List-Unsubscribe"] == "" {
		t.Errorf("headers %v", headers)
	}
	// The local server needs AWS_SES_ACCOUNT to answer GetAccount: the
	// sender falls back to its configured rate.
	if _, err := sesmailer.AccountRate(t.Context(), sesmailer.NewClient(config(proc.Endpoint))); err == nil {
		t.Log("GetAccount answered: the local server now knows an account")
	}
}
