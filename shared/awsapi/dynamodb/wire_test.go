package dynamodb_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sdktypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/awsapi/internal/sdkconv"
)

var sdkMembers = []any{&sdktypes.AttributeValueMemberS{}, &sdktypes.AttributeValueMemberN{}, &sdktypes.AttributeValueMemberB{},
	&sdktypes.AttributeValueMemberBOOL{}, &sdktypes.AttributeValueMemberNULL{}, &sdktypes.AttributeValueMemberM{},
	&sdktypes.AttributeValueMemberL{}, &sdktypes.AttributeValueMemberSS{}, &sdktypes.AttributeValueMemberNS{}, &sdktypes.AttributeValueMemberBS{}}

var ourMembers = []any{&types.AttributeValueMemberS{}, &types.AttributeValueMemberN{}, &types.AttributeValueMemberB{},
	&types.AttributeValueMemberBOOL{}, &types.AttributeValueMemberNULL{}, &types.AttributeValueMemberM{},
	&types.AttributeValueMemberL{}, &types.AttributeValueMemberSS{}, &types.AttributeValueMemberNS{}, &types.AttributeValueMemberBS{}}

// recorder is a stand-in DynamoDB endpoint: it keeps each request and
// answers with the next canned response (status, body).
type recorder struct {
	mu       sync.Mutex
	requests []recorded
	replies  []reply
	srv      *httptest.Server
}

type recorded struct {
	header http.Header
	body   []byte
}

type reply struct {
	status int
	body   string
}

func newRecorder(t *testing.T, replies ...reply) *recorder {
	r := &recorder{replies: replies}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, recorded{req.Header.Clone(), body})
		rep := reply{200, "{}"}
		if len(r.replies) > 0 {
			rep = r.replies[0]
			if len(r.replies) > 1 {
				r.replies = r.replies[1:]
			}
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) config() aws.Config {
	return aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(r.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token")}
}

func (r *recorder) sdk() *sdk.Client {
	return sdk.NewFromConfig(r.config(), func(o *sdk.Options) { o.DisableValidateResponseChecksum = true })
}

func (r *recorder) ours(opt ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(r.config(), opt...)
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.requests) == 0 {
		t.Fatal("no request reached the server")
	}
	return r.requests[len(r.requests)-1]
}

func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: our body is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: the SDK's body is not JSON: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: wire bodies differ\nours: %s\nSDK:  %s", what, got, want)
	}
}

// item holds every kind of attribute value, with the edge cases that
// trip encoders: empty string, empty list and map, false, a string that
// needs escaping, binary that is not UTF-8, numbers that are not int64.
func item() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":    &types.AttributeValueMemberS{Value: "C#1"},
		"empty": &types.AttributeValueMemberS{Value: ""},
		"esc":   &types.AttributeValueMemberS{Value: "quote \" backslash \\ nl \n tab \t ctl \x01 <html> é 日本 \u2028"},
		"n":     &types.AttributeValueMemberN{Value: "-12.50e3"},
		"big":   &types.AttributeValueMemberN{Value: "123456789012345678901234567890"},
		"b":     &types.AttributeValueMemberB{Value: []byte{0, 1, 0xfe, 0xff, 'x'}},
		"t":     &types.AttributeValueMemberBOOL{Value: true},
		"f":     &types.AttributeValueMemberBOOL{Value: false},
		"null":  &types.AttributeValueMemberNULL{Value: true},
		"ss":    &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":    &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs":    &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"l":     &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "1"}, &types.AttributeValueMemberL{Value: []types.AttributeValue{}}}},
		"el":    &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		"m":     &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"in": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}, "s": &types.AttributeValueMemberS{Value: "y"}}},
		"em":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
	}
}

func key() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "C#1"}, "sk": &types.AttributeValueMemberS{Value: "P"}}
}

