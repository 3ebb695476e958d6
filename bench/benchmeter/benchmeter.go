// Package benchmeter counts and prices what a local-stack benchmark's AWS
// calls would bill on AWS: each call the platform's handlers and pollers
// make is attributed to its function and, for DynamoDB, to the kind of item
// it touched (the key prefix, see KEYS.md), with the write and read units
// DynamoDB Local reports and SQS's 64 KB request chunks.
//
// bench/pipeline keeps its own, finer meter (retries, capacity estimates);
// every other bench uses this one.
package benchmeter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	ddbtypes "github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	lfsqs "github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/catalog"
)

// Op names one kind of call: the function that made it ("poller" for the
// runner's SQS pollers and the bench's own calls, which carry no Lambda
// context), the service and operation, and for DynamoDB the item kind.
type Op struct{ Function, Service, Operation, Item string }

// Stats is what calls of one Op cost.
type Stats struct {
	Calls int64
	// CondFailed counts failed conditional writes: billed as the write
	// they would have been, which DynamoDB does not report.
	CondFailed int64
	// SQSBilled counts billed SQS requests (64 KB chunks of payload);
	// EmptyReceives are the receives that found nothing, a fixed per-queue
	// cost of polling rather than a cost per unit of work.
	SQSBilled, EmptyReceives int64
	WRU, RRU                 float64
	// Entries counts the events of EventBridge PutEvents calls (billed
	// per event, up to ten a call).
	Entries int64
}

// Meter counts every AWS call made through clients it is registered on
// (runner.Options.APIOptions). Safe for concurrent use.
type Meter struct {
	mu  sync.Mutex
	ops map[Op]*Stats
}

// New returns an empty meter.
func New() *Meter { return &Meter{ops: map[Op]*Stats{}} }

// Register adds the meter to a client's middleware stack.
func (m *Meter) Register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchMeter", m.call), middleware.After)
}

// Reset forgets everything counted so far (a bench's set-up phase).
func (m *Meter) Reset() {
	m.mu.Lock()
	m.ops = map[Op]*Stats{}
	m.mu.Unlock()
}

// Snapshot copies the counts.
func (m *Meter) Snapshot() map[Op]Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[Op]Stats, len(m.ops))
	for k, v := range m.ops {
		out[k] = *v
	}
	return out
}

func (m *Meter) call(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleInitialize(ctx, in)
	fn := "poller"
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		arn := lc.InvokedFunctionArn
		fn = strings.TrimPrefix(arn[strings.LastIndex(arn, ":")+1:], "leadflow-")
	}
	k := Op{fn, awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), itemKind(in.Parameters)}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.ops[k]
	if s == nil {
		s = &Stats{}
		m.ops[k] = s
	}
	s.Calls++
	price(s, in.Parameters, out.Result, err)
	return out, md, err
}

// sqsChunk is the payload size SQS bills as one request.
const sqsChunk = 64 * 1024

func chunks(n int64) int64 { return max(1, (n+sqsChunk-1)/sqsChunk) }

