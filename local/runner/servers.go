package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/leadflow/leadflow/shared/localaws"
)

// Servers are the local AWS-compatible servers. Cognito is started only
// when asked for (the console's sign-in).
type Servers struct {
	DynamoDB, SQS, SES, Cognito *localaws.Process
	// S3 is gofakes3, served in-process (imports and exports).
	S3 *localaws.S3Server
}

// ServerOptions choose ports and where state and logs go.
type ServerOptions struct {
	Root string
	// DynamoDBPort, SQSPort, SESPort: 0 picks a free loopback port.
	DynamoDBPort, SQSPort, SESPort int
	// DataDir keeps DynamoDB's data and the SQS server's journal between
	// runs (and across a crash); "" runs both in memory.
	DataDir string
	// LogDir receives each server's log; "" discards them.
	LogDir string
	// Cognito also starts cognito-local on CognitoPort (0: a free port),
	// keeping its users under DataDir/cognito when DataDir is set.
	Cognito     bool
	CognitoPort int
	// S3Port is the local S3 server's port (0: a free port); its objects
	// are kept under DataDir/s3 when DataDir is set.
	S3Port int
}

// StartServers starts, for as long as ctx lasts, DynamoDB Local, goaws and aws-ses-v2-local in
// parallel (the JVM is the slow one) and stops them all if any fails.
func StartServers(ctx context.Context, o ServerOptions) (*Servers, error) {
	logFile := func(name string) string {
		if o.LogDir == "" {
			return ""
		}
		return filepath.Join(o.LogDir, name+".log")
	}
	type result struct {
		p   *localaws.Process
		err error
	}
	start := func(f func(context.Context, localaws.Options) (*localaws.Process, error), opts localaws.Options) chan result {
		ch := make(chan result, 1)
		go func() {
			p, err := f(ctx, opts)
			ch <- result{p, err}
		}()
		return ch
	}
	ddbDir, sqsDir := "", ""
	if o.DataDir != "" {
		ddbDir, sqsDir = filepath.Join(o.DataDir, "dynamodb"), filepath.Join(o.DataDir, "sqs")
	}
	dc := start(localaws.StartDynamoDB, localaws.Options{Root: o.Root, Port: o.DynamoDBPort, DataDir: ddbDir, LogFile: logFile("dynamodb")})
	qc := start(localaws.StartSQS, localaws.Options{Root: o.Root, Port: o.SQSPort, DataDir: sqsDir, LogFile: logFile("sqs")})
	sc := start(localaws.StartSES, localaws.Options{Root: o.Root, Port: o.SESPort, LogFile: logFile("ses")})
	cc := make(chan result, 1)
	if o.Cognito {
		cogDir := ""
		if o.DataDir != "" {
			cogDir = filepath.Join(o.DataDir, "cognito")
		}
		cc = start(localaws.StartCognito, localaws.Options{Root: o.Root, Port: o.CognitoPort, DataDir: cogDir, LogFile: logFile("cognito")})
	} else {
		cc <- result{}
	}
	s3Dir := ""
	if o.DataDir != "" {
		s3Dir = filepath.Join(o.DataDir, "s3")
	}
	s3srv, s3err := localaws.StartS3(ctx, localaws.Options{Root: o.Root, Port: o.S3Port, DataDir: s3Dir})
	d, q, s, c := <-dc, <-qc, <-sc, <-cc
	srv := &Servers{DynamoDB: d.p, SQS: q.p, SES: s.p, Cognito: c.p, S3: s3srv}
	if err := errors.Join(d.err, q.err, s.err, c.err, s3err); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("start local servers: %w", err)
	}
	return srv, nil
}

// Endpoints returns where the servers listen.
func (s *Servers) Endpoints() Endpoints {
	ep := Endpoints{DynamoDB: s.DynamoDB.Endpoint, SQS: s.SQS.Endpoint, SES: s.SES.Endpoint}
	if s.S3 != nil {
		ep.S3 = s.S3.Endpoint
	}
	if s.Cognito != nil {
		ep.Cognito = s.Cognito.Endpoint
	}
	return ep
}

// Stop stops every server that was started.
func (s *Servers) Stop() error {
	var errs []error
	for _, p := range []*localaws.Process{s.DynamoDB, s.SQS, s.SES, s.Cognito} {
		if p != nil {
			errs = append(errs, p.Stop())
		}
	}
	if s.S3 != nil {
		errs = append(errs, s.S3.Stop())
	}
	return errors.Join(errs...)
}
