package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/mail"
)

var _ campaign.SendCounter = (*Store)(nil)

// CountSendOnce marks a campaign send with mark (an attribute of its send
// record) and adds deltas to the campaign's counters of src, in one
// transaction: the mark's condition makes a retried or repeated event add
// nothing, and a failure leaves neither, so the retry counts it. It
// reports whether this call counted.
func (st *Store) CountSendOnce(ctx context.Context, sendID, mark string, src mail.Source, deltas map[string]int64) (bool, error) {
	var sets []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	i := 0
	for k, d := range deltas {
		if d == 0 {
			continue
		}
		sets = append(sets, fmt.Sprintf("#c%d :c%d", i, i))
		names[fmt.Sprintf("#c%d", i)] = "n:" + k
		values[fmt.Sprintf(":c%d", i)] = n(d)
		i++
	}
	if len(sets) == 0 {
		return false, nil
	}
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{
				TableName:                 aws.String(st.table),
				Key:                       key(sendPK(sendID), skSend),
				UpdateExpression:          aws.String("SET #m = :one"),
				ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(#m)"),
				ExpressionAttributeNames:  map[string]string{"#m": mark},
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)},
			}},
			{Update: &types.Update{
				TableName:                 aws.String(st.table),
				Key:                       key(campaignStatPK(src.Campaign, randomStatShard()), campaignStatSK(src.Run, src.Step)),
				UpdateExpression:          aws.String("ADD " + strings.Join(sets, ", ")),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: values,
			}},
		},
		ReturnConsumedCapacity: capacity,
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count %s of send %s for campaign %s: %w", mark, sendID, src.Campaign, err)
	}
	return true, nil
}
