// Package scheduler is Leadflow's EventBridge Scheduler client for
// CreateSchedule, UpdateSchedule and DeleteSchedule, with the SDK's names
// and shapes (github.com/aws/aws-sdk-go-v2/service/scheduler), over the
// REST-JSON protocol. See package shared/awsapi for why (the SDK's endpoint
// table ran on every cold start of campaigns and admin).
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/scheduler/types"
)

// ServiceID is the SDK's service ID for EventBridge Scheduler.
const ServiceID = "Scheduler"

var service = awsapi.Service{ID: ServiceID, SigningName: "scheduler", EndpointPrefix: "scheduler", Error: decodeError}

// Options are the client's settings (see awsapi.Options).
type Options = awsapi.Options

// Client is an EventBridge Scheduler client.
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

func (c *Client) call(ctx context.Context, op, method, path string, params any, body []byte, optFns []func(*Options)) (*string, error) {
	client := c.c
	if len(optFns) > 0 {
		client = New(c.c.Options(), optFns...).c
	}
	out, err := client.DoREST(ctx, op, method, path, params, body, func(data []byte) (any, error) {
		var w struct{ ScheduleArn *string }
		if len(data) > 0 {
			if err := json.Unmarshal(data, &w); err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
		}
		return w.ScheduleArn, nil
	})
	if err != nil {
		return nil, err
	}
	return out.(*string), nil
}

// schedulePath is /schedules/{Name}, the name escaped as the SDK escapes a
// path label (every byte but the unreserved ones).
func schedulePath(op string, name *string) (string, error) {
	if name == nil || *name == "" {
		return "", &smithy.OperationError{ServiceID: ServiceID, OperationName: op,
			Err: &smithy.SerializationError{Err: errors.New("input member Name must not be empty")}}
	}
	const hex = "0123456789ABCDEF"
	b := []byte("/schedules/")
	for i := 0; i < len(*name); i++ {
		c := (*name)[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b), nil
}

// clientToken is the given idempotency token, else a new random UUID (v4),
// as the SDK fills one in: the attempts of one call are then one request
// to AWS.
func clientToken(t *string) *string {
	if t != nil {
		return t
	}
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return aws.String(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:])
}

type CreateScheduleInput struct {
	FlexibleTimeWindow         *types.FlexibleTimeWindow
	Name                       *string
	ScheduleExpression         *string
	Target                     *types.Target
	ActionAfterCompletion      types.ActionAfterCompletion
	ClientToken                *string
	Description                *string
	EndDate                    *time.Time
	GroupName                  *string
	KmsKeyArn                  *string
	ScheduleExpressionTimezone *string
	StartDate                  *time.Time
	State                      types.ScheduleState
}

type CreateScheduleOutput struct {
	ScheduleArn *string
}

// CreateSchedule creates a schedule (POST /schedules/{Name}).
func (c *Client) CreateSchedule(ctx context.Context, in *CreateScheduleInput, optFns ...func(*Options)) (*CreateScheduleOutput, error) {
	if in == nil {
		in = &CreateScheduleInput{}
	}
	path, err := schedulePath("CreateSchedule", in.Name)
	if err != nil {
		return nil, err
	}
	body := scheduleBody(in.ActionAfterCompletion, clientToken(in.ClientToken), in.Description, in.EndDate, in.FlexibleTimeWindow, in.GroupName,
		in.KmsKeyArn, in.ScheduleExpression, in.ScheduleExpressionTimezone, in.StartDate, in.State, in.Target)
	arn, err := c.call(ctx, "CreateSchedule", http.MethodPost, path, in, body, optFns)
	if err != nil {
		return nil, err
	}
	return &CreateScheduleOutput{ScheduleArn: arn}, nil
}

type UpdateScheduleInput struct {
	FlexibleTimeWindow         *types.FlexibleTimeWindow
	Name                       *string
	ScheduleExpression         *string
	Target                     *types.Target
	ActionAfterCompletion      types.ActionAfterCompletion
	ClientToken                *string
	Description                *string
	EndDate                    *time.Time
	GroupName                  *string
	KmsKeyArn                  *string
	ScheduleExpressionTimezone *string
	StartDate                  *time.Time
	State                      types.ScheduleState
}

type UpdateScheduleOutput struct {
	ScheduleArn *string
}

