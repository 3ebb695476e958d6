// Package cognitoidentityprovider is Leadflow's Cognito user pools client
// for the operations the console's user directory calls (listing users and
// groups, creating, disabling and regrouping users), with the SDK's names
// and shapes (github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider),
// over the JSON 1.1 protocol (AWSCognitoIdentityProviderService.<Op>). See
// package shared/awsapi for why: the SDK's package init (3,700 allocations
// of schemas, an endpoint table) ran on every cold start of the admin API.
package cognitoidentityprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	smithytime "github.com/aws/smithy-go/time"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/cognitoidentityprovider/types"
)

// ServiceID is the SDK's service ID for Cognito Identity Provider.
const ServiceID = "Cognito Identity Provider"

var service = awsapi.Service{
	ID: ServiceID, SigningName: "cognito-idp", EndpointPrefix: "cognito-idp",
	TargetPrefix: "AWSCognitoIdentityProviderService", ContentType: "application/x-amz-json-1.1",
	Error: decodeError,
}

// Options are the client's settings (see awsapi.Options).
type Options = awsapi.Options

// Client is a Cognito Identity Provider client.
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

// call sends op's body and decodes the answer into a new wire value W,
// turned into the output by conv.
func call[W, O any](ctx context.Context, c *Client, op string, params any, body []byte, conv func(*W) *O, optFns []func(*Options)) (*O, error) {
	client := c.c
	if len(optFns) > 0 {
		client = New(c.c.Options(), optFns...).c
	}
	out, err := client.Do(ctx, op, params, body, func(data []byte) (any, error) {
		w := new(W)
		if len(data) > 0 {
			if err := json.Unmarshal(data, w); err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
		}
		return conv(w), nil
	})
	if err != nil {
		return nil, err
	}
	return out.(*O), nil
}

func same[O any](o *O) *O { return o }

// Wire forms of the outputs' timestamps (epoch seconds).

type wireUser struct {
	Attributes           []types.AttributeType
	Enabled              bool
	UserCreateDate       *float64
	UserLastModifiedDate *float64
	UserStatus           types.UserStatusType
	Username             *string
}

func (w wireUser) user() types.UserType {
	return types.UserType{Attributes: w.Attributes, Enabled: w.Enabled, UserCreateDate: epoch(w.UserCreateDate),
		UserLastModifiedDate: epoch(w.UserLastModifiedDate), UserStatus: w.UserStatus, Username: w.Username}
}

func users(ws []wireUser) []types.UserType {
	if ws == nil {
		return nil
	}
	out := make([]types.UserType, len(ws))
	for i, w := range ws {
		out[i] = w.user()
	}
	return out
}

// epoch reads a timestamp as the SDK does (to the millisecond, UTC).
func epoch(f *float64) *time.Time {
	if f == nil {
		return nil
	}
	t := smithytime.ParseEpochSeconds(*f)
	return &t
}

func attributes(o *awsapi.Obj, name string, as []types.AttributeType) {
	if as == nil {
		return
	}
	o.Key(name)
	o.B = append(o.B, '[')
	for i, a := range as {
		if i > 0 {
			o.B = append(o.B, ',')
		}
		v := awsapi.Begin(o.B)
		v.Str("Name", a.Name)
		v.Str("Value", a.Value)
		o.B = v.End()
	}
	o.B = append(o.B, ']')
}

type ListUsersInGroupInput struct {
	GroupName  *string
	UserPoolId *string
	Limit      *int32
	NextToken  *string
}

type ListUsersInGroupOutput struct {
	NextToken *string
	Users     []types.UserType
}

// ListUsersInGroup lists one page of a group's users.
func (c *Client) ListUsersInGroup(ctx context.Context, in *ListUsersInGroupInput, optFns ...func(*Options)) (*ListUsersInGroupOutput, error) {
	if in == nil {
		in = &ListUsersInGroupInput{}
	}
	e := awsapi.Begin(make([]byte, 0, 128))
	e.Str("GroupName", in.GroupName)
	e.Int32("Limit", in.Limit)
	e.Str("NextToken", in.NextToken)
	e.Str("UserPoolId", in.UserPoolId)
	type wire struct {
		NextToken *string
		Users     []wireUser
	}
	return call(ctx, c, "ListUsersInGroup", in, e.End(), func(w *wire) *ListUsersInGroupOutput {
		return &ListUsersInGroupOutput{NextToken: w.NextToken, Users: users(w.Users)}
	}, optFns)
}

type ListUsersInput struct {
	UserPoolId      *string
	AttributesToGet []string
	Filter          *string
	Limit           *int32
	PaginationToken *string
}

type ListUsersOutput struct {
	PaginationToken *string
	Users           []types.UserType
}

