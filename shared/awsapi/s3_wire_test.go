package awsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdks3 "github.com/aws/aws-sdk-go-v2/service/s3"
	sdks3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/shared/awsapi/s3"
	"github.com/leadflow/leadflow/shared/awsapi/s3/types"
)

// s3Request is one request an S3 test server received.
type s3Request struct {
	method, uri string
	header      http.Header
	body        []byte
}

// s3Server records requests and answers each with the next of replies
// (the last one repeats).
type s3Server struct {
	srv     *httptest.Server
	reqs    []s3Request
	replies []s3Reply
}

type s3Reply struct {
	status int
	header map[string]string
	body   string
}

func newS3Server(t *testing.T, replies ...s3Reply) *s3Server {
	s := &s3Server{replies: replies}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.reqs = append(s.reqs, s3Request{method: r.Method, uri: r.URL.RequestURI(), header: r.Header.Clone(), body: b})
		rep := s.replies[min(len(s.reqs), len(s.replies))-1]
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		if rep.body != "" {
			w.Header().Set("Content-Type", "application/xml")
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *s3Server) config() aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
}

func s3Clients(s *s3Server) (*sdks3.Client, *s3.Client) {
	return sdks3.NewFromConfig(s.config(), func(o *sdks3.Options) {
			o.UsePathStyle, o.RetryMaxAttempts = true, 1
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}),
		s3.NewFromConfig(s.config(), func(o *s3.Options) { o.UsePathStyle, o.RetryMaxAttempts = true, 1 })
}

// sameS3Request fails unless the last two requests (the SDK's, then ours)
// have the same method, path and query, the given headers and body, and
// unless ours is signed as S3 checks it: its payload's hash, and a
// signature that signing the request received again gives.
func sameS3Request(t *testing.T, s *s3Server, headers ...string) {
	t.Helper()
	if len(s.reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(s.reqs))
	}
	a, b := s.reqs[0], s.reqs[1]
	if a.method != b.method || a.uri != b.uri {
		t.Errorf("request line: SDK %s %s, ours %s %s", a.method, a.uri, b.method, b.uri)
	}
	for _, h := range append(headers, "Content-Type") {
		if a.header.Get(h) != b.header.Get(h) {
			t.Errorf("%s: SDK %q, ours %q", h, a.header.Get(h), b.header.Get(h))
		}
	}
	if !bytes.Equal(a.body, b.body) {
		t.Errorf("bodies differ\nSDK:  %q\nours: %q", a.body, b.body)
	}
	checkSigned(t, s.srv.URL, b)
}

// checkSigned signs the request received again, at its X-Amz-Date, with the
// headers it says it signed, and compares the signatures.
func checkSigned(t *testing.T, base string, r s3Request) {
	t.Helper()
	sum := sha256.Sum256(r.body)
	if got := r.header.Get("X-Amz-Content-Sha256"); got != hex.EncodeToString(sum[:]) {
		t.Errorf("X-Amz-Content-Sha256 %q, not the body's SHA-256", got)
	}
	auth := r.header.Get("Authorization")
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	for _, h := range []string{"host", "x-amz-content-sha256", "x-amz-date"} {
		if !strings.Contains(";"+signed+";", ";"+h+";") {
			t.Errorf("%s is not signed: %s", h, auth)
		}
	}
	at, err := time.Parse("20060102T150405Z", r.header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(r.method, base+r.uri, bytes.NewReader(r.body))
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			req.Header.Set(h, r.header.Get(h))
		}
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, req,
		r.header.Get("X-Amz-Content-Sha256"), "s3", "us-east-1", at, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
	if want := req.Header.Get("Authorization"); want != auth {
		t.Errorf("signature does not verify\ngot:  %s\nwant: %s", auth, want)
	}
}

