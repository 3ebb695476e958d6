// Package s3 is Leadflow's S3 client for the operations of the files
// bucket (shared/bucket): objects' reads, heads and puts, multipart
// uploads, listings, bucket creation and presigned URLs, with the SDK's
// names and shapes (github.com/aws/aws-sdk-go-v2/service/s3), over S3's
// REST-XML protocol. See package shared/awsapi for why: the SDK's package
// init (its endpoint rules, SigV4a, ~900 allocations) ran on every cold
// start of admin and jobs, and was most of what kept them above 1.3× a
// hello-world Lambda.
//
// Addressing is virtual-hosted (https://<bucket>.s3.<region>.amazonaws.com)
// unless UsePathStyle is set (a local server at a base endpoint).
// Requests sign their payload's SHA-256, which S3 checks; presigned URLs
// sign UNSIGNED-PAYLOAD, as the SDK's do.
package s3

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/s3/types"
)

// ServiceID is the SDK's service ID for S3.
const ServiceID = "S3"

var service = awsapi.Service{ID: ServiceID, SigningName: "s3", EndpointPrefix: "s3", ErrorCode: errorCode, S3: true}

// Options are the client's settings: awsapi's, and the addressing style.
type Options struct {
	awsapi.Options
	// UsePathStyle puts the bucket in the path (<endpoint>/<bucket>/<key>)
	// rather than in the host.
	UsePathStyle bool
}

// Client is an S3 client.
type Client struct {
	c    *awsapi.Client
	opts Options
}

// New returns a client with the given options.
func New(o Options, optFns ...func(*Options)) *Client {
	for _, fn := range optFns {
		fn(&o)
	}
	return &Client{c: awsapi.New(service, o.Options), opts: o}
}

// NewFromConfig returns a client configured from cfg, as the SDK's does:
// BaseEndpoint is set before optFns run when cfg or a config source gives
// one for S3.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	return New(Options{Options: awsapi.FromConfig(cfg, ServiceID)}, optFns...)
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.opts }

// objectURL is the escaped URL of key in bucket ("" key: the bucket), with
// query (nil: none).
func (c *Client) objectURL(bucket, key string, query url.Values) string {
	var b strings.Builder
	ep := strings.TrimRight(aws.ToString(c.opts.BaseEndpoint), "/")
	switch {
	case c.opts.UsePathStyle:
		if ep == "" {
			ep = "https://s3." + c.opts.Region + "." + dnsSuffix(c.opts.Region)
		}
		b.WriteString(ep)
		b.WriteString("/")
		b.WriteString(escapePath(bucket))
	case ep != "":
		// A base endpoint with virtual-hosted addressing: the bucket goes
		// before its host, as the SDK does.
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			b.WriteString(ep + "/" + escapePath(bucket))
			break
		}
		u.Host = bucket + "." + u.Host
		b.WriteString(strings.TrimRight(u.String(), "/"))
	default:
		b.WriteString("https://" + bucket + ".s3." + c.opts.Region + "." + dnsSuffix(c.opts.Region))
	}
	if key != "" {
		b.WriteString("/")
		b.WriteString(escapePath(key))
	} else if !c.opts.UsePathStyle {
		b.WriteString("/")
	}
	if len(query) > 0 {
		b.WriteString("?")
		b.WriteString(encodeQuery(query))
	}
	return b.String()
}

func dnsSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// escapePath escapes s as the SDK escapes a key: every byte but the
// unreserved ones and '/'.
func escapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// encodeQuery encodes q sorted by key, with %20 for spaces (S3 reads '+'
// in a query as itself in some places); a key with an empty value is
// written bare ("?uploads").
func encodeQuery(q url.Values) string {
	enc := strings.ReplaceAll(q.Encode(), "+", "%20")
	parts := strings.Split(enc, "&")
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, "=")
	}
	return strings.Join(parts, "&")
}

func (c *Client) client(optFns []func(*Options)) *awsapi.Client {
	if len(optFns) == 0 {
		return c.c
	}
	return New(c.opts, optFns...).c
}

func (c *Client) do(ctx context.Context, op string, params any, r awsapi.HTTPRequest, decode func(*http.Response) (any, error), optFns []func(*Options)) (any, error) {
	return c.client(optFns).DoHTTP(ctx, op, params, r, decode)
}

