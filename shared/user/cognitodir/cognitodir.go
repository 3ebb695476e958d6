// Package cognitodir is the user.Directory of a Cognito user pool whose
// groups are the console roles.
package cognitodir

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	cip "github.com/leadflow/leadflow/shared/awsapi/cognitoidentityprovider"
	"github.com/leadflow/leadflow/shared/awsapi/cognitoidentityprovider/types"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/user"
)

// Directory manages the users of one pool.
type Directory struct {
	c    *cip.Client
	pool string
	// showPasswords: make the temporary password here and return it instead
	// of letting Cognito email it (local servers send no mail).
	showPasswords bool
}

var _ user.Directory = (*Directory)(nil)

// New manages pool's users. With showPasswords, invitations carry their
// temporary password (local runs); otherwise Cognito emails it.
func New(c *cip.Client, pool string, showPasswords bool) *Directory {
	return &Directory{c: c, pool: pool, showPasswords: showPasswords}
}

// List returns every user with their role, oldest first. A pool holds a
// team, not a customer base: listing it whole is fine.
func (d *Directory) List(ctx context.Context) ([]user.User, error) {
	roles := map[string]catalog.Role{}
	for _, r := range catalog.Roles() { // least allowed first: higher overwrite
		var token *string
		for {
			out, err := d.c.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: &d.pool, GroupName: aws.String(string(r)), NextToken: token})
			if err != nil {
				return nil, fmt.Errorf("list group %s: %w", r, err)
			}
			for _, u := range out.Users {
				roles[aws.ToString(u.Username)] = r
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
	}
	var users []user.User
	var token *string
	for {
		out, err := d.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &d.pool, PaginationToken: token})
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, u := range out.Users {
			users = append(users, toUser(aws.ToString(u.Username), u.Attributes, u.Enabled, u.UserStatus, u.UserCreateDate, roles))
		}
		if token = out.PaginationToken; token == nil {
			break
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].CreatedAt.Before(users[j].CreatedAt) })
	return users, nil
}

func toUser(name string, attrs []types.AttributeType, enabled bool, status types.UserStatusType, created *time.Time, roles map[string]catalog.Role) user.User {
	u := user.User{ID: name, Enabled: enabled, Status: string(status), Role: roles[name]}
	if created != nil {
		u.CreatedAt = created.UTC()
	}
	for _, a := range attrs {
		if aws.ToString(a.Name) == "email" {
			u.Email = aws.ToString(a.Value)
		}
	}
	return u
}

// Invite creates the account and puts it in the role's group.
func (d *Directory) Invite(ctx context.Context, email string, role catalog.Role) (user.Invitation, error) {
	in := &cip.AdminCreateUserInput{
		UserPoolId: &d.pool,
		Username:   aws.String(email),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
	}
	var temp string
	if d.showPasswords {
		temp = TemporaryPassword()
		in.TemporaryPassword = aws.String(temp)
		in.MessageAction = types.MessageActionTypeSuppress
		in.DesiredDeliveryMediums = nil
	}
	out, err := d.c.AdminCreateUser(ctx, in)
	var exists *types.UsernameExistsException
	if errors.As(err, &exists) {
		return user.Invitation{}, user.ErrExists
	}
	if err != nil {
		return user.Invitation{}, fmt.Errorf("invite user: %w", err)
	}
	u := out.User
	id := aws.ToString(u.Username)
	if _, err := d.c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &d.pool, Username: &id, GroupName: aws.String(string(role))}); err != nil {
		return user.Invitation{}, fmt.Errorf("add user %s to %s: %w", id, role, err)
	}
	got := toUser(id, u.Attributes, u.Enabled, u.UserStatus, u.UserCreateDate, map[string]catalog.Role{id: role})
	return user.Invitation{User: got, TemporaryPassword: temp}, nil
}

// SetRole moves the user into the role's group and out of every other role.
func (d *Directory) SetRole(ctx context.Context, id string, role catalog.Role) (user.User, error) {
	if _, err := d.get(ctx, id); err != nil {
		return user.User{}, err
	}
	// Add first: a failure half-way leaves the user with both roles (the
	// higher wins) rather than with none.
	if _, err := d.c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &d.pool, Username: &id, GroupName: aws.String(string(role))}); err != nil {
		return user.User{}, fmt.Errorf("add user %s to %s: %w", id, role, err)
	}
	for _, r := range catalog.Roles() {
		if r == role {
			continue
		}
		if _, err := d.c.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: &d.pool, Username: &id, GroupName: aws.String(string(r))}); err != nil {
			return user.User{}, fmt.Errorf("remove user %s from %s: %w", id, r, err)
		}
	}
	return d.get(ctx, id)
}

// Disable stops the user signing in. Tokens already issued stay valid until
// they expire (an hour at most: the pool's token validity).
func (d *Directory) Disable(ctx context.Context, id string) (user.User, error) {
	if _, err := d.get(ctx, id); err != nil {
		return user.User{}, err
	}
	if _, err := d.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &d.pool, Username: &id}); err != nil {
		return user.User{}, fmt.Errorf("disable user %s: %w", id, err)
	}
	return d.get(ctx, id)
}

func (d *Directory) get(ctx context.Context, id string) (user.User, error) {
	out, err := d.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &d.pool, Username: &id})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return user.User{}, user.ErrNotFound
	}
	if err != nil {
		return user.User{}, fmt.Errorf("get user %s: %w", id, err)
	}
	groups, err := d.c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: &d.pool, Username: &id})
	if err != nil {
		return user.User{}, fmt.Errorf("groups of user %s: %w", id, err)
	}
	var names []string
	for _, g := range groups.Groups {
		names = append(names, aws.ToString(g.GroupName))
	}
	name := aws.ToString(out.Username)
	return toUser(name, out.UserAttributes, out.Enabled, out.UserStatus, out.UserCreateDate,
		map[string]catalog.Role{name: catalog.HighestRole(names)}), nil
}

// TemporaryPassword meets Cognito's default policy: 8+ characters with
// upper and lower case letters, a digit and a symbol.
func TemporaryPassword() string {
	return "Lf-" + strings.ToUpper(rand.Text()[:4]) + strings.ToLower(rand.Text()[:8]) + "7!"
}