func TestS3RequestsMatchTheSDKsWire(t *testing.T) {
	ctx := context.Background()
	key := "imports/acct 1/file(1)+é.csv"
	t.Run("GetObject", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 206, header: map[string]string{"ETag": `"e1"`}, body: "b,c\n"})
		sdk, ours := s3Clients(s)
		sout, err := sdk.GetObject(ctx, &sdks3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String(key), Range: aws.String("bytes=5-")})
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String(key), Range: aws.String("bytes=5-")})
		if err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s, "Range")
		sb, _ := io.ReadAll(sout.Body)
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != string(sb) || aws.ToString(out.ETag) != aws.ToString(sout.ETag) || aws.ToInt64(out.ContentLength) != aws.ToInt64(sout.ContentLength) {
			t.Errorf("SDK %q %s %d, ours %q %s %d", sb, aws.ToString(sout.ETag), aws.ToInt64(sout.ContentLength), b, aws.ToString(out.ETag), aws.ToInt64(out.ContentLength))
		}
	})
	t.Run("HeadObject", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 200, header: map[string]string{"Content-Length": "1234"}})
		sdk, ours := s3Clients(s)
		sout, err := sdk.HeadObject(ctx, &sdks3.HeadObjectInput{Bucket: aws.String("files"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("files"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s)
		if aws.ToInt64(out.ContentLength) != 1234 || aws.ToInt64(sout.ContentLength) != 1234 {
			t.Errorf("ContentLength: SDK %d, ours %d, want 1234", aws.ToInt64(sout.ContentLength), aws.ToInt64(out.ContentLength))
		}
	})
	t.Run("PutObject", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 200, header: map[string]string{"ETag": `"p1"`}})
		sdk, ours := s3Clients(s)
		body := []byte("email\na@example.com\n")
		if _, err := sdk.PutObject(ctx, &sdks3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String(key), Body: bytes.NewReader(body), ContentType: aws.String("text/csv"), ContentLength: aws.Int64(int64(len(body)))}); err != nil {
			t.Fatal(err)
		}
		out, err := ours.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String(key), Body: bytes.NewReader(body), ContentType: aws.String("text/csv"), ContentLength: aws.Int64(int64(len(body)))})
		if err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s, "Content-Length")
		if aws.ToString(out.ETag) != `"p1"` {
			t.Errorf("ETag %q", aws.ToString(out.ETag))
		}
	})
	t.Run("CreateMultipartUpload", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>files</Bucket><Key>k</Key><UploadId>up-1</UploadId></InitiateMultipartUploadResult>`})
		sdk, ours := s3Clients(s)
		sout, err := sdk.CreateMultipartUpload(ctx, &sdks3.CreateMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String(key), ContentType: aws.String("text/csv")})
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String(key), ContentType: aws.String("text/csv")})
		if err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s)
		if aws.ToString(out.UploadId) != "up-1" || aws.ToString(sout.UploadId) != "up-1" {
			t.Errorf("UploadId: SDK %q, ours %q", aws.ToString(sout.UploadId), aws.ToString(out.UploadId))
		}
	})
	t.Run("UploadPart", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 200, header: map[string]string{"ETag": `"part2"`}})
		sdk, ours := s3Clients(s)
		body := bytes.Repeat([]byte("x,y\n"), 1000)
		sout, err := sdk.UploadPart(ctx, &sdks3.UploadPartInput{Bucket: aws.String("files"), Key: aws.String(key), UploadId: aws.String("up/1=="), PartNumber: aws.Int32(2), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("files"), Key: aws.String(key), UploadId: aws.String("up/1=="), PartNumber: aws.Int32(2), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
		if err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s, "Content-Length")
		if aws.ToString(out.ETag) != aws.ToString(sout.ETag) {
			t.Errorf("ETag: SDK %q, ours %q", aws.ToString(sout.ETag), aws.ToString(out.ETag))
		}
	})
	t.Run("CompleteMultipartUpload", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://x/files/k</Location><Bucket>files</Bucket><Key>k</Key><ETag>"all-2"</ETag></CompleteMultipartUploadResult>`})
		sdk, ours := s3Clients(s)
		if _, err := sdk.CompleteMultipartUpload(ctx, &sdks3.CompleteMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String(key), UploadId: aws.String("up-1"),
			MultipartUpload: &sdks3types.CompletedMultipartUpload{Parts: []sdks3types.CompletedPart{{ETag: aws.String(`"a"`), PartNumber: aws.Int32(1)}, {ETag: aws.String(`"b&"`), PartNumber: aws.Int32(2)}}}}); err != nil {
			t.Fatal(err)
		}
		out, err := ours.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String(key), UploadId: aws.String("up-1"),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: aws.String(`"a"`), PartNumber: aws.Int32(1)}, {ETag: aws.String(`"b&"`), PartNumber: aws.Int32(2)}}}})
		if err != nil {
			t.Fatal(err)
		}
		// The bodies are the same document, not the same bytes (the SDK
		// escapes '"' as &quot;, encoding/xml as &#34;).
		a, b := s.reqs[0].body, s.reqs[1].body
		s.reqs[0].body = s.reqs[1].body
		sameS3Request(t, s)
		if !sameXML(t, a, b) {
			t.Errorf("bodies differ\nSDK:  %s\nours: %s", a, b)
		}
		if aws.ToString(out.ETag) != `"all-2"` {
			t.Errorf("ETag %q", aws.ToString(out.ETag))
		}
	})
	t.Run("AbortMultipartUpload", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 204})
		sdk, ours := s3Clients(s)
		if _, err := sdk.AbortMultipartUpload(ctx, &sdks3.AbortMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String(key), UploadId: aws.String("up-1")}); err != nil {
			t.Fatal(err)
		}
		if _, err := ours.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String(key), UploadId: aws.String("up-1")}); err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s)
	})
	t.Run("ListObjectsV2", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>files</Name><Prefix>exports/x/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>tok/2+</NextContinuationToken>
<Contents><Key>exports/x/0001</Key><LastModified>2026-12-07T10:00:00.000Z</LastModified><ETag>"e1"</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>exports/x/0002</Key><LastModified>2026-12-07T10:00:01.000Z</LastModified><ETag>"e2"</ETag><Size>20</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`})
		sdk, ours := s3Clients(s)
		sout, err := sdk.ListObjectsV2(ctx, &sdks3.ListObjectsV2Input{Bucket: aws.String("files"), Prefix: aws.String("exports/x y/"), ContinuationToken: aws.String("tok/1+")})
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("files"), Prefix: aws.String("exports/x y/"), ContinuationToken: aws.String("tok/1+")})
		if err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s)
		var want []types.Object
		for _, o := range sout.Contents {
			want = append(want, types.Object{ETag: o.ETag, Key: o.Key, LastModified: o.LastModified, Size: o.Size})
		}
		if !reflect.DeepEqual(out.Contents, want) || aws.ToBool(out.IsTruncated) != aws.ToBool(sout.IsTruncated) || aws.ToString(out.NextContinuationToken) != aws.ToString(sout.NextContinuationToken) || aws.ToInt32(out.KeyCount) != 2 {
			t.Errorf("decoded\nSDK:  %+v\nours: %+v", sout, out)
		}
	})
	t.Run("CreateBucket", func(t *testing.T) {
		s := newS3Server(t, s3Reply{status: 200, header: map[string]string{"Location": "/files"}})
		sdk, ours := s3Clients(s)
		if _, err := sdk.CreateBucket(ctx, &sdks3.CreateBucketInput{Bucket: aws.String("files")}); err != nil {
			t.Fatal(err)
		}
		if _, err := ours.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("files")}); err != nil {
			t.Fatal(err)
		}
		sameS3Request(t, s)
	})
}

// sameXML reports whether two XML documents have the same elements and
// text, whatever their escaping.
func sameXML(t *testing.T, a, b []byte) bool {
	t.Helper()
	tokens := func(doc []byte) []string {
		var out []string
		d := xml.NewDecoder(bytes.NewReader(doc))
		for {
			tok, err := d.Token()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("%s: %v", doc, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				out = append(out, "<"+tok.Name.Space+" "+tok.Name.Local)
			case xml.EndElement:
				out = append(out, ">"+tok.Name.Local)
			case xml.CharData:
				if s := strings.TrimSpace(string(tok)); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return reflect.DeepEqual(tokens(a), tokens(b))
}

func TestS3ErrorsMatchTheSDKs(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, code string
		reply      s3Reply
		head       bool
	}{
		{"NoSuchKey", "NoSuchKey", s3Reply{status: 404, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>r1</RequestId></Error>`}, false},
		{"InvalidRange", "InvalidRange", s3Reply{status: 416, body: `<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>`}, false},
		{"HeadNotFound", "NotFound", s3Reply{status: 404}, true},
		{"HeadForbidden", "Forbidden", s3Reply{status: 403}, true},
		{"BucketAlreadyOwnedByYou", "BucketAlreadyOwnedByYou", s3Reply{status: 409, body: `<Error><Code>BucketAlreadyOwnedByYou</Code><Message>yours</Message></Error>`}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newS3Server(t, tc.reply)
			sdk, ours := s3Clients(s)
			var sdkErr, err error
			switch {
			case tc.head:
				_, sdkErr = sdk.HeadObject(ctx, &sdks3.HeadObjectInput{Bucket: aws.String("files"), Key: aws.String("k")})
				_, err = ours.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("files"), Key: aws.String("k")})
			case tc.code == "BucketAlreadyOwnedByYou":
				_, sdkErr = sdk.CreateBucket(ctx, &sdks3.CreateBucketInput{Bucket: aws.String("files")})
				_, err = ours.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("files")})
			default:
				_, sdkErr = sdk.GetObject(ctx, &sdks3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k")})
				_, err = ours.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k")})
			}
			var a, b smithy.APIError
			if !errors.As(sdkErr, &a) || !errors.As(err, &b) {
				t.Fatalf("not API errors: SDK %v, ours %v", sdkErr, err)
			}
			if a.ErrorCode() != tc.code || b.ErrorCode() != tc.code || a.ErrorMessage() != b.ErrorMessage() {
				t.Errorf("SDK %q %q, ours %q %q, want code %q", a.ErrorCode(), a.ErrorMessage(), b.ErrorCode(), b.ErrorMessage(), tc.code)
			}
			var oa, ob *smithy.OperationError
			if !errors.As(sdkErr, &oa) || !errors.As(err, &ob) || oa.ServiceID != ob.ServiceID || oa.OperationName != ob.OperationName {
				t.Errorf("operation: SDK %v, ours %v", oa, ob)
			}
		})
	}
}

