// Package types holds the S3 shapes Leadflow uses, with the SDK's names
// (github.com/aws/aws-sdk-go-v2/service/s3/types).
package types

import "time"

// CompletedPart is one uploaded part of a multipart upload.
type CompletedPart struct {
	ETag       *string
	PartNumber *int32
}

// CompletedMultipartUpload lists a multipart upload's parts, in order.
type CompletedMultipartUpload struct {
	Parts []CompletedPart
}

// Object is one entry of a listing.
type Object struct {
	ETag         *string
	Key          *string
	LastModified *time.Time
	Size         *int64
}