func price(s *Stats, input, output any, err error) {
	switch in := input.(type) {
	case *eventbridge.PutEventsInput:
		s.Entries += int64(len(in.Entries))
		return
	case *sqs.SendMessageInput:
		s.SQSBilled += chunks(int64(len(aws.ToString(in.MessageBody))))
		return
	case *lfsqs.SendMessageInput: // the functions' own client
		s.SQSBilled += chunks(int64(len(aws.ToString(in.MessageBody))))
		return
	case *sqs.SendMessageBatchInput:
		var n int64
		for _, e := range in.Entries {
			n += int64(len(aws.ToString(e.MessageBody)))
		}
		s.SQSBilled += chunks(n)
		return
	case *lfsqs.SendMessageBatchInput:
		var n int64
		for _, e := range in.Entries {
			n += int64(len(aws.ToString(e.MessageBody)))
		}
		s.SQSBilled += chunks(n)
		return
	case *sqs.ReceiveMessageInput:
		var msgs []sqstypes.Message
		if o, ok := output.(*sqs.ReceiveMessageOutput); ok && o != nil {
			msgs = o.Messages
		}
		var n int64
		for _, msg := range msgs {
			n += int64(len(aws.ToString(msg.Body)))
		}
		s.SQSBilled += chunks(n)
		if len(msgs) == 0 {
			s.EmptyReceives++
		}
		return
	}
	if strings.HasPrefix(fmt.Sprintf("%T", input), "*sqs.") {
		s.SQSBilled++
		return
	}
	if err != nil {
		var ccf *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			s.CondFailed++
			s.WRU++ // items here are under 1 KB
		}
		return
	}
	var ccs []ddbtypes.ConsumedCapacity
	add := func(c *ddbtypes.ConsumedCapacity) {
		if c != nil {
			ccs = append(ccs, *c)
		}
	}
	switch o := output.(type) {
	case *dynamodb.PutItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.GetItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	case *dynamodb.BatchWriteItemOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	case *dynamodb.TransactWriteItemsOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	}
	if tx, ok := input.(*dynamodb.TransactWriteItemsInput); ok {
		// DynamoDB Local reports a transaction's units wrongly (4, whatever
		// its size); AWS bills 2 WRU per KB of each item it writes.
		s.WRU += transactWRU(tx)
		return
	}
	write := false
	switch input.(type) {
	case *dynamodb.PutItemInput, *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput,
		*dynamodb.BatchWriteItemInput, *dynamodb.TransactWriteItemsInput:
		write = true
	}
	for _, c := range ccs {
		if write {
			s.WRU += aws.ToFloat64(c.CapacityUnits)
		} else {
			s.RRU += aws.ToFloat64(c.CapacityUnits)
		}
	}
}

// transactWRU is what AWS bills for a transaction: twice each action's
// write units, by the size of a Put's item (1 KB units); updates, deletes
// and condition checks here touch small items (one unit).
func transactWRU(in *dynamodb.TransactWriteItemsInput) float64 {
	var units float64
	for _, a := range in.TransactItems {
		n := int64(1)
		if a.Put != nil {
			var size int64
			for k, v := range a.Put.Item {
				size += int64(len(k))
				switch v := v.(type) {
				case *ddbtypes.AttributeValueMemberS:
					size += int64(len(v.Value))
				case *ddbtypes.AttributeValueMemberB:
					size += int64(len(v.Value))
				case *ddbtypes.AttributeValueMemberN:
					size += int64(len(v.Value))
				default:
					size += 8
				}
			}
			n = max(1, (size+1023)/1024)
		}
		units += 2 * float64(n)
	}
	return units
}

