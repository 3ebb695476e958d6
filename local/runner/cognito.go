package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
)

// UserPool is the console's user pool on the local Cognito server.
type UserPool struct {
	// Endpoint is the Cognito server (the browser calls it to sign in).
	Endpoint string
	ID       string
	ClientID string
	// Issuer is the tokens' iss; its JWKS is Issuer + "/.well-known/jwks.json".
	Issuer string
}

// Names of what ProvisionUserPool creates, as the stack names them.
const (
	UserPoolName   = "leadflow-console"
	UserPoolClient = "console"
)

// ProvisionUserPool makes, on the local Cognito server, what the stack
// makes in AWS: the pool (email as the user name), the console's app client
// (USER_PASSWORD_AUTH, no secret: it runs in a browser) and one group per
// role. It finds what an earlier run made, so restarts keep users.
func ProvisionUserPool(ctx context.Context, endpoint string) (UserPool, error) {
	c, err := cognitoClient(ctx, endpoint)
	if err != nil {
		return UserPool{}, err
	}
	pool := UserPool{Endpoint: endpoint}
	pools, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		return UserPool{}, fmt.Errorf("list user pools: %w", err)
	}
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == UserPoolName {
			pool.ID = aws.ToString(p.Id)
		}
	}
	if pool.ID == "" {
		out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
			PoolName:               aws.String(UserPoolName),
			UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		})
		if err != nil {
			return UserPool{}, fmt.Errorf("create user pool: %w", err)
		}
		pool.ID = aws.ToString(out.UserPool.Id)
	}
	clients, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: &pool.ID, MaxResults: aws.Int32(60)})
	if err != nil {
		return UserPool{}, fmt.Errorf("list app clients: %w", err)
	}
	for _, cl := range clients.UserPoolClients {
		if aws.ToString(cl.ClientName) == UserPoolClient {
			pool.ClientID = aws.ToString(cl.ClientId)
		}
	}
	if pool.ClientID == "" {
		out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId: &pool.ID, ClientName: aws.String(UserPoolClient),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		})
		if err != nil {
			return UserPool{}, fmt.Errorf("create app client: %w", err)
		}
		pool.ClientID = aws.ToString(out.UserPoolClient.ClientId)
	}
	for i, r := range catalog.Roles() {
		_, err := c.CreateGroup(ctx, &cip.CreateGroupInput{
			UserPoolId: &pool.ID, GroupName: aws.String(string(r)),
			// Precedence: lower wins in Cognito; admin is the most allowed.
			Precedence: aws.Int32(int32(len(catalog.Roles()) - i)),
		})
		var exists *types.GroupExistsException
		if err != nil && !errors.As(err, &exists) {
			return UserPool{}, fmt.Errorf("create group %s: %w", r, err)
		}
	}
	pool.Issuer = endpoint + "/" + pool.ID
	return pool, nil
}

// EnsureUser makes (or updates) a user who signs in with email and password
// at once, in the role's group: the admin `make dev` prints, and test users.
func EnsureUser(ctx context.Context, pool UserPool, email, password string, role catalog.Role) error {
	c, err := cognitoClient(ctx, pool.Endpoint)
	if err != nil {
		return err
	}
	_, err = c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &pool.ID, Username: &email})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
			UserPoolId: &pool.ID, Username: &email, MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: &email}, {Name: aws.String("email_verified"), Value: aws.String("true")}},
		})
	}
	if err != nil {
		return fmt.Errorf("user %s: %w", email, err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &pool.ID, Username: &email, Password: &password, Permanent: true}); err != nil {
		return fmt.Errorf("set password of %s: %w", email, err)
	}
	if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &pool.ID, Username: &email, GroupName: aws.String(string(role))}); err != nil {
		return fmt.Errorf("add %s to %s: %w", email, role, err)
	}
	return nil
}

func cognitoClient(ctx context.Context, endpoint string) (*cip.Client, error) {
	cfg, err := localaws.AWSConfig(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	return cip.NewFromConfig(cfg), nil
}
