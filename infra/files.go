package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/leadflow/leadflow/shared/catalog"
)

// Lifetimes of the files bucket's objects: an uploaded file is read within
// minutes of its upload, error reports and exports are downloaded soon
// after they are made; nothing in the bucket is a record of its own (the
// table keeps the imports' counts).
const (
	filesExpireDays      = 7
	filesAbortUploadDays = 1
)

// addFilesBucket makes the bucket for CSV imports and exports: private
// (browsers reach it only through presigned URLs the admin API hands out),
// encrypted, TLS only, objects expiring.
func (b *builder) addFilesBucket() {
	uses := false
	for _, f := range b.cat.Functions {
		uses = uses || f.Access.UsesBucket
	}
	if !uses {
		return
	}
	b.files = awss3.NewBucket(b.stack, jsii.String("FilesBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		// SSE-S3: no KMS request per object read or written.
		Encryption:      awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:   b.removal,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-transfer-files"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(filesExpireDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(filesAbortUploadDays)),
		}},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(b.files, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("Transfer files only (uploaded CSVs, error reports, exports), expiring within a week; " +
			"every import and export is started through the admin API, which records it in the audit log. Server access logs would need a second bucket.")},
	}, jsii.Bool(true))
}

// allowConsoleUploads lets the console's origin PUT to and GET from
// presigned URLs (the browser uploads the file itself).
func (b *builder) allowConsoleUploads(origin *string) {
	if b.files == nil {
		return
	}
	b.files.AddCorsRule(&awss3.CorsRule{
		AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_PUT, awss3.HttpMethods_GET},
		AllowedOrigins: &[]*string{origin},
		AllowedHeaders: jsii.Strings("content-type"),
		MaxAge:         jsii.Number(3600),
	})
}

// grantFiles gives a function object access to the files bucket, under its
// two prefixes only, and the listing the error report's composition needs.
func (b *builder) grantFiles(f catalog.Function, fn awslambda.Function, role awsiam.Role) {
	if !f.Access.UsesBucket || b.files == nil {
		return
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"),
		Resources: &[]*string{b.files.ArnForObjects(jsii.String("imports/*")), b.files.ArnForObjects(jsii.String("exports/*"))},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("s3:ListBucket"),
		Resources:  &[]*string{b.files.BucketArn()},
		Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": []string{"imports/*", "exports/*"}}},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Object access in the files bucket under imports/ and exports/ only: import and export ids are made at run time."),
		AppliesTo: &[]interface{}{
			"Resource::<" + b.logicalID(b.files) + ".Arn>/imports/*",
			"Resource::<" + b.logicalID(b.files) + ".Arn>/exports/*",
		},
	}}, jsii.Bool(true))
}