// errorCode reads S3's <Error> document; a response without one (a HEAD's)
// has its status text as its code, without spaces ("NotFound"), as the
// SDK's.
func errorCode(status int, body []byte) (code, message string) {
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if len(bytes.TrimSpace(body)) > 0 && xml.Unmarshal(body, &e) == nil && e.Code != "" {
		return e.Code, e.Message
	}
	// As the SDK's: the status text is the message too, but for the
	// NotFound it has a type for, whose message is empty.
	code = strings.ReplaceAll(http.StatusText(status), " ", "")
	if code == "NotFound" {
		return code, ""
	}
	return code, http.StatusText(status)
}

// readXML decodes a response's XML body into a new T; an <Error> document
// (S3 may answer one with a 200 to CompleteMultipartUpload) is an error.
func readXML[T any](resp *http.Response) (*T, error) {
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	out := new(T)
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	var root struct{ XMLName xml.Name }
	if xml.Unmarshal(data, &root) == nil && root.XMLName.Local == "Error" {
		code, msg := errorCode(resp.StatusCode, data)
		return nil, fmt.Errorf("error in a %d response: %s: %s", resp.StatusCode, code, msg)
	}
	if err := xml.Unmarshal(data, out); err != nil {
		return nil, err
	}
	return out, nil
}

// discard closes a response whose body carries nothing.
func discard(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			h.Set(kv[i], kv[i+1])
		}
	}
	return h
}

func contentLength(resp *http.Response) *int64 {
	if resp.ContentLength >= 0 {
		return aws.Int64(resp.ContentLength)
	}
	if n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil {
		return aws.Int64(n)
	}
	return nil
}

func optHeader(resp *http.Response, name string) *string {
	if v := resp.Header.Get(name); v != "" {
		return aws.String(v)
	}
	return nil
}

// octetStream is a payload's Content-Type when none is given, as the SDK's.
const octetStream = "application/octet-stream"

// readBody takes a payload as the SDK's inputs give it.
func readBody(r io.Reader) ([]byte, error) {
	if r == nil {
		return []byte{}, nil
	}
	if b, ok := r.(*bytes.Reader); ok && b.Len() == int(b.Size()) {
		buf := make([]byte, b.Len())
		_, err := b.ReadAt(buf, 0)
		if err != nil && err != io.EOF {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(r)
}

type GetObjectInput struct {
	Bucket                     *string
	Key                        *string
	Range                      *string
	ResponseContentDisposition *string
}

type GetObjectOutput struct {
	Body          io.ReadCloser
	ContentLength *int64
	ContentType   *string
	ETag          *string
}

// GetObject reads an object (or its Range); the caller closes Body.
func (c *Client) GetObject(ctx context.Context, in *GetObjectInput, optFns ...func(*Options)) (*GetObjectOutput, error) {
	q := url.Values{"x-id": {"GetObject"}}
	if in.ResponseContentDisposition != nil {
		q.Set("response-content-disposition", *in.ResponseContentDisposition)
	}
	r := awsapi.HTTPRequest{Method: http.MethodGet, URL: c.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), q), Header: header("Range", aws.ToString(in.Range))}
	out, err := c.do(ctx, "GetObject", in, r, func(resp *http.Response) (any, error) {
		return &GetObjectOutput{Body: resp.Body, ContentLength: contentLength(resp), ContentType: optHeader(resp, "Content-Type"), ETag: optHeader(resp, "ETag")}, nil
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*GetObjectOutput), nil
}

type HeadObjectInput struct {
	Bucket *string
	Key    *string
}

type HeadObjectOutput struct {
	ContentLength *int64
	ContentType   *string
	ETag          *string
}

// HeadObject reads an object's metadata.
func (c *Client) HeadObject(ctx context.Context, in *HeadObjectInput, optFns ...func(*Options)) (*HeadObjectOutput, error) {
	r := awsapi.HTTPRequest{Method: http.MethodHead, URL: c.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), nil)}
	out, err := c.do(ctx, "HeadObject", in, r, func(resp *http.Response) (any, error) {
		discard(resp)
		return &HeadObjectOutput{ContentLength: contentLength(resp), ContentType: optHeader(resp, "Content-Type"), ETag: optHeader(resp, "ETag")}, nil
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*HeadObjectOutput), nil
}

