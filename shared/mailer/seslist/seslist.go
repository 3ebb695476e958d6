// Package seslist is the SES (v2) adapter that puts addresses on the
// account-level suppression list. Leadflow keeps its own suppression list
// (checked before every send); SES's list is the second guard, which also
// stops mail sent outside Leadflow from the same account.
package seslist

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/sesv2"
	"github.com/leadflow/leadflow/shared/awsapi/sesv2/types"
)

// API is the part of the SESv2 client the list uses.
type API interface {
	PutSuppressedDestination(context.Context, *sesv2.PutSuppressedDestinationInput, ...func(*sesv2.Options)) (*sesv2.PutSuppressedDestinationOutput, error)
}

// List is SES's account-level suppression list.
type List struct{ client API }

// New returns the list on an SESv2 client.
func New(client API) *List { return &List{client: client} }

// Suppress adds an address for a hard bounce ("bounce") or a complaint
// ("complaint"); SES knows no other reasons. The call is a PUT: adding an
// address already there succeeds, so a redelivered event is harmless.
func (l *List) Suppress(ctx context.Context, email, reason string) error {
	var r types.SuppressionListReason
	switch reason {
	case "bounce":
		r = types.SuppressionListReasonBounce
	case "complaint":
		r = types.SuppressionListReasonComplaint
	default:
		return fmt.Errorf("ses suppression list: no reason %q (bounce or complaint)", reason)
	}
	if _, err := l.client.PutSuppressedDestination(ctx, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String(email), Reason: r}); err != nil {
		return fmt.Errorf("add to SES's suppression list (%s): %w", reason, err)
	}
	return nil
}
