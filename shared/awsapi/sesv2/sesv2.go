// Package sesv2 is Leadflow's SES v2 client for SendEmail, GetAccount and
// PutSuppressedDestination, with the SDK's names and shapes
// (github.com/aws/aws-sdk-go-v2/service/sesv2), over the REST-JSON protocol.
// See package shared/awsapi for why: the SDK's package init (a schema per
// shape, 3,500 allocations, and an endpoint table) ran on every cold start
// of sender and sesevents.
package sesv2

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/sesv2/types"
)

// ServiceID is the SDK's service ID for SES v2.
const ServiceID = "SESv2"

var service = awsapi.Service{ID: ServiceID, SigningName: "ses", EndpointPrefix: "email", Error: decodeError}

// Options are the client's settings (see awsapi.Options).
type Options = awsapi.Options

// Client is an SES v2 client.
type Client struct{ c *awsapi.Client }

// New returns a client with the given options.
func New(o Options, optFns ...func(*Options)) *Client {
	for _, fn := range optFns {
		fn(&o)
	}
	return &Client{c: awsapi.New(service, o)}
}

// NewFromConfig returns a client configured from cfg, as the SDK's does.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	return New(awsapi.FromConfig(cfg, ServiceID), optFns...)
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.c.Options() }

func (c *Client) call(ctx context.Context, op, method, path string, params any, body []byte, decode func([]byte) (any, error), optFns []func(*Options)) (any, error) {
	client := c.c
	if len(optFns) > 0 {
		client = New(c.c.Options(), optFns...).c
	}
	return client.DoREST(ctx, op, method, path, params, body, decode)
}

// decodeJSON decodes a response body into a new T (an empty body is an
// empty output).
func decodeJSON[T any](data []byte) (any, error) {
	out := new(T)
	if len(data) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return out, nil
}

type SendEmailInput struct {
	Content              *types.EmailContent
	ConfigurationSetName *string
	Destination          *types.Destination
	EmailTags            []types.MessageTag
	FromEmailAddress     *string
	ReplyToAddresses     []string
}

type SendEmailOutput struct {
	MessageId *string
}

// SendEmail sends one message (POST /v2/email/outbound-emails).
func (c *Client) SendEmail(ctx context.Context, in *SendEmailInput, optFns ...func(*Options)) (*SendEmailOutput, error) {
	if in == nil {
		in = &SendEmailInput{}
	}
	e := awsapi.Begin(make([]byte, 0, 1024))
	e.Str("ConfigurationSetName", in.ConfigurationSetName)
	if ct := in.Content; ct != nil {
		e.Key("Content")
		o := awsapi.Begin(e.B)
		if m := ct.Simple; m != nil {
			o.Key("Simple")
			s := awsapi.Begin(o.B)
			if m.Body != nil {
				s.Key("Body")
				b := awsapi.Begin(s.B)
				content(&b, "Html", m.Body.Html)
				content(&b, "Text", m.Body.Text)
				s.B = b.End()
			}
			if m.Headers != nil {
				s.Key("Headers")
				s.B = append(s.B, '[')
				for i, h := range m.Headers {
					if i > 0 {
						s.B = append(s.B, ',')
					}
					s.B = nameValue(s.B, h.Name, h.Value)
				}
				s.B = append(s.B, ']')
			}
			content(&s, "Subject", m.Subject)
			o.B = s.End()
		}
		e.B = o.End()
	}
	if d := in.Destination; d != nil {
		e.Key("Destination")
		o := awsapi.Begin(e.B)
		o.Strings("BccAddresses", d.BccAddresses)
		o.Strings("CcAddresses", d.CcAddresses)
		o.Strings("ToAddresses", d.ToAddresses)
		e.B = o.End()
	}
	if in.EmailTags != nil {
		e.Key("EmailTags")
		e.B = append(e.B, '[')
		for i, t := range in.EmailTags {
			if i > 0 {
				e.B = append(e.B, ',')
			}
			e.B = nameValue(e.B, t.Name, t.Value)
		}
		e.B = append(e.B, ']')
	}
	e.Str("FromEmailAddress", in.FromEmailAddress)
	e.Strings("ReplyToAddresses", in.ReplyToAddresses)
	out, err := c.call(ctx, "SendEmail", http.MethodPost, "/v2/email/outbound-emails", in, e.End(), decodeJSON[SendEmailOutput], optFns)
	if err != nil {
		return nil, err
	}
	return out.(*SendEmailOutput), nil
}

