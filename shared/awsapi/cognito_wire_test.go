package awsapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkcip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	cip "github.com/leadflow/leadflow/shared/awsapi/cognitoidentityprovider"
	ciptypes "github.com/leadflow/leadflow/shared/awsapi/cognitoidentityprovider/types"
	"github.com/leadflow/leadflow/shared/awsapi/internal/sdkconv"
)

// A user as Cognito answers it: timestamps in epoch seconds with a fraction.
const cognitoUser = `{"Username":"u-1","Attributes":[{"Name":"email","Value":"a@example.com"},{"Name":"sub","Value":"u-1"}],` +
	`"UserCreateDate":1.765123456789E9,"UserLastModifiedDate":1765123457,"Enabled":true,"UserStatus":"FORCE_CHANGE_PASSWORD"}`

// roundTrip sends in through the SDK's client (op) and ours (mine), both
// against one server answering body, then compares the requests and what
// each decoded.
func roundTrip[I, SI, O, SO any](t *testing.T, body string, in *I,
	sdkOp func(*sdkcip.Client, context.Context, *SI, ...func(*sdkcip.Options)) (*SO, error), mine func(*cip.Client, context.Context, *I, ...func(*cip.Options)) (*O, error)) *O {
	t.Helper()
	c := newCapture(t, 200, body)
	var sin SI
	if err := sdkconv.Convert(&sin, in); err != nil {
		t.Fatal(err)
	}
	sout, err := sdkOp(sdkcip.NewFromConfig(c.config()), context.Background(), &sin)
	if err != nil {
		t.Fatal(err)
	}
	out, err := mine(cip.NewFromConfig(c.config()), context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	sameRequests(t, c)
	sameOutput(t, sout, out)
	return out
}

func TestCognitoRequestsMatchTheSDKsWire(t *testing.T) {
	pool := aws.String("us-east-1_abc")
	t.Run("ListUsersInGroup", func(t *testing.T) {
		out := roundTrip(t, `{"Users":[`+cognitoUser+`],"NextToken":"n2"}`,
			&cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("admin"), NextToken: aws.String("n1"), Limit: aws.Int32(60)},
			(*sdkcip.Client).ListUsersInGroup, (*cip.Client).ListUsersInGroup)
		if len(out.Users) != 1 || !out.Users[0].UserCreateDate.Equal(time.UnixMilli(1765123456789)) {
			t.Errorf("decoded %+v", out)
		}
	})
	t.Run("ListUsers", func(t *testing.T) {
		roundTrip(t, `{"Users":[`+cognitoUser+`,{"Username":"u-2","Enabled":false,"UserStatus":"CONFIRMED"}],"PaginationToken":"p2"}`,
			&cip.ListUsersInput{UserPoolId: pool, PaginationToken: aws.String("p1"), Filter: aws.String(`email ^= "a"`), AttributesToGet: []string{"email"}},
			(*sdkcip.Client).ListUsers, (*cip.Client).ListUsers)
		roundTrip(t, `{"Users":[]}`, &cip.ListUsersInput{UserPoolId: pool}, (*sdkcip.Client).ListUsers, (*cip.Client).ListUsers)
	})
	t.Run("AdminCreateUser", func(t *testing.T) {
		attrs := []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String("a@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}
		roundTrip(t, `{"User":`+cognitoUser+`}`,
			&cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("a@example.com"), UserAttributes: attrs, DesiredDeliveryMediums: []ciptypes.DeliveryMediumType{ciptypes.DeliveryMediumTypeEmail}},
			(*sdkcip.Client).AdminCreateUser, (*cip.Client).AdminCreateUser)
		roundTrip(t, `{"User":`+cognitoUser+`}`,
			&cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("a@example.com"), UserAttributes: attrs, TemporaryPassword: aws.String(`Lf-ABCDefgh"7!`), MessageAction: ciptypes.MessageActionTypeSuppress},
			(*sdkcip.Client).AdminCreateUser, (*cip.Client).AdminCreateUser)
	})
	t.Run("AdminAddUserToGroup", func(t *testing.T) {
		roundTrip(t, `{}`, &cip.AdminAddUserToGroupInput{UserPoolId: pool, Username: aws.String("u-1"), GroupName: aws.String("marketer")},
			(*sdkcip.Client).AdminAddUserToGroup, (*cip.Client).AdminAddUserToGroup)
	})
	t.Run("AdminRemoveUserFromGroup", func(t *testing.T) {
		roundTrip(t, ``, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, Username: aws.String("u-1"), GroupName: aws.String("viewer")},
			(*sdkcip.Client).AdminRemoveUserFromGroup, (*cip.Client).AdminRemoveUserFromGroup)
	})
	t.Run("AdminDisableUser", func(t *testing.T) {
		roundTrip(t, `{}`, &cip.AdminDisableUserInput{UserPoolId: pool, Username: aws.String("u-1")},
			(*sdkcip.Client).AdminDisableUser, (*cip.Client).AdminDisableUser)
	})
	t.Run("AdminGetUser", func(t *testing.T) {
		out := roundTrip(t, `{"Username":"u-1","UserAttributes":[{"Name":"email","Value":"a@example.com"}],"UserCreateDate":1765123456.5,"Enabled":false,"UserStatus":"CONFIRMED","UserMFASettingList":["EMAIL_OTP"]}`,
			&cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("u-1")},
			(*sdkcip.Client).AdminGetUser, (*cip.Client).AdminGetUser)
		if out.UserStatus != ciptypes.UserStatusTypeConfirmed || out.Enabled || out.UserCreateDate == nil {
			t.Errorf("decoded %+v", out)
		}
	})
	t.Run("AdminListGroupsForUser", func(t *testing.T) {
		roundTrip(t, `{"Groups":[{"GroupName":"admin","UserPoolId":"us-east-1_abc","Precedence":1,"CreationDate":1765000000.25,"LastModifiedDate":1765000001},{"GroupName":"viewer"}],"NextToken":"g2"}`,
			&cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("u-1"), Limit: aws.Int32(10)},
			(*sdkcip.Client).AdminListGroupsForUser, (*cip.Client).AdminListGroupsForUser)
	})
}

// cognitodir tells "exists" and "not found" apart by type.
func TestCognitoErrorsMapToTheSDKsTypes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		status int
		body   string
	}{
		{400, `{"__type":"UsernameExistsException","message":"User account already exists"}`},
		{400, `{"__type":"com.amazonaws.cognito#UserNotFoundException","message":"User does not exist."}`},
		{400, `{"__type":"NotAuthorizedException","message":"no"}`},
		{400, `{"__type":"InvalidParameterException","message":"bad"}`},
		{500, `{"__type":"InternalErrorException","message":"oops"}`},
	} {
		c := newCapture(t, tc.status, tc.body)
		in := &sdkcip.AdminGetUserInput{UserPoolId: aws.String("p"), Username: aws.String("u")}
		_, serr := sdkcip.NewFromConfig(c.config(), func(o *sdkcip.Options) { o.RetryMaxAttempts = 1 }).AdminGetUser(ctx, in)
		_, oerr := cip.NewFromConfig(c.config(), func(o *cip.Options) { o.RetryMaxAttempts = 1 }).AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: in.UserPoolId, Username: in.Username})
		sameError(t, serr, oerr)
	}
}