type PutObjectInput struct {
	Bucket *string
	Key    *string
	// Body is read whole before the first attempt (bodies here are small,
	// and a retry sends them again).
	Body          io.Reader
	ContentLength *int64
	ContentType   *string
}

type PutObjectOutput struct {
	ETag *string
}

// PutObject writes an object.
func (c *Client) PutObject(ctx context.Context, in *PutObjectInput, optFns ...func(*Options)) (*PutObjectOutput, error) {
	body, err := readBody(in.Body)
	if err != nil {
		return nil, fmt.Errorf("read PutObject body: %w", err)
	}
	r := awsapi.HTTPRequest{
		Method: http.MethodPut, URL: c.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), url.Values{"x-id": {"PutObject"}}),
		Header: header("Content-Type", cmp.Or(aws.ToString(in.ContentType), octetStream)), Body: body,
	}
	out, err := c.do(ctx, "PutObject", in, r, func(resp *http.Response) (any, error) {
		discard(resp)
		return &PutObjectOutput{ETag: optHeader(resp, "ETag")}, nil
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*PutObjectOutput), nil
}

type CreateMultipartUploadInput struct {
	Bucket      *string
	Key         *string
	ContentType *string
}

type CreateMultipartUploadOutput struct {
	Bucket   *string `xml:"Bucket"`
	Key      *string `xml:"Key"`
	UploadId *string `xml:"UploadId"`
}

// CreateMultipartUpload starts a multipart upload.
func (c *Client) CreateMultipartUpload(ctx context.Context, in *CreateMultipartUploadInput, optFns ...func(*Options)) (*CreateMultipartUploadOutput, error) {
	r := awsapi.HTTPRequest{
		Method: http.MethodPost, URL: c.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), url.Values{"uploads": {""}}),
		Header: header("Content-Type", aws.ToString(in.ContentType)),
	}
	out, err := c.do(ctx, "CreateMultipartUpload", in, r, func(resp *http.Response) (any, error) {
		return readXML[CreateMultipartUploadOutput](resp)
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*CreateMultipartUploadOutput), nil
}

type UploadPartInput struct {
	Bucket        *string
	Key           *string
	UploadId      *string
	PartNumber    *int32
	Body          io.Reader
	ContentLength *int64
}

type UploadPartOutput struct {
	ETag *string
}

// UploadPart uploads one part.
func (c *Client) UploadPart(ctx context.Context, in *UploadPartInput, optFns ...func(*Options)) (*UploadPartOutput, error) {
	body, err := readBody(in.Body)
	if err != nil {
		return nil, fmt.Errorf("read UploadPart body: %w", err)
	}
	q := url.Values{"partNumber": {strconv.Itoa(int(aws.ToInt32(in.PartNumber)))}, "uploadId": {aws.ToString(in.UploadId)}, "x-id": {"UploadPart"}}
	r := awsapi.HTTPRequest{Method: http.MethodPut, URL: c.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), q), Header: header("Content-Type", octetStream), Body: body}
	out, err := c.do(ctx, "UploadPart", in, r, func(resp *http.Response) (any, error) {
		discard(resp)
		return &UploadPartOutput{ETag: optHeader(resp, "ETag")}, nil
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*UploadPartOutput), nil
}

type CompleteMultipartUploadInput struct {
	Bucket          *string
	Key             *string
	UploadId        *string
	MultipartUpload *types.CompletedMultipartUpload
}

type CompleteMultipartUploadOutput struct {
	Bucket   *string `xml:"Bucket"`
	ETag     *string `xml:"ETag"`
	Key      *string `xml:"Key"`
	Location *string `xml:"Location"`
}

// CompleteMultipartUpload joins the uploaded parts into the object.
func (c *Client) CompleteMultipartUpload(ctx context.Context, in *CompleteMultipartUploadInput, optFns ...func(*Options)) (*CompleteMultipartUploadOutput, error) {
	type part struct {
		ETag       *string `xml:"ETag,omitempty"`
		PartNumber *int32  `xml:"PartNumber,omitempty"`
	}
	doc := struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUpload"`
		Parts   []part   `xml:"Part"`
	}{}
	if in.MultipartUpload != nil {
		for _, p := range in.MultipartUpload.Parts {
			doc.Parts = append(doc.Parts, part{ETag: p.ETag, PartNumber: p.PartNumber})
		}
	}
	body, err := xml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode CompleteMultipartUpload: %w", err)
	}
	q := url.Values{"uploadId": {aws.ToString(in.UploadId)}}
	r := awsapi.HTTPRequest{
		Method: http.MethodPost, URL: c.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), q),
		Header: header("Content-Type", "application/xml"), Body: body,
	}
	out, err := c.do(ctx, "CompleteMultipartUpload", in, r, func(resp *http.Response) (any, error) {
		return readXML[CompleteMultipartUploadOutput](resp)
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*CompleteMultipartUploadOutput), nil
}

