// Package bucket is the S3 adapter of the imports/exports bucket: ranged
// reads, small puts, streamed composition of many objects into one, and
// presigned URLs (the only way a browser reaches the bucket).
package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/leadflow/leadflow/shared/awsapi/s3"
	"github.com/leadflow/leadflow/shared/awsapi/s3/types"
	"github.com/leadflow/leadflow/shared/imports"
)

// Bucket is one S3 bucket.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	name    string
}

var (
	_ imports.Blobs     = (*Bucket)(nil)
	_ imports.Presigner = (*Bucket)(nil)
)

// New returns the bucket. With a base endpoint set (the local server) it
// uses path-style addressing, which gofakes3 serves.
func New(cfg aws.Config, name string) *Bucket {
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
	return &Bucket{client: c, presign: s3.NewPresignClient(c), name: name}
}

// Name is the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Open reads key from offset to its end.
func (b *Bucket) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}
	if offset > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		if notFound(err) {
			return nil, imports.ErrNoUpload
		}
		if rangeNotSatisfiable(err) {
			// The offset is the end of the file: nothing is left.
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, fmt.Errorf("get s3://%s/%s: %w", b.name, key, err)
	}
	return out.Body, nil
}

// Size is the object's size.
func (b *Bucket) Size(ctx context.Context, key string) (int64, error) {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		if notFound(err) {
			return 0, imports.ErrNoUpload
		}
		return 0, fmt.Errorf("head s3://%s/%s: %w", b.name, key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Put writes a small object.
func (b *Bucket) Put(ctx context.Context, key string, body []byte, contentType string) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.name), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String(contentType), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", b.name, key, err)
	}
	return nil
}

// partSize is the multipart part size: S3's minimum for all but the last.
const partSize = 5 << 20

// Compose writes dst as head followed by every object under prefix, in key
// order, holding at most one part (5 MiB) in memory: small results are one
// PutObject, larger ones a multipart upload.
func (b *Bucket) Compose(ctx context.Context, dst string, head []byte, prefix, contentType string) error {
	buf := bytes.NewBuffer(append(make([]byte, 0, partSize+64<<10), head...))
	var uploadID *string
	var parts []types.CompletedPart
	flush := func() error {
		if uploadID == nil {
			out, err := b.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b.name), Key: aws.String(dst), ContentType: aws.String(contentType)})
			if err != nil {
				return fmt.Errorf("start upload of %s: %w", dst, err)
			}
			uploadID = out.UploadId
		}
		n := int32(len(parts) + 1)
		out, err := b.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(b.name), Key: aws.String(dst), UploadId: uploadID, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(buf.Bytes()), ContentLength: aws.Int64(int64(buf.Len())),
		})
		if err != nil {
			return fmt.Errorf("upload part %d of %s: %w", n, dst, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
		buf.Reset()
		return nil
	}
	err := func() error {
		pages := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: aws.String(b.name), Prefix: aws.String(prefix)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list %s: %w", prefix, err)
			}
			for _, o := range page.Contents {
				body, err := b.Open(ctx, aws.ToString(o.Key), 0)
				if err != nil {
					return err
				}
				_, err = io.Copy(buf, body)
				body.Close()
				if err != nil {
					return fmt.Errorf("read %s: %w", aws.ToString(o.Key), err)
				}
				if buf.Len() >= partSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}()
	if err == nil && uploadID == nil {
		return b.Put(ctx, dst, buf.Bytes(), contentType)
	}
	if err == nil && buf.Len() > 0 {
		err = flush()
	}
	if err == nil {
		_, err = b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(b.name), Key: aws.String(dst), UploadId: uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		if err != nil {
			err = fmt.Errorf("complete upload of %s: %w", dst, err)
		}
	}
	if err != nil && uploadID != nil {
		b.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: aws.String(b.name), Key: aws.String(dst), UploadId: uploadID})
	}
	return err
}

// PresignPut is a URL a browser PUTs the file to (with that Content-Type).
func (b *Bucket) PresignPut(ctx context.Context, key, contentType string, ttl time.Duration) (string, error) {
	req, err := b.presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key), ContentType: aws.String(contentType)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign put %s: %w", key, err)
	}
	return req.URL, nil
}

// PresignGet is a download URL that saves as fileName.
func (b *Bucket) PresignGet(ctx context.Context, key, fileName string, ttl time.Duration) (string, error) {
	req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(b.name), Key: aws.String(key),
		ResponseContentDisposition: aws.String(`attachment; filename="` + url.PathEscape(fileName) + `"`),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign get %s: %w", key, err)
	}
	return req.URL, nil
}

// Create makes the bucket if it does not exist (the local runner; the stack
// creates it in AWS).
func (b *Bucket) Create(ctx context.Context) error {
	_, err := b.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.name)})
	if err != nil && !hasCode(err, "BucketAlreadyOwnedByYou", "BucketAlreadyExists") {
		return fmt.Errorf("create bucket %s: %w", b.name, err)
	}
	return nil
}

func notFound(err error) bool { return hasCode(err, "NoSuchKey", "NotFound") }

func rangeNotSatisfiable(err error) bool { return hasCode(err, "InvalidRange") }

func hasCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}