// Every request the store sends is written as the SDK writes it.
func TestRequestsMatchTheSDKsWire(t *testing.T) {
	ctx := context.Background()
	for _, c := range requestCases() {
		t.Run(c.op, func(t *testing.T) {
			if err := sdkconv.Convert(c.sdk, c.ours, sdkMembers...); err != nil {
				t.Fatal(err)
			}
			r := newRecorder(t)
			if err := invoke(ctx, r.sdk(), c.op, c.sdk); err != nil {
				t.Fatalf("SDK %s: %v", c.op, err)
			}
			want := r.last(t)
			if err := invoke(ctx, r.ours(), c.op, c.ours); err != nil {
				t.Fatalf("our %s: %v", c.op, err)
			}
			got := r.last(t)
			jsonEqual(t, c.op, got.body, want.body)
			for _, h := range []string{"X-Amz-Target", "Content-Type", "X-Amz-Security-Token"} {
				if got.header.Get(h) != want.header.Get(h) {
					t.Errorf("%s: %q, SDK %q", h, got.header.Get(h), want.header.Get(h))
				}
			}
			// Signed with the same credential scope and headers.
			auth := got.header.Get("Authorization")
			if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-1/dynamodb/aws4_request") ||
				!strings.Contains(auth, "x-amz-target") || got.header.Get("X-Amz-Date") == "" {
				t.Errorf("authorization %q", auth)
			}
		})
	}
}

type requestCase struct {
	op        string
	ours, sdk any
}

// requestCases are one request of every operation, our input and an empty
// SDK input of the same operation to convert it into.
func requestCases() []requestCase {
	names := map[string]string{"#v": "ver", "#s": "state"}
	values := map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: "3"}, ":s": &types.AttributeValueMemberS{Value: "done"}}
	return []requestCase{

		{"GetItem", &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key(), ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("#v"), ExpressionAttributeNames: map[string]string{"#v": "ver"}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.GetItemInput{}},
		{"PutItem", &dynamodb.PutItemInput{TableName: aws.String("t"), Item: item(), ConditionExpression: aws.String("attribute_not_exists(pk) OR #v < :v"),
			ExpressionAttributeNames: map[string]string{"#v": "ver"}, ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: "3"}},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.PutItemInput{}},
		{"UpdateItem", &dynamodb.UpdateItemInput{TableName: aws.String("t"), Key: key(), UpdateExpression: aws.String("SET #s = :s ADD #v :v"),
			ConditionExpression: aws.String("attribute_exists(pk)"), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValues: types.ReturnValueAllNew, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.UpdateItemInput{}},
		{"DeleteItem", &dynamodb.DeleteItemInput{TableName: aws.String("t"), Key: key(), ConditionExpression: aws.String("#s = :s"),
			ExpressionAttributeNames: map[string]string{"#s": "state"}, ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "done"}},
			ReturnValues: types.ReturnValueAllOld},
			&sdk.DeleteItemInput{}},
		{"Query", &dynamodb.QueryInput{TableName: aws.String("t"), IndexName: aws.String("gsi1"), KeyConditionExpression: aws.String("#k = :p AND begins_with(gsi1sk, :s)"),
			FilterExpression: aws.String("#s <> :s"), ProjectionExpression: aws.String("pk, sk"), ExpressionAttributeNames: map[string]string{"#k": "gsi1pk", "#s": "state"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "SITES"}, ":s": &types.AttributeValueMemberS{Value: "a"}},
			ExclusiveStartKey:         key(), Limit: aws.Int32(25), ScanIndexForward: aws.Bool(false), ConsistentRead: aws.Bool(false), Select: types.SelectCount,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.QueryInput{}},
		{"Scan", &dynamodb.ScanInput{TableName: aws.String("t"), ExclusiveStartKey: key(), Limit: aws.Int32(0), Segment: aws.Int32(1), TotalSegments: aws.Int32(4)},
			&sdk.ScanInput{}},
		{"BatchGetItem", &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"t":  {Keys: []map[string]types.AttributeValue{key(), {"pk": &types.AttributeValueMemberS{Value: "I#e"}, "sk": &types.AttributeValueMemberS{Value: "I"}}}, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("pk")},
			"t2": {Keys: []map[string]types.AttributeValue{key()}, ExpressionAttributeNames: map[string]string{"#a": "a"}, ProjectionExpression: aws.String("#a")},
		}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.BatchGetItemInput{}},
		{"BatchWriteItem", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
			"t": {{PutRequest: &types.PutRequest{Item: item()}}, {DeleteRequest: &types.DeleteRequest{Key: key()}}},
		}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.BatchWriteItemInput{}},
		{"TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String("t"), Item: item(), ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: &types.Update{TableName: aws.String("t"), Key: key(), UpdateExpression: aws.String("SET #s = :s ADD #v :v"), ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
			{Delete: &types.Delete{TableName: aws.String("t"), Key: key()}},
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String("t"), Key: key(), ConditionExpression: aws.String("#s = :s"),
				ExpressionAttributeNames: map[string]string{"#s": "state"}, ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "done"}}}},
		}, ClientRequestToken: aws.String("tok-1"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.TransactWriteItemsInput{}},
		{"TransactGetItems", &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String("t"), Key: key(), ProjectionExpression: aws.String("#a"), ExpressionAttributeNames: map[string]string{"#a": "a"}}},
		}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
			&sdk.TransactGetItemsInput{}},
	}
}

