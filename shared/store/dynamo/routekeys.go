package dynamo

import "time"

// Keys of lead routing (the router function). They live beside keys.go so
// the routing adapter adds no edits there; nothing else spells these keys.
//
// | item | pk | sk | other attributes |
// |---|---|---|---|
// | route claim | `ROUTE#<qualified id>` | `ROUTE` | `s` status (`open`, `done`), `c` contact id, `t` claimed at, `f` finished at, `ttl` claimed + 14 days |
// | round-robin counter | `RR#<team>` | `RR` | `n` leads drawn (N) |
//
// | pattern | operation | cost notes |
// |---|---|---|
// | claim a routing request | PutItem `attribute_not_exists(pk)`; on failure the existing claim comes back with the exception | 1 WU per qualification (not per event) |
// | mark it routed | UpdateItem `SET s = done` | 1 WU per qualification |
// | draw a team's next owner | UpdateItem `ADD n :1`, `ReturnValues UPDATED_NEW` | 1 WU, only for round-robin teams of two or more |
//
//   - A claim outlives the routing queue's retention (4 days) and its DLQ's
//     (14 days), so any redelivery still finds it; TTL removes it after.
//   - One counter item per team takes every qualification of that team: a
//     team qualifying more than ~1,000 leads a second would need sharding,
//     which no sales team does.
const (
	skRoute   = "ROUTE"
	skCounter = "RR"

	routeStatusOpen = "open"
	routeStatusDone = "done"

	routeClaimTTL = 14 * 24 * time.Hour
)

func routePK(id string) string { return "ROUTE#" + id }

func counterPK(team string) string { return "RR#" + team }
