// Package user is the console's users: who may sign in and with which role.
// Accounts live in a Cognito user pool (adapter: user/cognitodir); roles
// are the pool's groups.
package user

import (
	"context"
	"errors"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
)

// User is one console account.
type User struct {
	ID      string       `json:"id"`
	Email   string       `json:"email"`
	Role    catalog.Role `json:"role"`
	Enabled bool         `json:"enabled"`
	// Status is the pool's account status (FORCE_CHANGE_PASSWORD until the
	// first sign-in, then CONFIRMED).
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// Invitation is a new account; TemporaryPassword is set only where the
// directory does not send the invitation itself (locally), and is shown
// once.
type Invitation struct {
	User
	TemporaryPassword string `json:"temporary_password,omitempty"`
}

// Sentinel errors the API maps to 404 and 409.
var (
	ErrNotFound = errors.New("no such user")
	ErrExists   = errors.New("a user with this email exists")
)

// Directory is the user store.
type Directory interface {
	List(ctx context.Context) ([]User, error)
	Invite(ctx context.Context, email string, role catalog.Role) (Invitation, error)
	SetRole(ctx context.Context, id string, role catalog.Role) (User, error)
	Disable(ctx context.Context, id string) (User, error)
}
