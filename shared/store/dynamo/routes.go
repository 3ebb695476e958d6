package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// RouteState is what ClaimRoute found for a routing request.
type RouteState string

const (
	// RouteNew: this call claimed the request; nobody worked on it before.
	RouteNew RouteState = "new"
	// RouteOpen: an earlier delivery claimed it and did not finish (a crash
	// or a failed step); the caller redoes the remaining steps, each of
	// which is safe to repeat.
	RouteOpen RouteState = "open"
	// RouteDone: an earlier delivery finished it; there is nothing to do.
	RouteDone RouteState = "done"
)

// ClaimRoute records that routing request id (for contactID) is being
// worked on, or reports how far an earlier delivery got. It is one
// conditional write: the exception carries the existing claim, so a
// redelivery costs no extra read.
func (st *Store) ClaimRoute(ctx context.Context, id, contactID string, now time.Time) (RouteState, error) {
	item := key(routePK(id), skRoute)
	item["s"] = s(routeStatusOpen)
	item["c"] = s(contactID)
	item["t"] = s(now.UTC().Format(time.RFC3339))
	item[attrTTL] = n(now.Add(routeClaimTTL).Unix())
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(st.table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              capacity,
	})
	if err == nil {
		return RouteNew, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return "", fmt.Errorf("claim route %s: %w", id, err)
	}
	if str(ccf.Item, "s") == routeStatusDone {
		return RouteDone, nil
	}
	return RouteOpen, nil
}

// FinishRoute marks routing request id done, so a later redelivery of it
// is a no-op.
func (st *Store) FinishRoute(ctx context.Context, id string, now time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(routePK(id), skRoute),
		UpdateExpression:          aws.String("SET #s = :done, #f = :f"),
		ExpressionAttributeNames:  map[string]string{"#s": "s", "#f": "f"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": s(routeStatusDone), ":f": s(now.UTC().Format(time.RFC3339))},
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return fmt.Errorf("finish route %s: %w", id, err)
	}
	return nil
}

// NextCounter draws the next value of a team's round-robin counter: 0 for
// the team's first lead, then 1, 2, ... Every router instance shares it
// (an atomic ADD), so concurrent qualifications still rotate fairly.
func (st *Store) NextCounter(ctx context.Context, team string) (int64, error) {
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(counterPK(team), skCounter),
		UpdateExpression:          aws.String("ADD #n :one"),
		ExpressionAttributeNames:  map[string]string{"#n": attrCount},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return 0, fmt.Errorf("draw round-robin counter of team %s: %w", team, err)
	}
	v, ok := res.Attributes[attrCount].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("draw round-robin counter of team %s: no count returned", team)
	}
	x, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("draw round-robin counter of team %s: %w", team, err)
	}
	return x - 1, nil
}
