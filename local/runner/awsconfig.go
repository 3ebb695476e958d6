package runner

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Endpoints are the local servers that stand in for AWS services.
type Endpoints struct {
	DynamoDB string
	SQS      string
	SES      string
	// Cognito is the local Cognito server, when started.
	Cognito string
	// S3 is the local S3-compatible server (gofakes3).
	S3 string
	// EventBridge is filled in by the runner, which serves it itself.
	EventBridge string
	// Scheduler (EventBridge Scheduler) likewise.
	Scheduler string
}

// endpointSource tells each SDK client its base endpoint, the way
// AWS_ENDPOINT_URL_<SERVICE> does, without touching the process environment
// (tests run several platforms at once).
type endpointSource struct{ byService map[string]string }

func (e endpointSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v, ok := e.byService[sdkID]
	return v, ok && v != "", nil
}

// AWSConfig is the configuration handlers get locally: the production
// adapters and clients, only pointed at the local servers.
func AWSConfig(ep Endpoints) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		ConfigSources: []any{endpointSource{byService: map[string]string{
			"DynamoDB": ep.DynamoDB, "SQS": ep.SQS, "SESv2": ep.SES, "EventBridge": ep.EventBridge,
			"Cognito Identity Provider": ep.Cognito, "S3": ep.S3, "Scheduler": ep.Scheduler,
		}}},
		RetryMaxAttempts: 3,
	}
}
