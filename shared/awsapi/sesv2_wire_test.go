package awsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkses "github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/leadflow/leadflow/shared/awsapi/internal/sdkconv"
	"github.com/leadflow/leadflow/shared/awsapi/sesv2"
	sestypes "github.com/leadflow/leadflow/shared/awsapi/sesv2/types"
)

// sameREST fails unless the last two requests (the SDK's, then ours) have
// the same method, path and query, Content-Type and JSON body (or none).
func sameREST(t *testing.T, c *capture) {
	t.Helper()
	if len(c.bodies) != 2 {
		t.Fatalf("%d requests, want 2", len(c.bodies))
	}
	if c.methods[0] != c.methods[1] || c.uris[0] != c.uris[1] {
		t.Errorf("request line: SDK %s %s, ours %s %s", c.methods[0], c.uris[0], c.methods[1], c.uris[1])
	}
	if c.heads[0].Get("Content-Type") != c.heads[1].Get("Content-Type") {
		t.Errorf("Content-Type: SDK %q, ours %q", c.heads[0].Get("Content-Type"), c.heads[1].Get("Content-Type"))
	}
	if c.heads[1].Get("X-Amz-Target") != "" {
		t.Errorf("a REST request carries X-Amz-Target %q", c.heads[1].Get("X-Amz-Target"))
	}
	if len(c.bodies[0]) == 0 || len(c.bodies[1]) == 0 {
		if len(c.bodies[0]) != len(c.bodies[1]) {
			t.Errorf("bodies differ\nSDK:  %q\nours: %q", c.bodies[0], c.bodies[1])
		}
		return
	}
	var a, b any
	if err := json.Unmarshal(c.bodies[0], &a); err != nil {
		t.Fatalf("SDK body %q: %v", c.bodies[0], err)
	}
	if err := json.Unmarshal(c.bodies[1], &b); err != nil {
		t.Fatalf("our body %q: %v", c.bodies[1], err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("bodies differ\nSDK:  %s\nours: %s", c.bodies[0], c.bodies[1])
	}
}

// sameOutput fails unless ours decoded what the SDK decoded (compared in
// our shape: the fields Leadflow's types keep).
func sameOutput(t *testing.T, sdkOut, ours any) {
	t.Helper()
	want := reflect.New(reflect.TypeOf(ours).Elem())
	if err := sdkconv.ConvertKnown(want.Interface(), sdkOut); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want.Interface(), ours) {
		t.Errorf("decoded\nSDK:  %+v\nours: %+v", want.Elem().Interface(), reflect.ValueOf(ours).Elem().Interface())
	}
}

// sameError fails unless both errors are the same typed API error: type
// name, code, message, fault and HTTP status.
func sameError(t *testing.T, sdkErr, ours error) {
	t.Helper()
	var a, b smithy.APIError
	if !errors.As(sdkErr, &a) || !errors.As(ours, &b) {
		t.Fatalf("not API errors: SDK %v, ours %v", sdkErr, ours)
	}
	if ta, tb := reflect.TypeOf(a).Elem().Name(), reflect.TypeOf(b).Elem().Name(); ta != tb {
		t.Errorf("error type: SDK %s, ours %s", ta, tb)
	}
	if a.ErrorCode() != b.ErrorCode() || a.ErrorMessage() != b.ErrorMessage() || a.ErrorFault() != b.ErrorFault() {
		t.Errorf("SDK %q %q %v, ours %q %q %v", a.ErrorCode(), a.ErrorMessage(), a.ErrorFault(), b.ErrorCode(), b.ErrorMessage(), b.ErrorFault())
	}
	var ra, rb *smithyhttp.ResponseError
	if !errors.As(sdkErr, &ra) || !errors.As(ours, &rb) || ra.HTTPStatusCode() != rb.HTTPStatusCode() {
		t.Errorf("HTTP status: SDK %v, ours %v", ra, rb)
	}
	var oa, ob *smithy.OperationError
	if !errors.As(sdkErr, &oa) || !errors.As(ours, &ob) || oa.ServiceID != ob.ServiceID || oa.OperationName != ob.OperationName {
		t.Errorf("operation: SDK %v, ours %v", oa, ob)
	}
}

func sesClients(c *capture) (*sdkses.Client, *sesv2.Client) {
	return sdkses.NewFromConfig(c.config(), func(o *sdkses.Options) { o.RetryMaxAttempts = 1 }),
		sesv2.NewFromConfig(c.config(), func(o *sesv2.Options) { o.RetryMaxAttempts = 1 })
}