type AbortMultipartUploadInput struct {
	Bucket   *string
	Key      *string
	UploadId *string
}

type AbortMultipartUploadOutput struct{}

// AbortMultipartUpload drops an upload and its parts.
func (c *Client) AbortMultipartUpload(ctx context.Context, in *AbortMultipartUploadInput, optFns ...func(*Options)) (*AbortMultipartUploadOutput, error) {
	q := url.Values{"uploadId": {aws.ToString(in.UploadId)}, "x-id": {"AbortMultipartUpload"}}
	r := awsapi.HTTPRequest{Method: http.MethodDelete, URL: c.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), q)}
	out, err := c.do(ctx, "AbortMultipartUpload", in, r, func(resp *http.Response) (any, error) {
		discard(resp)
		return &AbortMultipartUploadOutput{}, nil
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*AbortMultipartUploadOutput), nil
}

type ListObjectsV2Input struct {
	Bucket            *string
	ContinuationToken *string
	MaxKeys           *int32
	Prefix            *string
}

type ListObjectsV2Output struct {
	Contents              []types.Object
	IsTruncated           *bool
	KeyCount              *int32
	NextContinuationToken *string
	Prefix                *string
}

// ListObjectsV2 lists one page of keys, in key order.
func (c *Client) ListObjectsV2(ctx context.Context, in *ListObjectsV2Input, optFns ...func(*Options)) (*ListObjectsV2Output, error) {
	q := url.Values{"list-type": {"2"}}
	if in.ContinuationToken != nil {
		q.Set("continuation-token", *in.ContinuationToken)
	}
	if in.MaxKeys != nil {
		q.Set("max-keys", strconv.Itoa(int(*in.MaxKeys)))
	}
	if in.Prefix != nil {
		q.Set("prefix", *in.Prefix)
	}
	r := awsapi.HTTPRequest{Method: http.MethodGet, URL: c.objectURL(aws.ToString(in.Bucket), "", q)}
	out, err := c.do(ctx, "ListObjectsV2", in, r, func(resp *http.Response) (any, error) {
		type object struct {
			ETag         *string    `xml:"ETag"`
			Key          *string    `xml:"Key"`
			LastModified *time.Time `xml:"LastModified"`
			Size         *int64     `xml:"Size"`
		}
		doc, err := readXML[struct {
			Contents              []object `xml:"Contents"`
			IsTruncated           *bool    `xml:"IsTruncated"`
			KeyCount              *int32   `xml:"KeyCount"`
			NextContinuationToken *string  `xml:"NextContinuationToken"`
			Prefix                *string  `xml:"Prefix"`
		}](resp)
		if err != nil {
			return nil, err
		}
		o := &ListObjectsV2Output{IsTruncated: doc.IsTruncated, KeyCount: doc.KeyCount, NextContinuationToken: doc.NextContinuationToken, Prefix: doc.Prefix}
		for _, x := range doc.Contents {
			o.Contents = append(o.Contents, types.Object{ETag: x.ETag, Key: x.Key, LastModified: x.LastModified, Size: x.Size})
		}
		return o, nil
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*ListObjectsV2Output), nil
}

// ListObjectsV2Paginator pages through a listing.
type ListObjectsV2Paginator struct {
	client    *Client
	params    ListObjectsV2Input
	nextToken *string
	started   bool
}

// NewListObjectsV2Paginator pages through params' listing.
func NewListObjectsV2Paginator(client *Client, params *ListObjectsV2Input) *ListObjectsV2Paginator {
	if params == nil {
		params = &ListObjectsV2Input{}
	}
	return &ListObjectsV2Paginator{client: client, params: *params, nextToken: params.ContinuationToken}
}

// HasMorePages reports whether NextPage has a page to read.
func (p *ListObjectsV2Paginator) HasMorePages() bool {
	return !p.started || (p.nextToken != nil && *p.nextToken != "")
}

// NextPage reads the next page.
func (p *ListObjectsV2Paginator) NextPage(ctx context.Context, optFns ...func(*Options)) (*ListObjectsV2Output, error) {
	if !p.HasMorePages() {
		return nil, fmt.Errorf("no more pages available")
	}
	params := p.params
	params.ContinuationToken = p.nextToken
	out, err := p.client.ListObjectsV2(ctx, &params, optFns...)
	if err != nil {
		return nil, err
	}
	p.started = true
	prev := p.nextToken
	p.nextToken = nil
	if aws.ToBool(out.IsTruncated) {
		p.nextToken = out.NextContinuationToken
	}
	// A server that repeats its token would loop forever.
	if prev != nil && p.nextToken != nil && *prev == *p.nextToken {
		p.nextToken = nil
	}
	return out, nil
}

type CreateBucketInput struct {
	Bucket *string
}

type CreateBucketOutput struct {
	Location *string
}

// CreateBucket makes a bucket (in the client's region's default location).
func (c *Client) CreateBucket(ctx context.Context, in *CreateBucketInput, optFns ...func(*Options)) (*CreateBucketOutput, error) {
	r := awsapi.HTTPRequest{Method: http.MethodPut, URL: c.objectURL(aws.ToString(in.Bucket), "", nil)}
	out, err := c.do(ctx, "CreateBucket", in, r, func(resp *http.Response) (any, error) {
		discard(resp)
		return &CreateBucketOutput{Location: optHeader(resp, "Location")}, nil
	}, optFns)
	if err != nil {
		return nil, err
	}
	return out.(*CreateBucketOutput), nil
}

// PresignOptions are a presigned URL's settings.
type PresignOptions struct {
	// Expires is how long the URL works (0: 15 minutes, as the SDK's).
	Expires time.Duration
}

// WithPresignExpires sets how long the URL works.
func WithPresignExpires(d time.Duration) func(*PresignOptions) {
	return func(o *PresignOptions) { o.Expires = d }
}

// PresignClient makes presigned URLs: a browser's PUT or GET, with no
// credentials of its own, signed with the client's.
type PresignClient struct {
	client *Client
	signer *v4.Signer
}

// NewPresignClient returns c's presign client.
func NewPresignClient(c *Client) *PresignClient {
	return &PresignClient{client: c, signer: v4.NewSigner()}
}

// PresignPutObject presigns a PUT of in.Key; its Content-Type is signed,
// so the upload must send the same.
func (p *PresignClient) PresignPutObject(ctx context.Context, in *PutObjectInput, optFns ...func(*PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	u := p.client.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), url.Values{"x-id": {"PutObject"}})
	return p.presign(ctx, http.MethodPut, u, header("Content-Type", aws.ToString(in.ContentType)), optFns)
}

