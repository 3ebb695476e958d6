// Package fnmain is what every functions/<name>/main.go does: read the
// function's configuration from the environment once, load the AWS
// configuration, build the handler and start the Lambda runtime. A
// configuration error stops the cold start with a clear log line instead of
// failing every invocation.
package fnmain

import (
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Start runs a function: configFromEnv reads its settings, build returns
// its handler function (anything lambda.Start accepts).
func Start[C any](configFromEnv func(getenv func(string) string) (C, error), build func(awsCfg aws.Config, cfg C, log *slog.Logger) any) {
	log := lambdacontext.NewLogger()
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := LambdaConfig(os.Getenv)
	if err != nil {
		log.Error("aws configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(build(awsCfg, cfg, log))
}

// LambdaConfig builds the AWS configuration from what Lambda puts in every
// function's environment (the region and the execution role's credentials),
// the same values config.LoadDefaultConfig would take from there. That call
// also looks for shared config and credentials files, SSO, container and
// instance credentials and a dozen settings that a Lambda sandbox never
// has: 10-120 ms of each cold start on the bench machine, the largest part
// of init left after package initialisation, and not linking it drops the
// SSO, SSO OIDC, STS and sign-in clients whose package init ran on every
// cold start. These binaries only run on Lambda (the local runner builds
// handlers with its own configuration), so missing variables are an error.
func LambdaConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set, as Lambda sets them")
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: aws.Credentials{
			AccessKeyID: key, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"), Source: credentials.StaticCredentialsName,
		}}),
	}
	// Honoured as LoadDefaultConfig honours it (tests and the cold-start
	// bench point every client at a local endpoint this way).
	if ep := getenv("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return cfg, nil
}