// requestFor is the request case of op, converted for the SDK.
func requestFor(t *testing.T, op string) requestCase {
	t.Helper()
	for _, c := range requestCases() {
		if c.op == op {
			if err := sdkconv.Convert(c.sdk, c.ours, sdkMembers...); err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("no request case for %s", op)
	return requestCase{}
}

// invoke calls the method named op on client with in.
func invoke(ctx context.Context, client any, op string, in any) error {
	res := reflect.ValueOf(client).MethodByName(op).Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(in)})
	if err, _ := res[1].Interface().(error); err != nil {
		return err
	}
	return nil
}

// invokeOut is invoke returning the output.
func invokeOut(ctx context.Context, client any, op string, in any) (any, error) {
	res := reflect.ValueOf(client).MethodByName(op).Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(in)})
	err, _ := res[1].Interface().(error)
	return res[0].Interface(), err
}

// Responses (as DynamoDB sends them, from its API reference and DynamoDB
// Local) decode to what the SDK decodes from them.
func TestResponsesDecodeAsTheSDKDecodesThem(t *testing.T) {
	ctx := context.Background()
	all := `{"pk":{"S":"C#1"},"empty":{"S":""},"esc":{"S":"q \" \\ \n \u0001 \u00e9 \ud83d\ude00"},"n":{"N":"-12.50e3"},` +
		`"b":{"B":"AAH+/3g="},"t":{"BOOL":true},"f":{"BOOL":false},"null":{"NULL":true},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2.5"]},` +
		`"bs":{"BS":["AQ==","AgM="]},"l":{"L":[{"S":"x"},{"L":[]}]},"el":{"L":[]},"m":{"M":{"in":{"M":{}},"s":{"S":"y"}}},"em":{"M":{}}}`
	cc := `{"TableName":"t","CapacityUnits":1.5,"Table":{"CapacityUnits":1.0},"GlobalSecondaryIndexes":{"gsi1":{"CapacityUnits":0.5}}}`
	cases := []struct {
		op       string
		body     string
		ourEmpty any
	}{
		{"GetItem", `{"Item":` + all + `,"ConsumedCapacity":` + cc + `}`, &dynamodb.GetItemOutput{}},
		{"GetItem", `{}`, &dynamodb.GetItemOutput{}},
		{"PutItem", `{"Attributes":` + all + `}`, &dynamodb.PutItemOutput{}},
		{"UpdateItem", `{"Attributes":{"v":{"N":"4"}},"ConsumedCapacity":` + cc + `}`, &dynamodb.UpdateItemOutput{}},
		{"DeleteItem", `{"Attributes":` + all + `}`, &dynamodb.DeleteItemOutput{}},
		{"Query", `{"Count":2,"ScannedCount":3,"Items":[` + all + `,{"pk":{"S":"x"}}],"LastEvaluatedKey":{"pk":{"S":"x"},"sk":{"S":"y"}},"ConsumedCapacity":` + cc + `}`, &dynamodb.QueryOutput{}},
		{"Query", `{"Count":0,"ScannedCount":0,"Items":[]}`, &dynamodb.QueryOutput{}},
		{"Scan", `{"Count":1,"ScannedCount":1,"Items":[` + all + `]}`, &dynamodb.ScanOutput{}},
		{"BatchGetItem", `{"Responses":{"t":[` + all + `]},"UnprocessedKeys":{"t":{"Keys":[{"pk":{"S":"a"},"sk":{"S":"b"}}],"ConsistentRead":true,"ProjectionExpression":"pk"}},"ConsumedCapacity":[` + cc + `]}`, &dynamodb.BatchGetItemOutput{}},
		{"BatchWriteItem", `{"UnprocessedItems":{"t":[{"PutRequest":{"Item":` + all + `}},{"DeleteRequest":{"Key":{"pk":{"S":"a"}}}}]},"ConsumedCapacity":[` + cc + `]}`, &dynamodb.BatchWriteItemOutput{}},
		{"TransactWriteItems", `{"ConsumedCapacity":[` + cc + `]}`, &dynamodb.TransactWriteItemsOutput{}},
		{"TransactGetItems", `{"Responses":[{"Item":` + all + `},{}],"ConsumedCapacity":[` + cc + `]}`, &dynamodb.TransactGetItemsOutput{}},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			rc := requestFor(t, c.op)
			r := newRecorder(t, reply{200, c.body})
			sdkOut, err := invokeOut(ctx, r.sdk(), c.op, rc.sdk)
			if err != nil {
				t.Fatalf("SDK: %v", err)
			}
			got, err := invokeOut(ctx, r.ours(), c.op, rc.ours)
			if err != nil {
				t.Fatalf("ours: %v", err)
			}
			want := reflect.New(reflect.TypeOf(c.ourEmpty).Elem()).Interface()
			if err := sdkconv.Convert(want, sdkOut, ourMembers...); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("decoded\nours: %s\nSDK:  %s", g, w)
			}
		})
	}
}

