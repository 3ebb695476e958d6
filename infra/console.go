package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/leadflow/leadflow/shared/catalog"
)

// consoleRouting runs at the edge on every console request: "/" goes to the
// console, and a console path without a file extension is a page of the
// single-page app, so it gets index.html (the SPA fallback). Doing this in a
// function rather than with the distribution's error responses keeps the
// API's own 403 and 404 answers (the /v1/* behaviour) untouched.
const consoleRouting = `function handler(event) {
  var r = event.request;
  if (r.uri === '/' || r.uri === '/console') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/console/' } } };
  }
  if (r.uri.indexOf('/console/') === 0 && r.uri.slice(r.uri.lastIndexOf('/') + 1).indexOf('.') === -1) {
    r.uri = '/console/index.html';
  }
  return r;
}`

// addConsole serves the built console (props.ConsoleDir) from a private S3
// bucket through CloudFront (origin access control, HTTPS only, security
// headers, SPA fallback), with config.json written beside it, and the API
// under /v1/* on the same distribution: the console calls its own origin,
// so no CORS is needed for the admin routes.
func (b *builder) addConsole(dir string) {
	if b.userPool == nil || b.api == nil {
		return
	}
	if dir == "" {
		awscdk.Annotations_Of(b.stack).AddWarningV2(jsii.String("leadflow:console"), jsii.String(
			"the console is not built (console/dist): it is not deployed; run `make console` before synth"))
		return
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		panic("leadflow stack: console dir " + dir + " has no index.html; run `make console`")
	}
	bucket := awss3.NewBucket(b.stack, jsii.String("ConsoleBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     b.removal,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("Holds only the console's built files, written by the stack's deployment and read by CloudFront alone (OAC); " +
			"changes are CloudFormation deploys, recorded in CloudTrail. Server access logs would need a second bucket and add no audit value.")},
	}, jsii.Bool(true))

	routing := awscloudfront.NewFunction(b.stack, jsii.String("ConsoleRouting"), &awscloudfront.FunctionProps{
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(consoleRouting)),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Comment: jsii.String("Leadflow console: / to /console/, SPA fallback to index.html"),
	})
	headers := b.consoleHeaders()
	// "https://<id>.execute-api.<region>.amazonaws.com" -> the host.
	apiHost := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), b.api.ApiEndpoint(), nil))
	dist := awscloudfront.NewDistribution(b.stack, jsii.String("Console"), &awscloudfront.DistributionProps{
		Comment:           jsii.String("Leadflow console and API"),
		DefaultRootObject: jsii.String("console/index.html"),
		PriceClass:        awscloudfront.PriceClass_PRICE_CLASS_100,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			ResponseHeadersPolicy: headers,
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{
				{Function: routing, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST},
			},
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			"/v1/*": {
				Origin: awscloudfrontorigins.NewHttpOrigin(apiHost, &awscloudfrontorigins.HttpOriginProps{
					ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
					OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
				}),
				ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
				AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
				// Every API answer is per caller: never cache, forward
				// Authorization and the query string.
				CachePolicy:         awscloudfront.CachePolicy_CACHING_DISABLED(),
				OriginRequestPolicy: awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			},
		},
	})
	b.allowConsoleUploads(awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), dist.DistributionDomainName()}))
	cdknag.NagSuppressions_AddResourceSuppressions(dist, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-CFR1"), Reason: jsii.String("No geo restriction: marketers sign in from wherever they work; access is by Cognito account.")},
		{Id: jsii.String("AwsSolutions-CFR2"), Reason: jsii.String("No WAF: the console is static files and the API behind it authenticates every admin call and is throttled at the stage; " +
			"a WAF web ACL (in us-east-1) can be attached through WebAclId where rate-based rules are wanted.")},
		{Id: jsii.String("AwsSolutions-CFR3"), Reason: jsii.String("No CloudFront access logs: API calls are logged by the HTTP API's access log and changes by the audit log; " +
			"static file reads need no log.")},
		{Id: jsii.String("AwsSolutions-CFR4"), Reason: jsii.String("The default *.cloudfront.net certificate cannot pin a minimum TLS version; a custom domain with an ACM certificate " +
			"would set TLSv1.2_2021. Viewers are HTTPS only.")},
	}, jsii.Bool(true))

	// The deploy-time copier gets its own log group (with the stack's
	// retention) and a role with inline permissions only: logs to that
	// group; the deployment adds the bucket and invalidation grants.
	copierLogs := awslogs.NewLogGroup(b.stack, jsii.String("ConsoleFilesLogs"), &awslogs.LogGroupProps{
		Retention: b.cfg.logRetention, RemovalPolicy: b.removal,
	})
	copierRole := awsiam.NewRole(b.stack, jsii.String("ConsoleFilesRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Copies the console's files into its bucket during deploys"),
	})
	copierLogs.GrantWrite(copierRole)
	awss3deployment.NewBucketDeployment(b.stack, jsii.String("ConsoleFiles"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket:    bucket,
		DestinationKeyPrefix: jsii.String("console/"),
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(dir), nil),
			// Same shape as the local runner's (local/runner/console.go).
			// apiUrl "": the API is on the console's own origin (/v1/*).
			awss3deployment.Source_JsonData(jsii.String("config.json"), map[string]any{
				"apiUrl": "", "region": b.stack.Region(),
				"userPoolId": b.userPool.UserPoolId(), "userPoolClientId": b.userPoolClient.UserPoolClientId(),
			}, nil),
		},
		Distribution:      dist,
		DistributionPaths: jsii.Strings("/console/index.html", "/console/config.json"),
		LogGroup:          copierLogs,
		Role:              copierRole,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(copierRole, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("CDK's BucketDeployment copies the console's files: object-level access (bucket/*) on the CDK asset " +
			"bucket and the console bucket only, and CloudFront invalidation; it runs only during deploys.")},
	}, jsii.Bool(true))
	// The deployment's handler is a CDK singleton at the stack's root.
	for _, c := range *b.stack.Node().Children() {
		if strings.HasPrefix(*c.Node().Id(), "Custom::CDKBucketDeployment") {
			cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{
				{Id: jsii.String("AwsSolutions-L1"), Reason: jsii.String("CDK's own deploy-time handler: its runtime is chosen and updated by the CDK version.")},
				{Id: jsii.String("Serverless-LambdaLatestVersion"), Reason: jsii.String("CDK's own deploy-time handler: its runtime is chosen and updated by the CDK version.")},
				{Id: jsii.String("Serverless-LambdaDLQ"), Reason: jsii.String("Invoked only by CloudFormation as a custom resource, synchronously from the deploy's view: " +
					"a failure fails (and rolls back) the deploy and is shown in its events, so there is no event to keep in a dead-letter queue.")},
				{Id: jsii.String("Serverless-LambdaTracing"), Reason: jsii.String("Runs once per deploy to copy static files; X-Ray would trace nothing a deploy's events and its log group do not show.")},
			}, jsii.Bool(true))
		}
	}

	awscdk.NewCfnOutput(b.stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Value:       awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), dist.DistributionDomainName(), jsii.String("/console/")}),
		Description: jsii.String("The marketer console"),
	})
}