func TestS3RetriesServerErrorsAndRunsMiddleware(t *testing.T) {
	s := newS3Server(t, s3Reply{status: 503, body: `<Error><Code>SlowDown</Code><Message>slow</Message></Error>`}, s3Reply{status: 200, body: "x"})
	var inits, finals int
	cfg := s.config()
	cfg.APIOptions = []func(*middleware.Stack) error{func(st *middleware.Stack) error {
		if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if _, ok := in.Parameters.(*s3.GetObjectInput); !ok || middleware.GetServiceID(ctx) != "S3" || middleware.GetOperationName(ctx) != "GetObject" {
				t.Errorf("Initialize got %T for %s %s", in.Parameters, middleware.GetServiceID(ctx), middleware.GetOperationName(ctx))
			}
			inits++
			return next.HandleInitialize(ctx, in)
		}), middleware.Before); err != nil {
			return err
		}
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("count", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			finals++
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "x" || len(s.reqs) != 2 || inits != 1 || finals != 2 {
		t.Errorf("body %q after %d requests, %d Initialize and %d Finalize runs; want \"x\" after 2, 1 and 2", b, len(s.reqs), inits, finals)
	}
}

// TestS3PresignsAsTheSDKDoes compares presigned URLs with the SDK's, both
// addressing styles: the same host, path and query (signed at the same
// second, the same signature).
func TestS3PresignsAsTheSDKDoes(t *testing.T) {
	ctx := context.Background()
	for _, pathStyle := range []bool{true, false} {
		cfg := aws.Config{Region: "eu-west-3", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
		if pathStyle {
			cfg.BaseEndpoint = aws.String("http://127.0.0.1:4566")
		}
		sdk := sdks3.NewPresignClient(sdks3.NewFromConfig(cfg, func(o *sdks3.Options) { o.UsePathStyle = pathStyle }))
		ours := s3.NewPresignClient(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }))
		key := "imports/a b/fi(l)e.csv"
		compared := false
		for i := 0; i < 3 && !compared; i++ { // a second may turn between the two
			sp, err := sdk.PresignPutObject(ctx, &sdks3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String(key), ContentType: aws.String("text/csv")}, sdks3.WithPresignExpires(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			op, err := ours.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String(key), ContentType: aws.String("text/csv")}, s3.WithPresignExpires(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			sg, err := sdk.PresignGetObject(ctx, &sdks3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String(key), ResponseContentDisposition: aws.String(`attachment; filename="a%20b.csv"`)}, sdks3.WithPresignExpires(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			og, err := ours.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String(key), ResponseContentDisposition: aws.String(`attachment; filename="a%20b.csv"`)}, s3.WithPresignExpires(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			compared = samePresigned(t, sp, op) && samePresigned(t, sg, og)
		}
		if !compared {
			t.Error("no two URLs signed at the same second in 3 tries")
		}
	}
}

// samePresigned compares two presigned requests; it reports false (and
// fails nothing) when they were signed at different seconds.
func samePresigned(t *testing.T, sdk *v4.PresignedHTTPRequest, ours *v4.PresignedHTTPRequest) bool {
	t.Helper()
	a, err := url.Parse(sdk.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := url.Parse(ours.URL)
	if err != nil {
		t.Fatal(err)
	}
	qa, qb := a.Query(), b.Query()
	if qa.Get("X-Amz-Date") != qb.Get("X-Amz-Date") {
		return false
	}
	if a.Scheme != b.Scheme || a.Host != b.Host || a.EscapedPath() != b.EscapedPath() || sdk.Method != ours.Method {
		t.Errorf("SDK %s %s, ours %s %s", sdk.Method, sdk.URL, ours.Method, ours.URL)
	}
	if !reflect.DeepEqual(qa, qb) {
		t.Errorf("query\nSDK:  %v\nours: %v", qa, qb)
	}
	if !reflect.DeepEqual(sdk.SignedHeader, ours.SignedHeader) {
		t.Errorf("signed headers: SDK %v, ours %v", sdk.SignedHeader, ours.SignedHeader)
	}
	return true
}

func TestS3ListPaginatorFollowsContinuationTokens(t *testing.T) {
	s := newS3Server(t,
		s3Reply{status: 200, body: `<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t/2=</NextContinuationToken><Contents><Key>p/1</Key></Contents></ListBucketResult>`},
		s3Reply{status: 200, body: `<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/2</Key></Contents></ListBucketResult>`})
	_, c := s3Clients(s)
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("files"), Prefix: aws.String("p/")})
	var keys []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if len(s.reqs) != 2 || !reflect.DeepEqual(keys, []string{"p/1", "p/2"}) {
		t.Fatalf("%d requests, keys %q; want 2 and p/1, p/2", len(s.reqs), keys)
	}
	if s.reqs[0].uri != "/files?list-type=2&prefix=p%2F" || s.reqs[1].uri != "/files?continuation-token=t%2F2%3D&list-type=2&prefix=p%2F" {
		t.Errorf("requests %s, %s", s.reqs[0].uri, s.reqs[1].uri)
	}
}