// UpdateSchedule replaces a schedule (PUT /schedules/{Name}).
func (c *Client) UpdateSchedule(ctx context.Context, in *UpdateScheduleInput, optFns ...func(*Options)) (*UpdateScheduleOutput, error) {
	if in == nil {
		in = &UpdateScheduleInput{}
	}
	path, err := schedulePath("UpdateSchedule", in.Name)
	if err != nil {
		return nil, err
	}
	body := scheduleBody(in.ActionAfterCompletion, clientToken(in.ClientToken), in.Description, in.EndDate, in.FlexibleTimeWindow, in.GroupName,
		in.KmsKeyArn, in.ScheduleExpression, in.ScheduleExpressionTimezone, in.StartDate, in.State, in.Target)
	arn, err := c.call(ctx, "UpdateSchedule", http.MethodPut, path, in, body, optFns)
	if err != nil {
		return nil, err
	}
	return &UpdateScheduleOutput{ScheduleArn: arn}, nil
}

type DeleteScheduleInput struct {
	Name        *string
	ClientToken *string
	GroupName   *string
}

type DeleteScheduleOutput struct{}

// DeleteSchedule deletes a schedule (DELETE /schedules/{Name}?clientToken=&groupName=).
func (c *Client) DeleteSchedule(ctx context.Context, in *DeleteScheduleInput, optFns ...func(*Options)) (*DeleteScheduleOutput, error) {
	if in == nil {
		in = &DeleteScheduleInput{}
	}
	path, err := schedulePath("DeleteSchedule", in.Name)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("clientToken", *clientToken(in.ClientToken))
	if in.GroupName != nil {
		q.Set("groupName", *in.GroupName)
	}
	if _, err := c.call(ctx, "DeleteSchedule", http.MethodDelete, path+"?"+q.Encode(), in, nil, optFns); err != nil {
		return nil, err
	}
	return &DeleteScheduleOutput{}, nil
}

func scheduleBody(after types.ActionAfterCompletion, token, description *string, end *time.Time, window *types.FlexibleTimeWindow, group,
	kms, expr, zone *string, start *time.Time, state types.ScheduleState, target *types.Target) []byte {
	e := awsapi.Begin(make([]byte, 0, 1024))
	e.Enum("ActionAfterCompletion", string(after))
	e.Str("ClientToken", token)
	e.Str("Description", description)
	e.Time("EndDate", end)
	if window != nil {
		e.Key("FlexibleTimeWindow")
		o := awsapi.Begin(e.B)
		o.Int32("MaximumWindowInMinutes", window.MaximumWindowInMinutes)
		o.Enum("Mode", string(window.Mode))
		e.B = o.End()
	}
	e.Str("GroupName", group)
	e.Str("KmsKeyArn", kms)
	e.Str("ScheduleExpression", expr)
	e.Str("ScheduleExpressionTimezone", zone)
	e.Time("StartDate", start)
	e.Enum("State", string(state))
	if t := target; t != nil {
		e.Key("Target")
		o := awsapi.Begin(e.B)
		o.Str("Arn", t.Arn)
		if t.DeadLetterConfig != nil {
			o.Key("DeadLetterConfig")
			d := awsapi.Begin(o.B)
			d.Str("Arn", t.DeadLetterConfig.Arn)
			o.B = d.End()
		}
		o.Str("Input", t.Input)
		if t.RetryPolicy != nil {
			o.Key("RetryPolicy")
			r := awsapi.Begin(o.B)
			r.Int32("MaximumEventAgeInSeconds", t.RetryPolicy.MaximumEventAgeInSeconds)
			r.Int32("MaximumRetryAttempts", t.RetryPolicy.MaximumRetryAttempts)
			o.B = r.End()
		}
		o.Str("RoleArn", t.RoleArn)
		e.B = o.End()
	}
	return e.End()
}

// decodeError maps an error code to the SDK's typed error, as the SDK's
// deserializers do; other codes stay smithy.GenericAPIError.
func decodeError(code, message string, _ []byte) error {
	msg := &message
	switch code {
	case "ConflictException":
		return &types.ConflictException{Message: msg}
	case "InternalServerException":
		return &types.InternalServerException{Message: msg}
	case "ResourceNotFoundException":
		return &types.ResourceNotFoundException{Message: msg}
	case "ServiceQuotaExceededException":
		return &types.ServiceQuotaExceededException{Message: msg}
	case "ThrottlingException":
		return &types.ThrottlingException{Message: msg}
	case "ValidationException":
		return &types.ValidationException{Message: msg}
	}
	return nil
}