// consoleHeaders is the console's response headers policy: the CSP and
// headers of catalog.ConsoleCSP/ConsoleHeaders (the local runner sends the
// same), with Cognito's regional endpoint in connect-src and HSTS.
func (b *builder) consoleHeaders() awscloudfront.ResponseHeadersPolicy {
	h := catalog.ConsoleHeaders()
	cognito := "https://cognito-idp." + *b.stack.Region() + ".amazonaws.com"
	connect := []string{cognito}
	if b.files != nil {
		// The browser PUTs an import's file to a presigned URL on the files
		// bucket (virtual-hosted: <bucket>.s3.<region>.amazonaws.com). The
		// bucket's own name cannot be used: its CORS rule names this
		// distribution, which names this policy (a cycle), so the policy
		// allows the region's S3 hosts.
		connect = append(connect, "https://*.s3."+*b.stack.Region()+".amazonaws.com")
	}
	custom := []*awscloudfront.ResponseCustomHeader{}
	for _, name := range []string{"Permissions-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy"} {
		custom = append(custom, &awscloudfront.ResponseCustomHeader{Header: jsii.String(name), Value: jsii.String(h[name]), Override: jsii.Bool(true)})
	}
	return awscloudfront.NewResponseHeadersPolicy(b.stack, jsii.String("ConsoleHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Leadflow console: CSP (own origin and Cognito only, nothing inline) and security headers"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(catalog.ConsoleCSP(true, connect...)), Override: jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true),
			},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true),
			},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Seconds(jsii.Number(63072000)), IncludeSubdomains: jsii.Bool(true), Override: jsii.Bool(true),
			},
		},
		CustomHeadersBehavior: &awscloudfront.ResponseCustomHeadersBehavior{CustomHeaders: &custom},
	})
}