// itemKind names the item a single-item DynamoDB call touches by its key
// prefix (KEYS.md), "C/E" for a timeline chunk and "C/JR" for a journey run
// record; the kinds a transaction writes ("SEND+CSTAT"); and the queue an
// SQS call goes to (the last part of its URL: the bench's queue prefix and
// the catalog's name); "" for other calls.
func itemKind(input any) string {
	var k map[string]ddbtypes.AttributeValue
	queue := ""
	switch in := input.(type) {
	case *sqs.SendMessageInput:
		queue = aws.ToString(in.QueueUrl)
	case *sqs.SendMessageBatchInput:
		queue = aws.ToString(in.QueueUrl)
	case *sqs.ReceiveMessageInput:
		queue = aws.ToString(in.QueueUrl)
	case *sqs.DeleteMessageInput:
		queue = aws.ToString(in.QueueUrl)
	case *sqs.DeleteMessageBatchInput:
		queue = aws.ToString(in.QueueUrl)
	case *sqs.ChangeMessageVisibilityInput:
		queue = aws.ToString(in.QueueUrl)
	case *sqs.GetQueueAttributesInput:
		queue = aws.ToString(in.QueueUrl)
	case *dynamodb.TransactWriteItemsInput:
		// The kinds a transaction writes, in order, once each.
		var kinds []string
		for _, it := range in.TransactItems {
			var ik map[string]ddbtypes.AttributeValue
			switch {
			case it.Put != nil:
				ik = it.Put.Item
			case it.Update != nil:
				ik = it.Update.Key
			case it.Delete != nil:
				ik = it.Delete.Key
			case it.ConditionCheck != nil:
				ik = it.ConditionCheck.Key
			}
			if s, ok := ik["pk"].(*ddbtypes.AttributeValueMemberS); ok {
				pk, _, _ := strings.Cut(s.Value, "#")
				if !slices.Contains(kinds, pk) {
					kinds = append(kinds, pk)
				}
			}
		}
		return strings.Join(kinds, "+")
	case *dynamodb.PutItemInput:
		k = in.Item
	case *dynamodb.GetItemInput:
		k = in.Key
	case *dynamodb.UpdateItemInput:
		k = in.Key
	case *dynamodb.DeleteItemInput:
		k = in.Key
	case *dynamodb.BatchGetItemInput:
		for _, ka := range in.RequestItems {
			if len(ka.Keys) > 0 {
				k = ka.Keys[0]
			}
		}
	}
	if queue != "" {
		return queue[strings.LastIndexByte(queue, '/')+1:]
	}
	if s, ok := k["pk"].(*ddbtypes.AttributeValueMemberS); ok {
		pk, _, _ := strings.Cut(s.Value, "#")
		// A contact's partition holds its profile (sk P), timeline chunks
		// and journey run records: those two are told apart, as their
		// costs answer different questions.
		if sk, ok := k["sk"].(*ddbtypes.AttributeValueMemberS); ok && pk == "C" {
			for _, p := range []string{"E", "JR"} {
				if strings.HasPrefix(sk.Value, p+"#") {
					return pk + "/" + p
				}
			}
		}
		return pk
	}
	return ""
}

// Prices are dollars per unit, from bench/prices.json.
type Prices map[string]float64

// Unit is the price of one unit of k.
func (p Prices) Unit(k string) float64 { return p[k] }

// PricesPath is where the price list lives under the repository root.
func PricesPath(root string) string { return filepath.Join(root, "bench", "prices.json") }

// LoadPrices reads a price list (see PricesPath) and checks it prices
// everything named in need.
func LoadPrices(path string, need ...string) (Prices, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read prices: %w", err)
	}
	var doc struct {
		Prices map[string]struct {
			USD float64 `json:"usd"`
			Per float64 `json:"per"`
		} `json:"prices"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	out := Prices{}
	for k, v := range doc.Prices {
		if v.Per > 0 {
			out[k] = v.USD / v.Per
		}
	}
	for _, k := range need {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("%s: price %q missing", path, k)
		}
	}
	return out, nil
}

// Settle waits until the platform's queues are empty and no function has
// been invoked for three seconds: everything a bench's posts caused has
// happened.
func Settle(ctx context.Context, p *runner.Platform, q *sqs.Client) {
	quiet := time.Now()
	last := ""
	for time.Since(quiet) < 3*time.Second && ctx.Err() == nil {
		time.Sleep(250 * time.Millisecond)
		inv, _, _ := p.Stats().SnapshotBusy()
		snap := fmt.Sprint(inv)
		busy := false
		for _, qu := range catalog.Load().Queues {
			out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(p.QueueURL(qu.Name)),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			if err == nil && (out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0") {
				busy = true
			}
		}
		if snap != last || busy {
			last, quiet = snap, time.Now()
		}
	}
}

// Do sends one HTTP request, from source address ip when it is set (a
// per-IP rate limit sees distinct visitors), and answers the status and
// body; redirects are not followed.
func Do(base, method, path, contentType, body string, headers map[string]string, ip string) (int, string) {
	tr := &http.Transport{DisableKeepAlives: ip != ""}
	if ip != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
		tr.DialContext = d.DialContext
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}