// PresignGetObject presigns a GET of in.Key (with its response-* overrides).
func (p *PresignClient) PresignGetObject(ctx context.Context, in *GetObjectInput, optFns ...func(*PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	q := url.Values{"x-id": {"GetObject"}}
	if in.ResponseContentDisposition != nil {
		q.Set("response-content-disposition", *in.ResponseContentDisposition)
	}
	u := p.client.objectURL(aws.ToString(in.Bucket), aws.ToString(in.Key), q)
	return p.presign(ctx, http.MethodGet, u, header("Range", aws.ToString(in.Range)), optFns)
}

func (p *PresignClient) presign(ctx context.Context, method, rawURL string, h http.Header, optFns []func(*PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	o := PresignOptions{Expires: 15 * time.Minute}
	for _, fn := range optFns {
		fn(&o)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(o.Expires/time.Second), 10))
	req.URL.RawQuery = encodeQuery(q)
	opts := p.client.opts
	if opts.Credentials == nil {
		return nil, fmt.Errorf("presign %s: no credentials", method)
	}
	creds, err := opts.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrieve credentials: %w", err)
	}
	signed, hdr, err := p.signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", service.SigningName, opts.Region, time.Now().UTC(), func(so *v4.SignerOptions) {
		so.DisableURIPathEscaping = true
	})
	if err != nil {
		return nil, fmt.Errorf("presign %s: %w", method, err)
	}
	return &v4.PresignedHTTPRequest{URL: signed, Method: method, SignedHeader: hdr}, nil
}
