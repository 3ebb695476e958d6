package localaws

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig returns a config for talking to a local server at endpoint: region
// us-east-1, static dummy credentials ("local"/"local") and BaseEndpoint set.
//
// It is built directly rather than with config.LoadDefaultConfig, on purpose: that
// reads the developer's environment and ~/.aws files, and fails outright when
// AWS_PROFILE names a profile it cannot find (common in CI and in shells set up for
// real accounts). A local config must not depend on, or be steered by, any of that:
// with no config sources, AWS_ENDPOINT_URL* variables cannot override BaseEndpoint
// either. The service clients fill in their usual defaults (HTTP client, retryer).
func AWSConfig(ctx context.Context, endpoint string) (aws.Config, error) {
	if err := ctx.Err(); err != nil {
		return aws.Config{}, fmt.Errorf("AWS config for %s: %w", endpoint, err)
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return aws.Config{}, fmt.Errorf("AWS config: endpoint %q is not an http(s) URL", endpoint)
	}
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("local", "local", "")),
		BaseEndpoint: aws.String(endpoint),
	}, nil
}
