package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// ServiceID is the SDK's service ID for DynamoDB.
const ServiceID = "DynamoDB"

var service = awsapi.Service{
	ID: ServiceID, SigningName: "dynamodb", EndpointPrefix: "dynamodb",
	TargetPrefix: "DynamoDB_20120810", ContentType: "application/x-amz-json-1.0",
	Error: decodeError,
}

// Options are the client's settings (see awsapi.Options).
type Options = awsapi.Options

// Client is a DynamoDB client.
type Client struct{ c *awsapi.Client }

// New returns a client with the given options.
func New(o Options, optFns ...func(*Options)) *Client {
	for _, fn := range optFns {
		fn(&o)
	}
	return &Client{c: awsapi.New(service, o)}
}

// NewFromConfig returns a client configured from cfg, as the SDK's does.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	return New(awsapi.FromConfig(cfg, ServiceID), optFns...)
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.c.Options() }

// call runs op with a per-call copy of the options when optFns are given.
func call[In, Out any](ctx context.Context, c *Client, op string, in *In, encode func(*In) ([]byte, error), decode func([]byte) (any, error), optFns []func(*Options)) (*Out, error) {
	if in == nil {
		in = new(In)
	}
	client := c.c
	if len(optFns) > 0 {
		client = New(c.c.Options(), optFns...).c
	}
	body, err := encode(in)
	if err != nil {
		return nil, fmt.Errorf("operation error %s: %s, serialize: %w", ServiceID, op, err)
	}
	out, err := client.Do(ctx, op, in, body, decode)
	if err != nil {
		return nil, err
	}
	o, ok := out.(*Out)
	if !ok || o == nil {
		return nil, fmt.Errorf("operation error %s: %s: middleware returned %T, not the output", ServiceID, op, out)
	}
	return o, nil
}

func (c *Client) GetItem(ctx context.Context, in *GetItemInput, optFns ...func(*Options)) (*GetItemOutput, error) {
	return call[GetItemInput, GetItemOutput](ctx, c, "GetItem", in, encodeGetItem, decodeGetItem, optFns)
}

func (c *Client) PutItem(ctx context.Context, in *PutItemInput, optFns ...func(*Options)) (*PutItemOutput, error) {
	return call[PutItemInput, PutItemOutput](ctx, c, "PutItem", in, encodePutItem, decodePutItem, optFns)
}

func (c *Client) UpdateItem(ctx context.Context, in *UpdateItemInput, optFns ...func(*Options)) (*UpdateItemOutput, error) {
	return call[UpdateItemInput, UpdateItemOutput](ctx, c, "UpdateItem", in, encodeUpdateItem, decodeUpdateItem, optFns)
}

func (c *Client) DeleteItem(ctx context.Context, in *DeleteItemInput, optFns ...func(*Options)) (*DeleteItemOutput, error) {
	return call[DeleteItemInput, DeleteItemOutput](ctx, c, "DeleteItem", in, encodeDeleteItem, decodeDeleteItem, optFns)
}

func (c *Client) Query(ctx context.Context, in *QueryInput, optFns ...func(*Options)) (*QueryOutput, error) {
	return call[QueryInput, QueryOutput](ctx, c, "Query", in, encodeQuery, decodeQuery, optFns)
}

func (c *Client) Scan(ctx context.Context, in *ScanInput, optFns ...func(*Options)) (*ScanOutput, error) {
	return call[ScanInput, ScanOutput](ctx, c, "Scan", in, encodeScan, decodeScan, optFns)
}

func (c *Client) BatchGetItem(ctx context.Context, in *BatchGetItemInput, optFns ...func(*Options)) (*BatchGetItemOutput, error) {
	return call[BatchGetItemInput, BatchGetItemOutput](ctx, c, "BatchGetItem", in, encodeBatchGetItem, decodeBatchGetItem, optFns)
}

func (c *Client) BatchWriteItem(ctx context.Context, in *BatchWriteItemInput, optFns ...func(*Options)) (*BatchWriteItemOutput, error) {
	return call[BatchWriteItemInput, BatchWriteItemOutput](ctx, c, "BatchWriteItem", in, encodeBatchWriteItem, decodeBatchWriteItem, optFns)
}

func (c *Client) TransactWriteItems(ctx context.Context, in *TransactWriteItemsInput, optFns ...func(*Options)) (*TransactWriteItemsOutput, error) {
	return call[TransactWriteItemsInput, TransactWriteItemsOutput](ctx, c, "TransactWriteItems", in, encodeTransactWriteItems, decodeTransactWriteItems, optFns)
}

func (c *Client) TransactGetItems(ctx context.Context, in *TransactGetItemsInput, optFns ...func(*Options)) (*TransactGetItemsOutput, error) {
	return call[TransactGetItemsInput, TransactGetItemsOutput](ctx, c, "TransactGetItems", in, encodeTransactGetItems, decodeTransactGetItems, optFns)
}

// jsonOp encodes and decodes a shape without attribute values with encoding/json.
func jsonOp[In, Out any](ctx context.Context, c *Client, op string, in *In, optFns []func(*Options)) (*Out, error) {
	return call[In, Out](ctx, c, op, in, func(in *In) ([]byte, error) { return json.Marshal(in) },
		func(data []byte) (any, error) {
			out := new(Out)
			if err := json.Unmarshal(data, out); err != nil {
				return nil, err
			}
			return out, nil
		}, optFns)
}

func (c *Client) CreateTable(ctx context.Context, in *CreateTableInput, optFns ...func(*Options)) (*CreateTableOutput, error) {
	return jsonOp[CreateTableInput, CreateTableOutput](ctx, c, "CreateTable", in, optFns)
}

func (c *Client) DescribeTable(ctx context.Context, in *DescribeTableInput, optFns ...func(*Options)) (*DescribeTableOutput, error) {
	return jsonOp[DescribeTableInput, DescribeTableOutput](ctx, c, "DescribeTable", in, optFns)
}

func (c *Client) DeleteTable(ctx context.Context, in *DeleteTableInput, optFns ...func(*Options)) (*DeleteTableOutput, error) {
	return jsonOp[DeleteTableInput, DeleteTableOutput](ctx, c, "DeleteTable", in, optFns)
}

func (c *Client) ListTables(ctx context.Context, in *ListTablesInput, optFns ...func(*Options)) (*ListTablesOutput, error) {
	return jsonOp[ListTablesInput, ListTablesOutput](ctx, c, "ListTables", in, optFns)
}

func (c *Client) UpdateTimeToLive(ctx context.Context, in *UpdateTimeToLiveInput, optFns ...func(*Options)) (*UpdateTimeToLiveOutput, error) {
	return jsonOp[UpdateTimeToLiveInput, UpdateTimeToLiveOutput](ctx, c, "UpdateTimeToLive", in, optFns)
}

// TableExistsWaiter waits for a table to be ACTIVE, as the SDK's does.
type TableExistsWaiter struct{ client *Client }

// NewTableExistsWaiter returns a waiter on client.
func NewTableExistsWaiter(client *Client) *TableExistsWaiter {
	return &TableExistsWaiter{client: client}
}

// Wait polls DescribeTable until the table is ACTIVE or maxWait passes; a
// table not found yet is waited for.
func (w *TableExistsWaiter) Wait(ctx context.Context, in *DescribeTableInput, maxWait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		out, err := w.client.DescribeTable(ctx, in)
		if err == nil && out.Table != nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		var notFound *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &notFound) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("table %s not active after %s: %w", aws.ToString(in.TableName), maxWait, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, 2*time.Second)
	}
}
