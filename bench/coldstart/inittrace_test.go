package main

import (
	"testing"
	"time"
)

func TestParseInitTrace(t *testing.T) {
	out := []byte("init internal/bytealg @0 ms, 0 ms clock, 0 bytes, 0 allocs\n" +
		"init github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas @12 ms, 2.4 ms clock, 587264 bytes, 3151 allocs\n" +
		"2026/12/07 13:38:17 failed to GET http://127.0.0.1:1/2018-06-01/runtime/invocation/next: got unexpected status code: 500\n" +
		"init broken @1 ms, x ms clock, 1 bytes, 1 allocs\n")
	got := parseInitTrace(out)
	if len(got) != 2 {
		t.Fatalf("parsed %d lines, want 2: %+v", len(got), got)
	}
	s := got[1]
	if s.pkg != "github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas" || s.clock != 2400*time.Microsecond || s.bytes != 587264 || s.allocs != 3151 {
		t.Errorf("got %+v", s)
	}
	if !isSDK(s.pkg) || isSDK("github.com/aws/aws-lambda-go/lambda") || !isSDK("github.com/aws/smithy-go/document") {
		t.Error("isSDK misclassifies")
	}
}