func content(o *awsapi.Obj, name string, c *types.Content) {
	if c == nil {
		return
	}
	o.Key(name)
	v := awsapi.Begin(o.B)
	v.Str("Charset", c.Charset)
	v.Str("Data", c.Data)
	o.B = v.End()
}

func nameValue(b []byte, name, value *string) []byte {
	o := awsapi.Begin(b)
	o.Str("Name", name)
	o.Str("Value", value)
	return o.End()
}

type GetAccountInput struct{}

// GetAccountOutput has the parts of the account Leadflow reads.
type GetAccountOutput struct {
	DedicatedIpAutoWarmupEnabled bool
	EnforcementStatus            *string
	ProductionAccessEnabled      bool
	SendQuota                    *types.SendQuota
	SendingEnabled               bool
}

// GetAccount reads the account's state and sending quota (GET /v2/email/account).
func (c *Client) GetAccount(ctx context.Context, in *GetAccountInput, optFns ...func(*Options)) (*GetAccountOutput, error) {
	if in == nil {
		in = &GetAccountInput{}
	}
	out, err := c.call(ctx, "GetAccount", http.MethodGet, "/v2/email/account", in, nil, decodeJSON[GetAccountOutput], optFns)
	if err != nil {
		return nil, err
	}
	return out.(*GetAccountOutput), nil
}

type PutSuppressedDestinationInput struct {
	EmailAddress *string
	Reason       types.SuppressionListReason
}

type PutSuppressedDestinationOutput struct{}

// PutSuppressedDestination adds an address to the account's suppression
// list (PUT /v2/email/suppression/addresses).
func (c *Client) PutSuppressedDestination(ctx context.Context, in *PutSuppressedDestinationInput, optFns ...func(*Options)) (*PutSuppressedDestinationOutput, error) {
	if in == nil {
		in = &PutSuppressedDestinationInput{}
	}
	e := awsapi.Begin(make([]byte, 0, 128))
	e.Str("EmailAddress", in.EmailAddress)
	e.Enum("Reason", string(in.Reason))
	out, err := c.call(ctx, "PutSuppressedDestination", http.MethodPut, "/v2/email/suppression/addresses", in, e.End(), decodeJSON[PutSuppressedDestinationOutput], optFns)
	if err != nil {
		return nil, err
	}
	return out.(*PutSuppressedDestinationOutput), nil
}

// decodeError maps an error code to the SDK's typed error, as the SDK's
// deserializers do; other codes stay smithy.GenericAPIError.
func decodeError(code, message string, _ []byte) error {
	msg := &message
	switch code {
	case "AccountSuspendedException":
		return &types.AccountSuspendedException{Message: msg}
	case "AlreadyExistsException":
		return &types.AlreadyExistsException{Message: msg}
	case "BadRequestException":
		return &types.BadRequestException{Message: msg}
	case "ConcurrentModificationException":
		return &types.ConcurrentModificationException{Message: msg}
	case "ConflictException":
		return &types.ConflictException{Message: msg}
	case "InternalServiceErrorException":
		return &types.InternalServiceErrorException{Message: msg}
	case "LimitExceededException":
		return &types.LimitExceededException{Message: msg}
	case "MailFromDomainNotVerifiedException":
		return &types.MailFromDomainNotVerifiedException{Message: msg}
	case "MessageRejected":
		return &types.MessageRejected{Message: msg}
	case "NotFoundException":
		return &types.NotFoundException{Message: msg}
	case "SendingPausedException":
		return &types.SendingPausedException{Message: msg}
	case "TooManyRequestsException":
		return &types.TooManyRequestsException{Message: msg}
	}
	return nil
}