// ListUsers lists one page of the pool's users.
func (c *Client) ListUsers(ctx context.Context, in *ListUsersInput, optFns ...func(*Options)) (*ListUsersOutput, error) {
	if in == nil {
		in = &ListUsersInput{}
	}
	e := awsapi.Begin(make([]byte, 0, 128))
	e.Strings("AttributesToGet", in.AttributesToGet)
	e.Str("Filter", in.Filter)
	e.Int32("Limit", in.Limit)
	e.Str("PaginationToken", in.PaginationToken)
	e.Str("UserPoolId", in.UserPoolId)
	type wire struct {
		PaginationToken *string
		Users           []wireUser
	}
	return call(ctx, c, "ListUsers", in, e.End(), func(w *wire) *ListUsersOutput {
		return &ListUsersOutput{PaginationToken: w.PaginationToken, Users: users(w.Users)}
	}, optFns)
}

type AdminCreateUserInput struct {
	UserPoolId             *string
	Username               *string
	DesiredDeliveryMediums []types.DeliveryMediumType
	MessageAction          types.MessageActionType
	TemporaryPassword      *string
	UserAttributes         []types.AttributeType
}

type AdminCreateUserOutput struct {
	User *types.UserType
}

// AdminCreateUser creates a user (and, unless suppressed, sends the invitation).
func (c *Client) AdminCreateUser(ctx context.Context, in *AdminCreateUserInput, optFns ...func(*Options)) (*AdminCreateUserOutput, error) {
	if in == nil {
		in = &AdminCreateUserInput{}
	}
	e := awsapi.Begin(make([]byte, 0, 256))
	if in.DesiredDeliveryMediums != nil {
		e.Key("DesiredDeliveryMediums")
		e.B = append(e.B, '[')
		for i, m := range in.DesiredDeliveryMediums {
			if i > 0 {
				e.B = append(e.B, ',')
			}
			e.B = awsapi.AppendString(e.B, string(m))
		}
		e.B = append(e.B, ']')
	}
	e.Enum("MessageAction", string(in.MessageAction))
	e.Str("TemporaryPassword", in.TemporaryPassword)
	attributes(&e, "UserAttributes", in.UserAttributes)
	e.Str("UserPoolId", in.UserPoolId)
	e.Str("Username", in.Username)
	type wire struct{ User *wireUser }
	return call(ctx, c, "AdminCreateUser", in, e.End(), func(w *wire) *AdminCreateUserOutput {
		out := &AdminCreateUserOutput{}
		if w.User != nil {
			u := w.User.user()
			out.User = &u
		}
		return out
	}, optFns)
}

type AdminAddUserToGroupInput struct {
	GroupName  *string
	UserPoolId *string
	Username   *string
}

type AdminAddUserToGroupOutput struct{}

// AdminAddUserToGroup adds a user to a group.
func (c *Client) AdminAddUserToGroup(ctx context.Context, in *AdminAddUserToGroupInput, optFns ...func(*Options)) (*AdminAddUserToGroupOutput, error) {
	if in == nil {
		in = &AdminAddUserToGroupInput{}
	}
	return call(ctx, c, "AdminAddUserToGroup", in, userGroup(in.GroupName, in.UserPoolId, in.Username), same[AdminAddUserToGroupOutput], optFns)
}

type AdminRemoveUserFromGroupInput struct {
	GroupName  *string
	UserPoolId *string
	Username   *string
}

type AdminRemoveUserFromGroupOutput struct{}

// AdminRemoveUserFromGroup removes a user from a group.
func (c *Client) AdminRemoveUserFromGroup(ctx context.Context, in *AdminRemoveUserFromGroupInput, optFns ...func(*Options)) (*AdminRemoveUserFromGroupOutput, error) {
	if in == nil {
		in = &AdminRemoveUserFromGroupInput{}
	}
	return call(ctx, c, "AdminRemoveUserFromGroup", in, userGroup(in.GroupName, in.UserPoolId, in.Username), same[AdminRemoveUserFromGroupOutput], optFns)
}

func userGroup(group, pool, user *string) []byte {
	e := awsapi.Begin(make([]byte, 0, 128))
	e.Str("GroupName", group)
	e.Str("UserPoolId", pool)
	e.Str("Username", user)
	return e.End()
}

type AdminDisableUserInput struct {
	UserPoolId *string
	Username   *string
}

type AdminDisableUserOutput struct{}

// AdminDisableUser stops a user signing in.
func (c *Client) AdminDisableUser(ctx context.Context, in *AdminDisableUserInput, optFns ...func(*Options)) (*AdminDisableUserOutput, error) {
	if in == nil {
		in = &AdminDisableUserInput{}
	}
	return call(ctx, c, "AdminDisableUser", in, userGroup(nil, in.UserPoolId, in.Username), same[AdminDisableUserOutput], optFns)
}

type AdminGetUserInput struct {
	UserPoolId *string
	Username   *string
}

type AdminGetUserOutput struct {
	Username             *string
	Enabled              bool
	PreferredMfaSetting  *string
	UserAttributes       []types.AttributeType
	UserCreateDate       *time.Time
	UserLastModifiedDate *time.Time
	UserMFASettingList   []string
	UserStatus           types.UserStatusType
}

