package seslist

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/sesv2"
	"github.com/leadflow/leadflow/shared/awsapi/sesv2/types"
)

type fakeAPI struct {
	in  *sesv2.PutSuppressedDestinationInput
	err error
}

func (f *fakeAPI) PutSuppressedDestination(_ context.Context, in *sesv2.PutSuppressedDestinationInput, _ ...func(*sesv2.Options)) (*sesv2.PutSuppressedDestinationOutput, error) {
	f.in = in
	return &sesv2.PutSuppressedDestinationOutput{}, f.err
}

func TestSuppress(t *testing.T) {
	tests := []struct {
		reason string
		want   types.SuppressionListReason
		ok     bool
	}{
		{"bounce", types.SuppressionListReasonBounce, true},
		{"complaint", types.SuppressionListReasonComplaint, true},
		{"soft_bounces", "", false},
	}
	for _, tc := range tests {
		f := &fakeAPI{}
		err := New(f).Suppress(context.Background(), "a@example.com", tc.reason)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.reason, err)
		}
		if tc.ok && (f.in == nil || f.in.Reason != tc.want || aws.ToString(f.in.EmailAddress) != "a@example.com") {
			t.Errorf("%s: sent %+v", tc.reason, f.in)
		}
	}
	f := &fakeAPI{err: errors.New("boom")}
	if err := New(f).Suppress(context.Background(), "a@example.com", "bounce"); err == nil {
		t.Error("an SES error is returned")
	}
}