// Error responses map to the SDK's error types, with their items.
func TestErrorsMapToTheSDKsTypes(t *testing.T) {
	ctx := context.Background()
	t.Run("ConditionalCheckFailed", func(t *testing.T) {
		r := newRecorder(t, reply{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"pk":{"S":"C#1"},"v":{"N":"2"}}}`})
		_, err := r.ours().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: key()})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Fatalf("%v (%T), want ConditionalCheckFailedException", err, err)
		}
		if ccf.ErrorMessage() != "The conditional request failed" || ccf.Item["v"].(*types.AttributeValueMemberN).Value != "2" {
			t.Errorf("%+v", ccf)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ConditionalCheckFailedException" || ae.ErrorFault() != smithy.FaultClient {
			t.Errorf("as smithy.APIError: %v", ae)
		}
		var oe *smithy.OperationError
		if !errors.As(err, &oe) || oe.Service() != "DynamoDB" || oe.Operation() != "PutItem" {
			t.Errorf("operation error: %v", err)
		}
		if n := len(r.requests); n != 1 {
			t.Errorf("%d attempts, a failed condition is not retried", n)
		}
	})
	t.Run("TransactionCanceled", func(t *testing.T) {
		r := newRecorder(t, reply{400, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]","CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed","Item":{"pk":{"S":"C#1"}}}]}`})
		_, err := r.ours().TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{})
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			t.Fatalf("%v, want TransactionCanceledException", err)
		}
		rs := tce.CancellationReasons
		if len(rs) != 2 || aws.ToString(rs[0].Code) != "None" || aws.ToString(rs[1].Code) != "ConditionalCheckFailed" ||
			rs[1].Item["pk"].(*types.AttributeValueMemberS).Value != "C#1" || !strings.Contains(tce.ErrorMessage(), "[None, ConditionalCheckFailed]") {
			t.Errorf("%+v", tce)
		}
	})
	t.Run("ErrorTypeHeader", func(t *testing.T) {
		r := newRecorder(t, reply{400, `{"message":"Requested resource not found"}`})
		r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.dynamodb.v20120810/")
			w.WriteHeader(400)
			io.WriteString(w, `{"message":"Requested resource not found"}`)
		})
		_, err := r.ours().GetItem(ctx, &dynamodb.GetItemInput{})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || nf.ErrorMessage() != "Requested resource not found" {
			t.Errorf("%v, want ResourceNotFoundException", err)
		}
	})
	t.Run("Validation", func(t *testing.T) {
		r := newRecorder(t, reply{400, `{"__type":"com.amazon.coral.validate#ValidationException","message":"One or more parameter values were invalid"}`})
		_, err := r.ours().GetItem(ctx, &dynamodb.GetItemInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || ae.ErrorMessage() != "One or more parameter values were invalid" {
			t.Errorf("%v", err)
		}
		if n := len(r.requests); n != 1 {
			t.Errorf("%d attempts, a validation error is not retried", n)
		}
	})
}