func TestSESv2RequestsMatchTheSDKsWire(t *testing.T) {
	ctx := context.Background()
	t.Run("SendEmail", func(t *testing.T) {
		c := newCapture(t, 200, `{"MessageId":"0100018c-abc"}`)
		utf8 := aws.String("UTF-8")
		in := &sesv2.SendEmailInput{
			FromEmailAddress: aws.String(`"Leadflow" <news@example.com>`),
			Destination:      &sestypes.Destination{ToAddresses: []string{"a@example.com"}},
			ReplyToAddresses: []string{"reply@example.com"},
			Content: &sestypes.EmailContent{Simple: &sestypes.Message{
				Subject: &sestypes.Content{Data: aws.String("Héllo \"you\"\n"), Charset: utf8},
				Body:    &sestypes.Body{Html: &sestypes.Content{Data: aws.String("<p>x</p>\u2028"), Charset: utf8}, Text: &sestypes.Content{Data: aws.String("x\t"), Charset: utf8}},
				Headers: []sestypes.MessageHeader{{Name: aws.String("List-Unsubscribe"), Value: aws.String("<https://x/u?t=1>")}, {Name: aws.String("List-Unsubscribe-Post"), Value: aws.String("List-Unsubscribe=One-Click")}},
			}},
			EmailTags:            []sestypes.MessageTag{{Name: aws.String("send_id"), Value: aws.String("s1")}, {Name: aws.String("contact_id"), Value: aws.String("c1")}},
			ConfigurationSetName: aws.String("leadflow"),
		}
		var sin sdkses.SendEmailInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		sdk, ours := sesClients(c)
		sout, err := sdk.SendEmail(ctx, &sin)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.SendEmail(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.MessageId) != "0100018c-abc" {
			t.Errorf("MessageId %q", aws.ToString(out.MessageId))
		}
		sameOutput(t, sout, out)
		sameREST(t, c)
	})
	t.Run("SendEmail with an empty body and no text", func(t *testing.T) {
		c := newCapture(t, 200, `{"MessageId":"m"}`)
		in := &sesv2.SendEmailInput{FromEmailAddress: aws.String("a@x"), Destination: &sestypes.Destination{ToAddresses: []string{}},
			Content: &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("")}, Body: &sestypes.Body{}}}}
		var sin sdkses.SendEmailInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		sdk, ours := sesClients(c)
		if _, err := sdk.SendEmail(ctx, &sin); err != nil {
			t.Fatal(err)
		}
		if _, err := ours.SendEmail(ctx, in); err != nil {
			t.Fatal(err)
		}
		sameREST(t, c)
	})
	t.Run("GetAccount", func(t *testing.T) {
		c := newCapture(t, 200, `{"DedicatedIpAutoWarmupEnabled":false,"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":true,`+
			`"SendQuota":{"Max24HourSend":50000.0,"MaxSendRate":14.0,"SentLast24Hours":1234.0},"SendingEnabled":true,`+
			`"SuppressionAttributes":{"SuppressedReasons":["BOUNCE","COMPLAINT"]},"Details":{"MailType":"MARKETING","WebsiteURL":"https://x"}}`)
		sdk, ours := sesClients(c)
		sout, err := sdk.GetAccount(ctx, &sdkses.GetAccountInput{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.GetAccount(ctx, &sesv2.GetAccountInput{})
		if err != nil {
			t.Fatal(err)
		}
		if out.SendQuota == nil || out.SendQuota.MaxSendRate != 14 || !out.SendingEnabled {
			t.Errorf("decoded %+v", out)
		}
		sameOutput(t, sout, out)
		sameREST(t, c)
	})
	t.Run("PutSuppressedDestination", func(t *testing.T) {
		c := newCapture(t, 200, `{}`)
		in := &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String("b@example.com"), Reason: sestypes.SuppressionListReasonComplaint}
		var sin sdkses.PutSuppressedDestinationInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		sdk, ours := sesClients(c)
		if _, err := sdk.PutSuppressedDestination(ctx, &sin); err != nil {
			t.Fatal(err)
		}
		if _, err := ours.PutSuppressedDestination(ctx, in); err != nil {
			t.Fatal(err)
		}
		sameREST(t, c)
	})
}

// The errors callers tell apart (sesmailer's classification by code and
// HTTP status; seslist's) come out as the SDK's types, codes and statuses:
// the code from X-Amzn-ErrorType or from the body.
func TestSESv2ErrorsMapToTheSDKsTypes(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		status int
		header string
		body   string
	}{
		{"MessageRejected", 400, "MessageRejected", `{"message":"Email address is not verified."}`},
		{"TooManyRequests", 429, "TooManyRequestsException", `{"message":"Maximum sending rate exceeded."}`},
		{"TooManyRequests in the body", 429, "", `{"__type":"TooManyRequestsException","message":"slow down"}`},
		{"NotFound", 404, "NotFoundException:http://internal.amazon.com/", `{"message":"not on the list"}`},
		{"SendingPaused", 400, "SendingPausedException", `{"message":"paused"}`},
		{"LimitExceeded", 400, "LimitExceededException", `{"message":"too many"}`},
		{"AccountSuspended", 400, "AccountSuspendedException", `{"message":"suspended"}`},
		{"MailFromDomainNotVerified", 400, "MailFromDomainNotVerifiedException", `{"message":"mail from"}`},
		{"BadRequest", 400, "BadRequestException", `{"message":"bad"}`},
		{"InternalServiceError", 500, "InternalServiceErrorException", `{"message":"oops"}`},
		{"unknown code", 400, "SomethingNewException", `{"message":"new"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCapture(t, tc.status, tc.body)
			if tc.header != "" {
				c.errorType = tc.header
			}
			sdk, ours := sesClients(c)
			in := &sesv2.SendEmailInput{FromEmailAddress: aws.String("a@x"), Content: &sestypes.EmailContent{}}
			var sin sdkses.SendEmailInput
			if err := sdkconv.Convert(&sin, in); err != nil {
				t.Fatal(err)
			}
			_, serr := sdk.SendEmail(ctx, &sin)
			_, oerr := ours.SendEmail(ctx, in)
			sameError(t, serr, oerr)
		})
	}
}