// AdminGetUser reads one user.
func (c *Client) AdminGetUser(ctx context.Context, in *AdminGetUserInput, optFns ...func(*Options)) (*AdminGetUserOutput, error) {
	if in == nil {
		in = &AdminGetUserInput{}
	}
	type wire struct {
		Username             *string
		Enabled              bool
		PreferredMfaSetting  *string
		UserAttributes       []types.AttributeType
		UserCreateDate       *float64
		UserLastModifiedDate *float64
		UserMFASettingList   []string
		UserStatus           types.UserStatusType
	}
	return call(ctx, c, "AdminGetUser", in, userGroup(nil, in.UserPoolId, in.Username), func(w *wire) *AdminGetUserOutput {
		return &AdminGetUserOutput{Username: w.Username, Enabled: w.Enabled, PreferredMfaSetting: w.PreferredMfaSetting,
			UserAttributes: w.UserAttributes, UserCreateDate: epoch(w.UserCreateDate), UserLastModifiedDate: epoch(w.UserLastModifiedDate),
			UserMFASettingList: w.UserMFASettingList, UserStatus: w.UserStatus}
	}, optFns)
}

type AdminListGroupsForUserInput struct {
	UserPoolId *string
	Username   *string
	Limit      *int32
	NextToken  *string
}

type AdminListGroupsForUserOutput struct {
	Groups    []types.GroupType
	NextToken *string
}

// AdminListGroupsForUser lists one page of a user's groups.
func (c *Client) AdminListGroupsForUser(ctx context.Context, in *AdminListGroupsForUserInput, optFns ...func(*Options)) (*AdminListGroupsForUserOutput, error) {
	if in == nil {
		in = &AdminListGroupsForUserInput{}
	}
	e := awsapi.Begin(make([]byte, 0, 128))
	e.Int32("Limit", in.Limit)
	e.Str("NextToken", in.NextToken)
	e.Str("UserPoolId", in.UserPoolId)
	e.Str("Username", in.Username)
	type wireGroup struct {
		CreationDate     *float64
		Description      *string
		GroupName        *string
		LastModifiedDate *float64
		Precedence       *int32
		RoleArn          *string
		UserPoolId       *string
	}
	type wire struct {
		Groups    []wireGroup
		NextToken *string
	}
	return call(ctx, c, "AdminListGroupsForUser", in, e.End(), func(w *wire) *AdminListGroupsForUserOutput {
		out := &AdminListGroupsForUserOutput{NextToken: w.NextToken}
		if w.Groups != nil {
			out.Groups = make([]types.GroupType, len(w.Groups))
		}
		for i, g := range w.Groups {
			out.Groups[i] = types.GroupType{CreationDate: epoch(g.CreationDate), Description: g.Description, GroupName: g.GroupName,
				LastModifiedDate: epoch(g.LastModifiedDate), Precedence: g.Precedence, RoleArn: g.RoleArn, UserPoolId: g.UserPoolId}
		}
		return out
	}, optFns)
}

// decodeError maps an error code to the SDK's typed error, as the SDK's
// deserializers do; other codes stay smithy.GenericAPIError.
func decodeError(code, message string, _ []byte) error {
	msg := &message
	switch code {
	case "AliasExistsException":
		return &types.AliasExistsException{Message: msg}
	case "CodeDeliveryFailureException":
		return &types.CodeDeliveryFailureException{Message: msg}
	case "InternalErrorException":
		return &types.InternalErrorException{Message: msg}
	case "InternalServerException":
		return &types.InternalServerException{Message: msg}
	case "InvalidLambdaResponseException":
		return &types.InvalidLambdaResponseException{Message: msg}
	case "InvalidParameterException":
		return &types.InvalidParameterException{Message: msg}
	case "InvalidPasswordException":
		return &types.InvalidPasswordException{Message: msg}
	case "InvalidSmsRoleAccessPolicyException":
		return &types.InvalidSmsRoleAccessPolicyException{Message: msg}
	case "InvalidSmsRoleTrustRelationshipException":
		return &types.InvalidSmsRoleTrustRelationshipException{Message: msg}
	case "LimitExceededException":
		return &types.LimitExceededException{Message: msg}
	case "NotAuthorizedException":
		return &types.NotAuthorizedException{Message: msg}
	case "PreconditionNotMetException":
		return &types.PreconditionNotMetException{Message: msg}
	case "ResourceNotFoundException":
		return &types.ResourceNotFoundException{Message: msg}
	case "TooManyRequestsException":
		return &types.TooManyRequestsException{Message: msg}
	case "UnexpectedLambdaException":
		return &types.UnexpectedLambdaException{Message: msg}
	case "UnsupportedUserStateException":
		return &types.UnsupportedUserStateException{Message: msg}
	case "UserLambdaValidationException":
		return &types.UserLambdaValidationException{Message: msg}
	case "UserNotFoundException":
		return &types.UserNotFoundException{Message: msg}
	case "UsernameExistsException":
		return &types.UsernameExistsException{Message: msg}
	}
	return nil
}