// Throttling and 5xx are retried with backoff up to the attempt limit, as
// the SDK's standard retryer does; the last error comes back.
func TestThrottlingAndServerErrorsAreRetried(t *testing.T) {
	ctx := context.Background()
	throttled := reply{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`}
	r := newRecorder(t, reply{500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"oops"}`}, reply{503, ``}, reply{200, `{"Item":{"pk":{"S":"C#1"}}}`})
	out, err := r.ours().GetItem(ctx, &dynamodb.GetItemInput{})
	if err != nil || out.Item["pk"].(*types.AttributeValueMemberS).Value != "C#1" {
		t.Fatalf("after two 5xx: %v, %v", out, err)
	}
	if len(r.requests) != 3 {
		t.Errorf("%d attempts, want 3", len(r.requests))
	}

	r = newRecorder(t, throttled)
	_, err = r.ours(func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 }).GetItem(ctx, &dynamodb.GetItemInput{})
	var pte *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Fatalf("%v, want ProvisionedThroughputExceededException", err)
	}
	if len(r.requests) != 2 {
		t.Errorf("%d attempts, want 2 (RetryMaxAttempts)", len(r.requests))
	}
}

// A context deadline ends a hanging call and is not retried.
func TestContextDeadlineEndsTheCall(t *testing.T) {
	var calls atomic.Int32
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		calls.Add(1)
		select {
		case <-block:
		case <-req.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.GetItem(ctx, &dynamodb.GetItemInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v, want the deadline", err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d attempts after the deadline, want 1", calls.Load())
	}
}

// A nil attribute value is refused before anything is sent.
func TestNilAttributeValueIsRefused(t *testing.T) {
	r := newRecorder(t)
	_, err := r.ours().PutItem(context.Background(), &dynamodb.PutItemInput{Item: map[string]types.AttributeValue{"x": nil}})
	if err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("%v", err)
	}
	if len(r.requests) != 0 {
		t.Error("sent anyway")
	}
}

// Middleware in APIOptions sees each call's service, operation, input and
// output, and can refuse it (the local runner's IAM check, the benches'
// meters).
func TestAPIOptionsSeeEachCall(t *testing.T) {
	r := newRecorder(t, reply{200, `{"Item":{"pk":{"S":"C#1"}}}`})
	var seen []string
	var result any
	mw := func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			seen = append(seen, awsmiddleware.GetServiceID(ctx)+" "+middleware.GetOperationName(ctx)+" "+reflect.TypeOf(in.Parameters).String())
			if in.Parameters.(*dynamodb.GetItemInput).TableName == nil {
				return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("refused")
			}
			out, md, err := next.HandleInitialize(ctx, in)
			result = out.Result
			return out, md, err
		}), middleware.After)
	}
	var attempts []int64
	attempt := func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("attempt", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			attempts = append(attempts, in.Request.(*smithyhttp.Request).ContentLength)
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
	c := r.ours(func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, mw, attempt) })
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t")})
	if err != nil || out.Item["pk"].(*types.AttributeValueMemberS).Value != "C#1" || result != any(out) {
		t.Fatalf("%+v, %v; the middleware saw %v", out, err, result)
	}
	if _, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("refused call: %v", err)
	}
	if len(r.requests) != 1 {
		t.Errorf("%d requests sent, want 1 (the refused one is not)", len(r.requests))
	}
	if len(attempts) != 1 || attempts[0] != int64(len(r.requests[0].body)) {
		t.Errorf("finalize middleware saw attempts of %v bytes, want one of %d", attempts, len(r.requests[0].body))
	}
	if want := "DynamoDB GetItem *dynamodb.GetItemInput"; len(seen) != 2 || seen[0] != want {
		t.Errorf("middleware saw %q, want %q twice", seen, want)
	}
}
