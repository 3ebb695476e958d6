package dynamo

import "strconv"

// Keys of background job runs (KEYS.md, "Job runs"): one item per run,
// read by its id, never listed.
const (
	prefixJob = "JOB#"
	skJobRun  = "RUN"
	// shardCursorDone is a finished shard's cursor.
	shardCursorDone = "~done"
)

func jobRunPK(kind, id string) string { return prefixJob + kind + "#" + id }

// jobShardAttr holds a shard's next cursor in the run's item.
func jobShardAttr(shard int) string { return "c" + strconv.Itoa(shard) }
