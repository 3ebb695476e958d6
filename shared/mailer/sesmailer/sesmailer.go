// Package sesmailer is the SES (v2) adapter of the mail.Mailer port: one
// SendEmail call per message with Simple content, custom headers, message
// tags and the configuration set, and errors classified by what they say
// about the message.
package sesmailer

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/leadflow/leadflow/shared/awsapi/sesv2"
	"github.com/leadflow/leadflow/shared/awsapi/sesv2/types"
	"github.com/leadflow/leadflow/shared/mail"
)

// API is the part of the SESv2 client the mailer uses.
type API interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// AccountAPI reads the account's sending quota.
type AccountAPI interface {
	GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// Mailer sends through SES.
type Mailer struct{ client API }

var _ mail.Mailer = (*Mailer)(nil)

// New returns a mailer on a client built by NewClient.
func New(client API) *Mailer { return &Mailer{client: client} }

// NewClient builds the SES client with retries off. SES has no
// idempotency key: the client's own retry of a SendEmail whose answer was
// lost (a 5xx, a dropped connection) can deliver the message twice. The
// pipeline decides about every retry itself, from what the failed attempt
// says. (Leadflow's own client, shared/awsapi/sesv2: the SDK's package init
// was a third of sender's cold start.)
func NewClient(cfg aws.Config) *sesv2.Client {
	return sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.RetryMaxAttempts = 1 })
}

// Send makes one SendEmail call.
func (m *Mailer) Send(ctx context.Context, msg mail.Message) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(msg.From),
		Destination:      &types.Destination{ToAddresses: []string{msg.To}},
		ReplyToAddresses: msg.ReplyTo,
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: aws.String("UTF-8")},
			Body:    &types.Body{},
		}},
	}
	body := in.Content.Simple.Body
	if msg.HTML != "" {
		body.Html = &types.Content{Data: aws.String(msg.HTML), Charset: aws.String("UTF-8")}
	}
	if msg.Text != "" {
		body.Text = &types.Content{Data: aws.String(msg.Text), Charset: aws.String("UTF-8")}
	}
	for _, h := range msg.Headers {
		in.Content.Simple.Headers = append(in.Content.Simple.Headers, types.MessageHeader{Name: aws.String(h.Name), Value: aws.String(h.Value)})
	}
	for k, v := range msg.Tags {
		in.EmailTags = append(in.EmailTags, types.MessageTag{Name: aws.String(k), Value: aws.String(v)})
	}
	if msg.ConfigSet != "" {
		in.ConfigurationSetName = aws.String(msg.ConfigSet)
	}
	// Whether the whole request went out on the wire is what separates "try
	// again" from "the message may be on its way" when no answer comes.
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	})
	out, err := m.client.SendEmail(ctx, in)
	if err != nil {
		return "", Classify(err, wrote.Load())
	}
	return aws.ToString(out.MessageId), nil
}

// throttling are the error codes that mean "not now": SES did not take the
// message and will later.
var throttling = map[string]bool{
	"TooManyRequestsException": true, "LimitExceededException": true, "Throttling": true,
	"ThrottlingException": true, "SendingPausedException": true,
}

// Classify turns a SendEmail error into a *mail.SendError. wrote says
// whether the request was written out in full: without it, no answer means
// SES never saw the request.
func Classify(err error, wrote bool) *mail.SendError {
	se := &mail.SendError{Err: err}
	var api smithy.APIError
	var resp *smithyhttp.ResponseError
	status := 0
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}
	if errors.As(err, &api) {
		se.Reason = clip(api.ErrorCode() + ": " + api.ErrorMessage())
	} else if status != 0 {
		se.Reason = clip(fmt.Sprintf("HTTP %d: %v", status, err))
	} else {
		se.Reason = clip(err.Error())
	}
	var deser *smithy.DeserializationError
	switch {
	case api != nil && throttling[api.ErrorCode()], status == 429:
		se.Failure = mail.Throttled
	case status >= 500:
		se.Failure = mail.ServerError
	case status >= 400:
		se.Failure = mail.Refused
	case errors.As(err, &deser):
		// An answer came that could not be read: it may well say "sent".
		se.Failure = mail.NoAnswer
	case !wrote:
		se.Failure = mail.NotSent
	default:
		se.Failure = mail.NoAnswer
	}
	return se
}

func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

// AccountRate reads the account's maximum send rate (messages per second)
// from SES's sending quota.
func AccountRate(ctx context.Context, client AccountAPI) (float64, error) {
	out, err := client.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return 0, fmt.Errorf("read the SES sending quota: %w", err)
	}
	if out.SendQuota == nil || out.SendQuota.MaxSendRate <= 0 {
		return 0, errors.New("read the SES sending quota: no maximum send rate in the answer")
	}
	return out.SendQuota.MaxSendRate, nil
}
